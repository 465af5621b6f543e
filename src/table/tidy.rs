//! Tidy of failed Delta loads: a load that failed or was killed after writing data files
//! leaves files no commit references. The next run of the same job removes its own such files.
//!
//! The rule: a data file is removed when its name says this job wrote it
//! (`{load_id}.{job_id}.{file_id}.parquet`), its load id is older than `until`, and no file of
//! that load id is in the table — neither among the current files nor among the removed ones
//! the log still remembers (tombstones). A load id older than the job's last commit that never
//! committed cannot commit any more: it started before that commit, so its txn (same appId)
//! conflicts. Other jobs' files, files of other writers (OPTIMIZE's `part-…` files) and newer
//! loads are never touched.

use super::delta::{DeltaError, DeltaTarget, delta_err};
use crate::sink::layout::{TableLayout, is_load_id, same_job};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use std::collections::HashSet;

/// The load ids of every file the table's log references (current files and tombstones).
pub async fn committed_load_ids(target: &DeltaTarget) -> Result<HashSet<String>, DeltaError> {
    let mut ids = HashSet::new();
    if target.version().is_none() {
        return Ok(ids);
    }
    let name = target.name();
    let table = target.table();
    let log_store = table.log_store();
    let state = table
        .snapshot()
        .map_err(|e| delta_err(name, "reading the snapshot", &e))?;
    let current: Vec<String> = state
        .snapshot()
        .file_views(log_store.as_ref(), None)
        .map_ok(|f| f.path().to_string())
        .try_collect()
        .await
        .map_err(|e| delta_err(name, "listing the current files", &e))?;
    let removed: Vec<String> = state
        .all_tombstones(log_store.as_ref())
        .map_ok(|t| t.path().to_string())
        .try_collect()
        .await
        .map_err(|e| delta_err(name, "listing the removed files", &e))?;
    ids.extend(
        current
            .iter()
            .chain(&removed)
            .filter_map(|p| load_id_of(p))
            .map(str::to_string),
    );
    Ok(ids)
}

/// The load id a data file's name starts with, if it has one.
fn load_id_of(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    name.get(..23).filter(|id| is_load_id(id))
}

/// Which files the tidy of job `job_id` may remove.
pub struct Leftovers<'a> {
    /// The job's table layout.
    pub layout: &'a TableLayout,
    /// The job.
    pub job_id: &'a str,
    /// Only loads older than this load id.
    pub until: &'a str,
    /// Load ids the log references.
    pub committed: &'a HashSet<String>,
}

impl Leftovers<'_> {
    /// Whether the data file at `path` (or a staging file `{name}#{n}` of a killed upload to a
    /// local folder, given as `path`) is a leftover of this job.
    pub fn owns(&self, path: &Path) -> bool {
        let Some(file) = self.layout.parse_data_file(path) else {
            return false;
        };
        file.job
            .as_deref()
            .is_some_and(|j| same_job(j, self.job_id))
            && file.load_id.as_str() < self.until
            && !self.committed.contains(&file.load_id)
    }

    /// [`Self::owns`] for a staging file name `{name}#{n}` in the data folder.
    pub fn owns_staging(&self, file_name: &str) -> bool {
        file_name
            .rsplit_once('#')
            .is_some_and(|(base, _)| self.owns(&self.layout.data_prefix().join(base)))
    }
}

/// Remove the job's leftover data files (see the module doc); returns their paths.
pub async fn remove_leftovers(
    target: &DeltaTarget,
    store: &dyn ObjectStore,
    leftovers: &Leftovers<'_>,
) -> Result<Vec<String>, DeltaError> {
    let name = target.name();
    let prefix = leftovers.layout.data_prefix();
    let paths: Vec<Path> = store
        .list(Some(&prefix))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .map_err(|e| delta_err(name, "listing the data files", &e))?;
    let mut removed = Vec::new();
    for path in paths.into_iter().filter(|p| leftovers.owns(p)) {
        match store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => removed.push(path.to_string()),
            Err(e) => return Err(delta_err(name, "removing a leftover file", &e)),
        }
    }
    Ok(removed)
}

#[cfg(test)]
#[path = "tidy_tests.rs"]
mod tests;
