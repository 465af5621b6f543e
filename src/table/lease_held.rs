//! A lease this worker holds: renewed, checked before a commit, released.

use super::{LeaseDoc, LeaseError, generation_path, payload, read_generation, store_err};
use chrono::Utc;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, UpdateVersion};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A lease this worker holds.
#[derive(Debug)]
pub struct Lease {
    store: Arc<dyn ObjectStore>,
    folder: Path,
    doc: LeaseDoc,
    ttl: Duration,
    update: Option<UpdateVersion>,
    /// When a request last confirmed that no other worker took the lease over.
    confirmed: Instant,
    /// The expired lease this one replaced, if it was taken over.
    pub took_over: Option<LeaseDoc>,
}

impl Lease {
    /// A lease just created as generation `doc.generation` (its `update` version) in `folder`.
    pub(super) fn new(
        (store, folder): (Arc<dyn ObjectStore>, Path),
        doc: LeaseDoc,
        ttl: Duration,
        update: UpdateVersion,
        took_over: Option<LeaseDoc>,
    ) -> Lease {
        Lease {
            store,
            folder,
            doc,
            ttl,
            update: Some(update),
            confirmed: Instant::now(),
            took_over,
        }
    }

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
        self.confirmed = Instant::now();
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
    /// over. No request while the last confirmation (taking it, or a renewal, which extends it
    /// by its ttl and then checks) is less than half the ttl old: nobody may take a lease over
    /// before it expires, and the commit is fenced by its sequence number anyway. Older (this
    /// process was paused or starved, or renewals failed): one `head` request.
    pub async fn check(&self) -> Result<(), LeaseError> {
        if self.confirmed.elapsed() < self.ttl / 2 {
            return Ok(());
        }
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
