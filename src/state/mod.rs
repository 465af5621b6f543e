//! State: per-job watermarks (atomic files), the directory lock, the audit log.
//!
//! Everything lives under the state directory (default `metadata/`): `state/<job_id>.json`,
//! `watermarks.json`, `audit_log.jsonl` and the lock file `.ingest.lock`.

pub mod audit;
pub mod lock;
pub mod store;

pub use audit::{AuditRecord, AuditStatus};
pub use lock::{DirLock, LockError, LockInfo};
pub use store::{JobState, STATE_VERSION, StateStore};

use std::path::PathBuf;

/// What can go wrong reading or writing state and audit files. Names the path and the job.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file or folder could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "create folder", …).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A state file exists but cannot be used; it is never overwritten silently.
    #[error(
        "state of job `{job_id}` in {} is unusable: {message}; run `ingest state reset {job_id}` to start the job over",
        path.display()
    )]
    Corrupt {
        /// The job.
        job_id: String,
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A job id that cannot name a state file.
    #[error("`{job_id}` is not a valid job id (letters, digits, _ . - ; not starting with .)")]
    InvalidJobId {
        /// The rejected id.
        job_id: String,
    },
    /// A summary or audit file that does not parse.
    #[error("{} line {line} does not parse: {message}", path.display())]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Parser message.
        message: String,
    },
    /// A record could not be serialized (should not happen).
    #[error("cannot encode {}: {message}", path.display())]
    Encode {
        /// The file it was meant for.
        path: PathBuf,
        /// Serializer message.
        message: String,
    },
}

impl StateError {
    /// An [`StateError::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        StateError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Whether `id` is a valid job id: `[A-Za-z0-9_.-]+`, not starting with `.`.
pub fn valid_job_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids() {
        for ok in ["a", "orders_2024", "x.y-z", "A1"] {
            assert!(valid_job_id(ok), "{ok}");
        }
        for bad in [
            "", ".", "..", ".hidden", "a/b", "a\\b", "a b", "é", "../x", "a:b",
        ] {
            assert!(!valid_job_id(bad), "{bad}");
        }
    }
}
