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
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The folder (under a table's prefix) that holds job leases.
pub const LEASES_DIR: &str = "_ingest_leases";

/// The lease format version this build writes and reads.
pub const LEASE_VERSION: u32 = 1;

/// One generation of a job's lease, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseDoc {
    /// Format version ([`LEASE_VERSION`]).
    pub version: u32,
    /// The job.
    pub job_id: String,
    /// The generation (also the file name).
    pub generation: u64,
    /// The worker holding it (`--worker-id`).
    pub holder: String,
    /// The holder's run id.
    pub run_id: String,
    /// When this generation was taken.
    pub acquired_at: DateTime<Utc>,
    /// When the holder last renewed it.
    pub renewed_at: DateTime<Utc>,
    /// When it lapses unless renewed.
    pub expires_at: DateTime<Utc>,
    /// When the holder released it (the job ended).
    #[serde(default)]
    pub released_at: Option<DateTime<Utc>>,
    /// Whether the holder's job succeeded, written on release.
    #[serde(default)]
    pub succeeded: Option<bool>,
}

impl LeaseDoc {
    /// Whether another worker may take the lease at `now`: released, or expired.
    pub fn is_free(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_some() || self.expires_at <= now
    }

    /// Whether a worker other than `me` released it with success at or after `since`: the job
    /// is loaded for the round that began at `since`.
    pub fn loaded_since(&self, since: DateTime<Utc>, me: &str) -> bool {
        self.holder != me
            && self.succeeded == Some(true)
            && self.released_at.is_some_and(|r| r >= since)
    }
}

/// What went wrong with a lease.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The store failed.
    #[error("lease {path}: {operation} failed: {message}")]
    Store {
        /// What was being done.
        operation: &'static str,
        /// The object.
        path: String,
        /// The error, secrets redacted.
        message: String,
    },
    /// A lease file that does not parse.
    #[error("lease {path} does not parse ({message}); delete it if no worker runs the job")]
    Corrupt {
        /// The object.
        path: String,
        /// Why.
        message: String,
    },
    /// The store cannot create an object only if it is absent, which leases need.
    #[error(
        "lease {path}: the destination cannot create files atomically (create-if-absent), which running many workers needs"
    )]
    NoAtomicCreate {
        /// The object.
        path: String,
    },
    /// Another worker took the lease over, or this worker missed its own renewal deadline.
    #[error("lost the lease of job {job_id}: {why}; nothing of this load is committed")]
    Lost {
        /// The job.
        job_id: String,
        /// What happened.
        why: String,
    },
}

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

/// A lease this worker holds.
#[derive(Debug)]
pub struct Lease {
    store: Arc<dyn ObjectStore>,
    folder: Path,
    doc: LeaseDoc,
    ttl: Duration,
    update: Option<UpdateVersion>,
    /// The expired lease this one replaced, if it was taken over.
    pub took_over: Option<LeaseDoc>,
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
    let created = store
        .put_opts(&path, payload(&doc), PutMode::Create.into())
        .await;
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
    // The generation before the one just replaced is history (earlier ones went the same way).
    if generation >= 3 {
        let _ = store
            .delete(&generation_path(&folder, generation - 2))
            .await;
    }
    Ok(Acquired::Taken(Box::new(Lease {
        store,
        folder,
        doc,
        ttl: claim.ttl,
        update: Some(update),
        took_over: previous.filter(|d| d.released_at.is_none()),
    })))
}

fn payload(doc: &LeaseDoc) -> PutPayload {
    PutPayload::from(serde_json::to_vec_pretty(doc).unwrap_or_default())
}

impl Lease {
    /// The lease as last written.
    pub fn doc(&self) -> &LeaseDoc {
        &self.doc
    }

