//! Per-job state files (`state/<job_id>.json`) and the `watermarks.json` summary, both
//! replaced atomically: write `<name>.tmp`, fsync, rename over, fsync the folder (unix).

use super::{StateError, valid_job_id};
use crate::config::LoadType;
use crate::plan::Watermark;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Version of the state document this build reads and writes.
pub const STATE_VERSION: u32 = 1;

/// What a job remembers between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobState {
    /// Document version ([`STATE_VERSION`]).
    pub version: u32,
    /// The job.
    pub job_id: String,
    /// FULL or INCREMENTAL.
    pub load_type: LoadType,
    /// The high-water mark reached by the last successful load.
    pub watermark: Option<Watermark>,
    /// Compact hashes of the keys of rows whose cursor equals the watermark.
    #[serde(default)]
    pub boundary_keys: Vec<String>,
    /// The load id of the last successful load.
    pub last_load_id: Option<String>,
    /// When the last successful load finished.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Rows loaded over every run.
    #[serde(default)]
    pub rows_loaded_total: u64,
    /// Fingerprint of the last schema written.
    pub schema_fingerprint: Option<String>,
}

impl JobState {
    /// A fresh state for a job that never loaded.
    pub fn new(job_id: impl Into<String>, load_type: LoadType) -> JobState {
        JobState {
            version: STATE_VERSION,
            job_id: job_id.into(),
            load_type,
            watermark: None,
            boundary_keys: Vec::new(),
            last_load_id: None,
            last_success_at: None,
            rows_loaded_total: 0,
            schema_fingerprint: None,
        }
    }
}

/// One entry of `watermarks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryEntry {
    /// The watermark value (text form), if the job has one.
    pub value: Option<String>,
    /// When it was last updated.
    pub updated_at: DateTime<Utc>,
}

/// The state files under a state directory. Share one per run (`Arc`): it serializes
/// updates of `watermarks.json` between jobs.
#[derive(Debug)]
pub struct StateStore {
    dir: PathBuf,
    summary: Mutex<()>,
}

impl StateStore {
    /// The store under `dir`; folders are created by the first write, so reading touches nothing.
    pub fn new(dir: &Path) -> Result<StateStore, StateError> {
        Ok(StateStore {
            dir: dir.to_path_buf(),
            summary: Mutex::new(()),
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `dir/state/<job_id>.json`; refuses an id that is not a valid job id.
    pub fn path(&self, job_id: &str) -> Result<PathBuf, StateError> {
        if !valid_job_id(job_id) {
            return Err(StateError::InvalidJobId {
                job_id: job_id.to_string(),
            });
        }
        Ok(self.dir.join("state").join(format!("{job_id}.json")))
    }

    /// The saved state of a job, `None` if it never loaded (or was reset).
    /// A file that does not parse, has another version or names another job is an error.
    pub fn load(&self, job_id: &str) -> Result<Option<JobState>, StateError> {
        let path = self.path(job_id)?;
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StateError::io("read", &path, e)),
        };
        let corrupt = |message: String| StateError::Corrupt {
            job_id: job_id.to_string(),
            path: path.clone(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| corrupt(format!("not valid JSON ({e})")))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(STATE_VERSION) => {}
            Some(v) => {
                return Err(corrupt(format!(
                    "state version {v} is not supported (this ingest reads version {STATE_VERSION})"
                )));
            }
            None => return Err(corrupt("no version number".to_string())),
        }
        let state: JobState = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        if state.job_id != job_id {
            return Err(corrupt(format!("the file holds job `{}`", state.job_id)));
        }
        Ok(Some(state))
    }

    /// Replace the job's state atomically.
    pub fn save(&self, state: &JobState) -> Result<(), StateError> {
        let path = self.path(&state.job_id)?;
        let text = serde_json::to_string_pretty(state).map_err(|e| StateError::Encode {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&path, text.as_bytes())
    }

    /// Remove the job's state; `true` if there was one.
    pub fn reset(&self, job_id: &str) -> Result<bool, StateError> {
        let path = self.path(job_id)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StateError::io("remove", &path, e)),
        }
    }

    /// Every saved state, sorted by job id; an unusable file is an `Err` item, not a failure.
    /// Leftover `.tmp` files and names that are not job ids are ignored.
    pub fn list(&self) -> Result<Vec<Result<JobState, StateError>>, StateError> {
        let folder = self.dir.join("state");
        let entries = match fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StateError::io("list", &folder, e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StateError::io("list", &folder, e))?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if valid_job_id(id) && entry.path().is_file() {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        Ok(ids
            .into_iter()
            .filter_map(|id| self.load(&id).transpose())
            .collect())
    }

    /// Path of the summary file `dir/watermarks.json`.
    pub fn summary_path(&self) -> PathBuf {
        self.dir.join("watermarks.json")
    }

    /// The summary `{job_id: {value, updated_at}}`; empty if missing.
    pub fn read_summary(&self) -> Result<BTreeMap<String, SummaryEntry>, StateError> {
        let path = self.summary_path();
        match fs::read_to_string(&path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| StateError::BadLine {
                path,
                line: e.line(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(StateError::io("read", &path, e)),
        }
    }

    /// Set the job's entry in `watermarks.json` (rewritten atomically). A summary that does
    /// not parse is rebuilt from the state files, since it is only a copy of them.
    pub fn update_summary(&self, state: &JobState) -> Result<(), StateError> {
        let entry = SummaryEntry {
            value: state.watermark.as_ref().map(|w| w.value.clone()),
            updated_at: state.last_success_at.unwrap_or_else(Utc::now),
        };
        self.edit_summary(|map| {
            map.insert(state.job_id.clone(), entry);
        })
    }

    /// Drop the job's entry from `watermarks.json`, if present.
    pub fn remove_from_summary(&self, job_id: &str) -> Result<(), StateError> {
        self.edit_summary(|map| {
            map.remove(job_id);
        })
    }

    fn edit_summary(
        &self,
        edit: impl FnOnce(&mut BTreeMap<String, SummaryEntry>),
    ) -> Result<(), StateError> {
        let _guard = self.summary.lock().unwrap_or_else(|p| p.into_inner());
        let mut map = match self.read_summary() {
            Ok(m) => m,
            Err(StateError::BadLine { .. }) => self.rebuild_summary()?,
            Err(e) => return Err(e),
        };
        edit(&mut map);
        let path = self.summary_path();
        let text = serde_json::to_string_pretty(&map).map_err(|e| StateError::Encode {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&path, text.as_bytes())
    }

    fn rebuild_summary(&self) -> Result<BTreeMap<String, SummaryEntry>, StateError> {
        Ok(self
            .list()?
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let updated_at = s.last_success_at?;
                let value = s.watermark.map(|w| w.value);
                Some((s.job_id, SummaryEntry { value, updated_at }))
            })
            .collect())
    }
}

/// Replace `path` with `bytes` atomically: write `<path>.tmp`, fsync, rename over, fsync the folder.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| StateError::io("create folder", parent, e))?;
    }
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    write().map_err(|e| StateError::io("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| StateError::io("replace", path, e))?;
    sync_dir(path)
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> Result<(), StateError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StateError::io("sync folder", dir, e))
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> Result<(), StateError> {
    Ok(())
}

#[cfg(test)]
mod tests;
