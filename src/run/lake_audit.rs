//! The audit record of each job run, also in the lake: one JSON object per run of a job in
//! `{folder}/{source}_{table}/_ingest_audit/{job_id}/{end_time}.{worker}.json`, beside the
//! table's manifests (Parquet) or inside the Delta table's folder (readers skip `_` folders).
//! The lake holds what every worker did, whichever machine's state folder is lost.

use super::stores::Stores;
use crate::config::Job;
use crate::sink::layout::{TableLayout, new_load_id};
use crate::sink::store::{Destination, redact};
use crate::state::audit::{AuditRecord, AuditStatus};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

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

/// Every audit record of a job in the lake, oldest first. Records that do not parse are
/// passed over with a warning.
pub async fn read_all(
    store: &dyn ObjectStore,
    folder: &Path,
) -> Result<Vec<AuditRecord>, object_store::Error> {
    let mut paths: Vec<Path> = store
        .list(Some(folder))
        .map_ok(|m| m.location)
        .try_collect()
        .await?;
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let bytes = match store.get(&p).await {
            Ok(g) => g.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        match serde_json::from_slice::<AuditRecord>(&bytes) {
            Ok(r) => out.push(r),
            Err(e) => tracing::warn!("audit record {p} does not parse: {e}"),
        }
    }
    Ok(out)
}

/// The SUCCESS record of the load `load_id`, if the lake has it.
pub fn of_load<'a>(records: &'a [AuditRecord], load_id: &str) -> Option<&'a AuditRecord> {
    records
        .iter()
        .rev()
        .find(|r| r.status == AuditStatus::Success && r.load_id.as_deref() == Some(load_id))
}