    /// How long the lease lasts unless renewed.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn lost(&self, why: String) -> LeaseError {
        LeaseError::Lost {
            job_id: self.doc.job_id.clone(),
            why,
        }
    }

    /// Extend the lease by its ttl from now. [`LeaseError::Lost`] when another worker took it
    /// over. A lease this worker let lapse (it was paused or starved past `expires_at`) is
    /// still renewed when nobody took it over meanwhile: a taker creates the next generation,
    /// which this or the next renewal sees, and the commit is fenced by its sequence number.
    pub async fn renew(&mut self) -> Result<(), LeaseError> {
        let now = Utc::now();
        if self.doc.expires_at <= now {
            tracing::warn!(
                "{}: the lease lapsed at {} before this worker renewed it (paused or starved); renewing it as nobody took it over",
                self.doc.job_id,
                self.doc.expires_at
            );
        }
        let mut next = self.doc.clone();
        next.renewed_at = now;
        next.expires_at = now + self.ttl;
        self.write(&next).await?;
        self.check_not_taken().await?;
        self.doc = next;
        Ok(())
    }

    /// Check that no worker took the lease over (no next generation exists).
    async fn check_not_taken(&self) -> Result<(), LeaseError> {
        let next = generation_path(&self.folder, self.doc.generation + 1);
        match self.store.head(&next).await {
            Ok(_) => {
                let by = read_generation(self.store.as_ref(), &next)
                    .await
                    .ok()
                    .flatten()
                    .map_or_else(|| "another worker".to_string(), |d| d.holder);
                Err(self.lost(format!("worker {by} took it over")))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err("head", &next, &e)),
        }
    }

    /// Write this worker's generation file: conditional on its etag where the store can,
    /// else a plain overwrite (only this worker ever writes this generation).
    async fn write(&mut self, doc: &LeaseDoc) -> Result<(), LeaseError> {
        let path = generation_path(&self.folder, doc.generation);
        if let Some(v) = self.update.clone() {
            match self
                .store
                .put_opts(&path, payload(doc), PutMode::Update(v).into())
                .await
            {
                Ok(r) => {
                    self.update = Some(r.into());
                    return Ok(());
                }
                Err(object_store::Error::Precondition { .. }) => {
                    // A retried request whose first attempt was applied fails the condition:
                    // that is success when the file holds what was written.
                    let mine = self.store.get(&path).await.ok();
                    let meta = mine.as_ref().map(|g| g.meta.clone());
                    let body = match mine {
                        Some(g) => g.bytes().await.ok(),
                        None => None,
                    };
                    let same = body
                        .and_then(|b| serde_json::from_slice::<LeaseDoc>(&b).ok())
                        .is_some_and(|d| d == *doc);
                    return match meta.filter(|_| same) {
                        Some(m) => {
                            self.update = Some(UpdateVersion {
                                e_tag: m.e_tag,
                                version: m.version,
                            });
                            Ok(())
                        }
                        None => Err(self.lost("its file was changed by another worker".into())),
                    };
                }
                Err(object_store::Error::NotImplemented { .. }) => self.update = None,
                Err(e) => return Err(store_err("update", &path, &e)),
            }
        }
        self.store
            .put(&path, payload(doc))
            .await
            .map(|_| ())
            .map_err(|e| store_err("put", &path, &e))
    }

    /// Right before a commit: fail with [`LeaseError::Lost`] if another worker took the lease
    /// over (one `head` request; the background renewals keep it alive).
    pub async fn check(&self) -> Result<(), LeaseError> {
        self.check_not_taken().await
    }

    /// Mark the lease released (the job ended). Only this worker writes its generation, so a
    /// release after a takeover only marks a generation that is no longer the newest.
    /// `succeeded`: whether the job committed (or had nothing to load).
    pub async fn release(mut self, succeeded: bool) -> Result<(), LeaseError> {
        let now = Utc::now();
        let mut done = self.doc.clone();
        done.released_at = Some(now);
        done.succeeded = Some(succeeded);
        done.expires_at = now.min(done.expires_at);
        match self.write(&done).await {
            Ok(()) | Err(LeaseError::Lost { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
#[path = "lease_tests.rs"]
mod tests;
