//! Maintenance of a job's Delta table: OPTIMIZE (compact small files) then VACUUM (delete
//! files no version within the retention references), both through delta-rs.
//!
//! OPTIMIZE bin-packs files smaller than the target size into files of about that size: the
//! table's `delta.targetFileSize`, else delta-rs's default of 100 MiB (large enough that a
//! reader opens few files, small enough that one file is one unit of parallel work). Its commit
//! changes no data (`dataChange = false`): readers and appends are not disturbed. Its files
//! are written in the destination's `compression`, like the loads' (delta-rs's own default is
//! ZSTD level 4).
//!
//! VACUUM runs in delta-rs's full mode: it deletes the files of entries removed longer ago
//! than the retention and files in the table folder the log does not reference whose last
//! change is older than the retention (folders starting with `_` are left alone). Full, not
//! lite, because a checkpoint drops expired removals from the log: lite mode would never see
//! those files again. The retention is the table's `delta.deletedFileRetentionDuration`
//! (default 168 h), or the caller's, which may be shorter (at least one hour): time travel to
//! versions older than it then fails, and a load still running after that long could lose
//! files it wrote but has not committed yet.
//!
//! Every maintenance commit carries the job's last [`LoadInfo`] forward in its commitInfo under
//! [`CARRIED_METADATA_KEY`], so the job's head stays among the commits its search reads.

use super::delta::{CARRIED_METADATA_KEY, DeltaError, DeltaTarget, LoadInfo, delta_err};
use deltalake::kernel::transaction::CommitProperties;
use deltalake::operations::vacuum::VacuumMode;
use futures::TryStreamExt;
use serde::Serialize;
use std::collections::HashMap;

/// How to maintain a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaintainOptions {
    /// VACUUM retention in hours; `None`: the table's `delta.deletedFileRetentionDuration`.
    pub vacuum_hours: Option<u32>,
}

/// What maintenance did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Maintained {
    /// Table version before.
    pub version_before: i64,
    /// Table version after.
    pub version_after: i64,
    /// Small files OPTIMIZE replaced.
    pub files_compacted: u64,
    /// Their bytes.
    pub bytes_compacted: u64,
    /// Files OPTIMIZE wrote in their place.
    pub files_written: u64,
    /// Their bytes.
    pub bytes_written: u64,
    /// Files VACUUM deleted.
    pub files_vacuumed: u64,
    /// Their bytes (as the log recorded them).
    pub bytes_vacuumed: u64,
}

impl DeltaTarget {
    /// OPTIMIZE then VACUUM the table (it must exist), carrying `head` (the job's last load)
    /// forward in the commits.
    pub async fn maintain(
        &self,
        head: Option<&LoadInfo>,
        opts: MaintainOptions,
    ) -> Result<Maintained, DeltaError> {
        let name = self.name().to_string();
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&name, operation, e);
        let version_before = self
            .version()
            .ok_or_else(|| err("maintaining", &"the table has no commit yet"))?;
        let props = || -> Result<CommitProperties, DeltaError> {
            let mut props = CommitProperties::default();
            if let Some(info) = head {
                let value =
                    serde_json::to_value(info).map_err(|e| err("encoding commitInfo", &e))?;
                props = props.with_metadata([(CARRIED_METADATA_KEY.to_string(), value)]);
            }
            Ok(props)
        };
        let (table, optimized) = self
            .table()
            .clone()
            .optimize()
            .with_writer_properties(super::delta_merge::writer_properties(self.compression))
            .with_commit_properties(props()?)
            .await
            .map_err(|e| err("optimizing", &e))?;
        // The sizes of the table's objects, to report what VACUUM frees.
        let sizes: HashMap<String, u64> = table
            .log_store()
            .object_store(None)
            .list(None)
            .map_ok(|m| (m.location.to_string(), m.size))
            .try_collect()
            .await
            .map_err(|e| err("listing the table's files", &e))?;
        let mut vacuum = table
            .vacuum()
            .with_mode(VacuumMode::Full)
            .with_commit_properties(props()?);
        if let Some(hours) = opts.vacuum_hours {
            vacuum = vacuum
                .with_retention_period(chrono::Duration::hours(i64::from(hours.max(1))))
                .with_enforce_retention_duration(false);
        }
        let (table, vacuumed) = vacuum.await.map_err(|e| err("vacuuming", &e))?;
        Ok(Maintained {
            version_before,
            version_after: table.version().map_or(version_before, |v| v as i64),
            files_compacted: optimized.num_files_removed,
            bytes_compacted: optimized.files_removed.total_size.max(0) as u64,
            files_written: optimized.num_files_added,
            bytes_written: optimized.files_added.total_size.max(0) as u64,
            files_vacuumed: vacuumed.files_deleted.len() as u64,
            bytes_vacuumed: vacuumed
                .files_deleted
                .iter()
                .map(|p| sizes.get(p).copied().unwrap_or(0))
                .sum(),
        })
    }
}

#[cfg(test)]
#[path = "maintain_tests.rs"]
mod tests;
