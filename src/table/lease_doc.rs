//! One generation of a job's lease as stored ([`LeaseDoc`]), and what goes wrong with leases.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
