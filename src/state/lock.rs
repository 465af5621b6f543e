//! The state directory lock: one run at a time per state directory.
//!
//! An OS file lock (`std::fs::File::try_lock`) on `dir/.ingest.lock`, released by the OS when
//! the process dies. The file holds `{pid, started_at, host}` of the holder while it runs and is
//! emptied on a clean exit, so a record found in a free lock file is a run that was killed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// File name of the lock inside the state directory.
pub const LOCK_FILE: &str = ".ingest.lock";

/// Who holds (or held) the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Process id.
    pub pid: u32,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// Host name, as far as it is known.
    pub host: String,
}

impl LockInfo {
    /// A record for this process, now.
    pub fn current() -> LockInfo {
        LockInfo {
            pid: std::process::id(),
            started_at: Utc::now(),
            host: host_name(),
        }
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("the state directory is in use by another ingest run ({}); lock file {}", holder_text(.holder), .path.display())]
    Held {
        /// The lock file.
        path: PathBuf,
        /// The holder's record, if readable.
        holder: Option<LockInfo>,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot {action} lock file {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn holder_text(holder: &Option<LockInfo>) -> String {
    match holder {
        Some(h) => format!(
            "pid {} on {}, started {}",
            h.pid,
            h.host,
            h.started_at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        None => "holder unknown".to_string(),
    }
}

/// An exclusive lock on a state directory, released on drop.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
    took_over: Option<LockInfo>,
}

impl DirLock {
    /// Take the lock on `dir` (created if missing) without waiting.
    pub fn acquire(dir: &Path) -> Result<DirLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| LockError::Io {
                action,
                path,
                source,
            }
        };
        fs::create_dir_all(dir).map_err(io("create the folder of", &path))?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("open", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).ok().and_then(|t| parse_info(&t));
                return Err(LockError::Held { path, holder });
            }
            Err(TryLockError::Error(e)) => return Err(io("lock", &path)(e)),
        }
        let mut previous = String::new();
        // A leftover record is only informative: an unreadable one is treated as none.
        let took_over = match file.read_to_string(&mut previous) {
            Ok(_) => parse_info(&previous),
            Err(_) => None,
        };
        let record = serde_json::to_string(&LockInfo::current())
            .map_err(|e| io("encode", &path)(std::io::Error::other(e)))?;
        let write = |f: &mut File| -> std::io::Result<()> {
            f.set_len(0)?;
            f.seek(SeekFrom::Start(0))?;
            f.write_all(record.as_bytes())?;
            f.sync_data()
        };
        write(&mut file).map_err(io("write", &path))?;
        Ok(DirLock {
            file,
            path,
            took_over,
        })
    }

    /// The record of a run that was killed while holding the lock, if one was left behind.
    pub fn took_over(&self) -> Option<&LockInfo> {
        self.took_over.as_ref()
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Best effort: the OS releases the lock anyway when the handle closes.
        let _ = self.file.set_len(0);
        let _ = self.file.sync_data();
        let _ = self.file.unlock();
    }
}

fn parse_info(text: &str) -> Option<LockInfo> {
    serde_json::from_str(text.trim()).ok()
}

/// The host name from the environment (or `/etc/hostname` on unix), else `unknown`.
pub(crate) fn host_name() -> String {
    let from_env = ["COMPUTERNAME", "HOSTNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    #[cfg(unix)]
    let from_env = from_env.or_else(|| {
        fs::read_to_string("/etc/hostname")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    });
    from_env.unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_while_held() {
        let dir = tempfile::tempdir().unwrap();
        let meta = dir.path().join("metadata");
        let first = DirLock::acquire(&meta).unwrap();
        assert!(first.took_over().is_none());
        let text = fs::read_to_string(first.path()).unwrap();
        let rec = parse_info(&text).unwrap();
        assert_eq!(rec.pid, std::process::id());
        match DirLock::acquire(&meta) {
            Err(LockError::Held { path, holder }) => {
                assert_eq!(path, meta.join(LOCK_FILE));
                let msg = LockError::Held {
                    path,
                    holder: holder.clone(),
                }
                .to_string();
                #[cfg(unix)]
                {
                    assert_eq!(holder.as_ref(), Some(&rec));
                    assert!(msg.contains(&format!("pid {}", rec.pid)), "{msg}");
                }
                assert!(msg.contains("in use by another ingest run"), "{msg}");
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        assert_eq!(fs::read_to_string(meta.join(LOCK_FILE)).unwrap(), "");
        let again = DirLock::acquire(&meta).unwrap();
        assert!(again.took_over().is_none());
    }

    #[test]
    fn leftover_record_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let dead = LockInfo {
            pid: 999_999,
            started_at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
            host: "old-host".into(),
        };
        fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_string(&dead).unwrap(),
        )
        .unwrap();
        let lock = DirLock::acquire(dir.path()).unwrap();
        assert_eq!(lock.took_over(), Some(&dead));
        let now = parse_info(&fs::read_to_string(lock.path()).unwrap()).unwrap();
        assert_eq!(now.pid, std::process::id());
    }

    #[test]
    fn held_message_without_holder() {
        let e = LockError::Held {
            path: PathBuf::from("m/.ingest.lock"),
            holder: None,
        };
        assert!(e.to_string().contains("holder unknown"));
    }
}
