//! Job leases in the lake: many `ingest run` processes on one workbook share the jobs.
//!
//! A job's lease lives beside its table, in `{folder}/{source}_{table}/_ingest_leases/{job_id}/`,
//! as generation files `{generation:012}.json`; the highest generation is the lease. Taking a
//! free lease (none, released or expired) is a create-if-absent put of the next generation, so
//! of two workers that race for it exactly one wins, on every store that can create atomically
//! (Azure, a local folder). The holder renews its own generation file (an etag-conditional
//! update where the store has one, else a plain overwrite) and then checks that no next
//! generation exists (a worker that missed its own deadline keeps the lease only if nobody
//! took it over meanwhile). Releasing marks the generation released; it is never deleted while current, so a
//! generation number is never reused. The commit itself is fenced separately (manifest
//! sequence numbers, Delta txn versions): a lease only keeps workers out of each other's way.

use crate::sink::store::redact;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload, UpdateVersion};
use std::sync::Arc;
use std::time::Duration;

#[path = "lease_doc.rs"]
mod doc;
#[path = "lease_held.rs"]
mod held;

pub use doc::{LEASE_VERSION, LeaseDoc, LeaseError};
pub use held::Lease;

/// The folder (under a table's prefix) that holds job leases.
pub const LEASES_DIR: &str = "_ingest_leases";

/// The outcome of [`acquire`].
#[derive(Debug)]
pub enum Acquired {
    /// This worker holds the lease now.
    Taken(Box<Lease>),
    /// A live worker holds it: the job is skipped.
    Held(LeaseDoc),
    /// Another worker loaded the job successfully since `claim.since`: done for this round.
    Done(LeaseDoc),
}

/// `{prefix}/_ingest_leases/{job_id}`: the folder of one job's lease generations.
pub fn lease_folder(table_prefix: &Path, job_id: &str) -> Path {
    table_prefix.clone().join(LEASES_DIR).join(job_id)
}

fn generation_path(folder: &Path, generation: u64) -> Path {
    folder.clone().join(format!("{generation:012}.json"))
}

fn store_err(operation: &'static str, path: &Path, e: &dyn std::fmt::Display) -> LeaseError {
    LeaseError::Store {
        operation,
        path: path.to_string(),
        message: redact(&e.to_string()),
    }
}

/// The generations present in `folder`, ascending.
async fn generations(store: &dyn ObjectStore, folder: &Path) -> Result<Vec<u64>, LeaseError> {
    let metas: Vec<_> = store
        .list(Some(folder))
        .try_collect()
        .await
        .map_err(|e| store_err("list", folder, &e))?;
    let mut out: Vec<u64> = metas
        .iter()
        .filter_map(|m| m.location.filename())
        .filter_map(|n| n.strip_suffix(".json"))
        .filter(|n| n.len() == 12)
        .filter_map(|n| n.parse().ok())
        .collect();
    out.sort_unstable();
    Ok(out)
}

async fn read_generation(
    store: &dyn ObjectStore,
    path: &Path,
) -> Result<Option<LeaseDoc>, LeaseError> {
    let got = match store.get(path).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_err("get", path, &e)),
    };
    let bytes = match got.bytes().await {
        Ok(b) => b,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_err("get", path, &e)),
    };
    let doc: LeaseDoc = serde_json::from_slice(&bytes).map_err(|e| LeaseError::Corrupt {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    if doc.version != LEASE_VERSION {
        return Err(LeaseError::Corrupt {
            path: path.to_string(),
            message: format!("version {} (this build reads {LEASE_VERSION})", doc.version),
        });
    }
    Ok(Some(doc))
}

/// The job's current lease generation (the highest), `None` when the job never had one.
pub async fn current(
    store: &dyn ObjectStore,
    folder: &Path,
) -> Result<Option<LeaseDoc>, LeaseError> {
    // Older generations are deleted by later takers; the highest one never is.
    for _ in 0..3 {
        let Some(&top) = generations(store, folder).await?.last() else {
            return Ok(None);
        };
        if let Some(found) = read_generation(store, &generation_path(folder, top)).await? {
            return Ok(Some(found));
        }
    }
    Err(store_err(
        "read",
        folder,
        &"the newest lease generation vanished three times in a row",
    ))
}

/// Who wants a lease, and for how long.
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    /// The job.
    pub job_id: &'a str,
    /// This worker (`--worker-id`).
    pub holder: &'a str,
    /// This worker's run id.
    pub run_id: &'a str,
    /// How long the lease lasts unless renewed.
    pub ttl: Duration,
    /// Holders whose live leases this worker may take at once: itself (a worker id is one
    /// process at a time) and the run that died in its state folder.
    pub reclaim: &'a [String],
    /// When this worker's run began: a job another worker released with success after it is
    /// done for this round, so N copies started together do not load it N times.
    pub since: Option<DateTime<Utc>>,
}

/// Take the job's lease when it is free (none, released or expired) or held by a holder in
/// `claim.reclaim`, else report its holder.
pub async fn acquire(
    store: Arc<dyn ObjectStore>,
    folder: Path,
    claim: &Claim<'_>,
) -> Result<Acquired, LeaseError> {
    let now = Utc::now();
    let previous = current(store.as_ref(), &folder).await?;
    if let Some(doc) = &previous
        && claim
            .since
            .is_some_and(|s| doc.loaded_since(s, claim.holder))
    {
        return Ok(Acquired::Done(doc.clone()));
    }
    let generation = match &previous {
        Some(doc) if !doc.is_free(now) && !claim.reclaim.contains(&doc.holder) => {
            return Ok(Acquired::Held(doc.clone()));
        }
        Some(doc) => doc.generation + 1,
        None => 1,
    };
    let doc = LeaseDoc {
        version: LEASE_VERSION,
        job_id: claim.job_id.to_string(),
        generation,
        holder: claim.holder.to_string(),
        run_id: claim.run_id.to_string(),
        acquired_at: now,
        renewed_at: now,
        expires_at: now + claim.ttl,
        released_at: None,
        succeeded: None,
    };
    let path = generation_path(&folder, generation);
    let create = store.put_opts(&path, payload(&doc), PutMode::Create.into());
    // The generation before the one being replaced is history (earlier ones went the same
    // way): it is not the newest whoever wins this generation, so it goes at the same time.
    let history = async {
        if generation >= 3 {
            let _ = store
                .delete(&generation_path(&folder, generation - 2))
                .await;
        }
    };
    let (created, ()) = futures::join!(create, history);
    let update = match created {
        Ok(r) => UpdateVersion::from(r),
        Err(object_store::Error::AlreadyExists { .. }) => {
            // Another worker took this very generation first.
            return match current(store.as_ref(), &folder).await? {
                Some(winner) => Ok(Acquired::Held(winner)),
                None => Err(store_err(
                    "read",
                    &path,
                    &"created by another worker, then gone",
                )),
            };
        }
        Err(object_store::Error::NotImplemented { .. }) => {
            return Err(LeaseError::NoAtomicCreate {
                path: path.to_string(),
            });
        }
        Err(e) => return Err(store_err("create", &path, &e)),
    };
    Ok(Acquired::Taken(Box::new(Lease::new(
        (store, folder),
        doc,
        claim.ttl,
        update,
        previous.filter(|d| d.released_at.is_none()),
    ))))
}

fn payload(doc: &LeaseDoc) -> PutPayload {
    PutPayload::from(serde_json::to_vec_pretty(doc).unwrap_or_default())
}

#[cfg(test)]
#[path = "lease_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "lease_cost_tests.rs"]
mod cost_tests;
