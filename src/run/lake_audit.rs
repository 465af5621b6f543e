//! The audit record of each job run, also in the lake: one JSON object per run of a job in
//! `{folder}/{source}_{table}/_ingest_audit/{job_id}/{end_time}.{worker}.json`, beside the
//! table's manifests (Parquet) or inside the Delta table's folder (readers skip `_` folders).
//! The lake holds what every worker did, whichever machine's state folder is lost.
//! `ingest maintain` deletes the records older than `--keep-audit-days`, never the record of
//! the job's last committed load (`ingest status` names its worker from it).

use super::stores::Stores;
use crate::config::Job;
use crate::sink::layout::{TableLayout, is_load_id, new_load_id};
use crate::sink::store::{Destination, redact};
use crate::state::audit::{AuditRecord, AuditStatus};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{Error, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

/// The folder (under a table's prefix) that holds the audit records.
pub const AUDIT_DIR: &str = "_ingest_audit";

/// `{prefix}/_ingest_audit/{job_id}`.
pub fn audit_folder(table_prefix: &Path, job_id: &str) -> Path {
    table_prefix.clone().join(AUDIT_DIR).join(job_id)
}

/// Write the record beside the job's table; a failure is logged (the run goes on).
pub async fn write(job: &Job, dest: &Destination, stores: &Stores, record: &AuditRecord) {
    let layout = TableLayout::new(
        &job.target_folder_path,
        &job.source_name,
        job.output_table(),
    );
    let folder = audit_folder(layout.prefix(), &job.job_id);
    let worker = record.worker.as_deref().unwrap_or("unknown");
    let path = folder.join(format!("{}.{worker}.json", new_load_id(record.end_time)));
    let result = match stores.get(dest, &job.target_container) {
        Ok(store) => match serde_json::to_vec_pretty(record) {
            Ok(json) => store
                .put(&path, PutPayload::from(json))
                .await
                .map(|_| ())
                .map_err(|e| redact(&e.to_string())),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = result {
        tracing::warn!(
            "{}: could not write its audit record to {path}: {e}",
            job.job_id
        );
    }
}

/// How long before a load's `finished_at` its audit record may be named, for clocks that were
/// set back between the two (the record's `end_time` comes later on the same machine).
const CLOCK_SLACK: TimeDelta = TimeDelta::hours(1);

/// When a record was written, from its name (`{end_time}.{worker}.json`).
pub fn record_time(path: &Path) -> Option<DateTime<Utc>> {
    let name = path.filename()?;
    let stamp = name.get(..23).filter(|s| is_load_id(s))?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.fZ")
        .ok()
        .map(|t| t.and_utc())
}

async fn read_one(store: &dyn ObjectStore, p: &Path) -> Result<Option<AuditRecord>, Error> {
    let bytes = match store.get(p).await {
        Ok(g) => g.bytes().await?,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    match serde_json::from_slice::<AuditRecord>(&bytes) {
        Ok(r) => Ok(Some(r)),
        Err(e) => {
            tracing::warn!("audit record {p} does not parse: {e}");
            Ok(None)
        }
    }
}

fn is_load(r: &AuditRecord, load_id: &str) -> bool {
    r.status == AuditStatus::Success && r.load_id.as_deref() == Some(load_id)
}

/// The SUCCESS record of the load `load_id`, committed at `finished_at`, if the lake has it.
/// Only the records written since then are read (one list, a get for each of them).
pub async fn find_load(
    store: &dyn ObjectStore,
    folder: &Path,
    load_id: &str,
    finished_at: DateTime<Utc>,
) -> Result<Option<AuditRecord>, Error> {
    let metas: Vec<ObjectMeta> = store.list(Some(folder)).try_collect().await?;
    let mut since: Vec<Path> = metas
        .into_iter()
        .filter(|m| record_time(&m.location).is_none_or(|t| t >= finished_at - CLOCK_SLACK))
        .map(|m| m.location)
        .collect();
    since.sort();
    for p in &since {
        if let Some(r) = read_one(store, p).await?
            && is_load(&r, load_id)
        {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// Delete the job's records written before `cutoff` (by their name, else their last change),
/// except the SUCCESS record of `keep`, the job's last committed load (`ingest status` names
/// its worker from it): its id and `finished_at`. Returns how many were deleted.
pub async fn prune(
    store: &dyn ObjectStore,
    folder: &Path,
    cutoff: DateTime<Utc>,
    keep: Option<(&str, DateTime<Utc>)>,
) -> Result<u64, Error> {
    let metas: Vec<ObjectMeta> = store.list(Some(folder)).try_collect().await?;
    let mut old = Vec::new();
    for m in metas {
        let written = record_time(&m.location).unwrap_or(m.last_modified);
        if written >= cutoff {
            continue;
        }
        // Only a record written after the kept load finished can be its record.
        if let Some((load_id, finished_at)) = keep
            && written >= finished_at - CLOCK_SLACK
            && read_one(store, &m.location)
                .await?
                .is_some_and(|r| is_load(&r, load_id))
        {
            continue;
        }
        old.push(m.location);
    }
    let removed: Vec<u64> = futures::stream::iter(old)
        .map(|p| async move {
            match store.delete(&p).await {
                Ok(()) => Ok(1),
                Err(Error::NotFound { .. }) => Ok(0),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    Ok(removed.iter().sum())
}

#[cfg(test)]
#[path = "lake_audit_tests.rs"]
mod tests;
