//! The audit log `audit_log.jsonl`: one JSON line per job per run, appended and synced.

use super::StateError;
use crate::config::LoadType;
use crate::sink::schema_diff::SchemaDiff;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// File name of the audit log inside the state directory.
pub const AUDIT_FILE: &str = "audit_log.jsonl";

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AuditStatus {
    /// Loaded and committed.
    Success,
    /// Failed; state untouched.
    Failed,
    /// Not run (e.g. nothing new, or skipped by the run).
    Skipped,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The run this job belonged to.
    pub run_id: String,
    /// The job.
    pub job_id: String,
    /// The load id, when a load started.
    pub load_id: Option<String>,
    /// How it ended.
    pub status: AuditStatus,
    /// FULL or INCREMENTAL.
    pub load_type: LoadType,
    /// Rows read from the source.
    pub rows_extracted: u64,
    /// Rows written to Parquet.
    pub rows_written: u64,
    /// Data files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Watermark before the load (text form).
    pub watermark_from: Option<String>,
    /// Watermark after the load (text form).
    pub watermark_to: Option<String>,
    /// Wall time of the job.
    pub duration_seconds: f64,
    /// When the job started.
    pub start_time: DateTime<Utc>,
    /// When the job ended.
    pub end_time: DateTime<Utc>,
    /// The error, for a failed job (never holds a secret: callers pass redacted messages).
    pub error: Option<String>,
    /// How the source's columns differ from the last committed load's, when they do.
    #[serde(default)]
    pub schema_change: Option<SchemaDiff>,
    /// Why a SKIPPED job did not run, e.g. "dependency `a` failed".
    #[serde(default)]
    pub reason: Option<String>,
    /// The worker (`--worker-id`) that ran the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
}

/// Path of the audit log under a state directory.
pub fn audit_path(dir: &Path) -> PathBuf {
    dir.join(AUDIT_FILE)
}

/// Append one record as one line (a single `write_all` on an append-mode file, then `sync_data`).
pub fn append(dir: &Path, rec: &AuditRecord) -> Result<(), StateError> {
    let path = audit_path(dir);
    let mut line = serde_json::to_string(rec).map_err(|e| StateError::Encode {
        path: path.clone(),
        message: e.to_string(),
    })?;
    line.push('\n');
    fs::create_dir_all(dir).map_err(|e| StateError::io("create folder", dir, e))?;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| StateError::io("open", &path, e))?;
    f.write_all(line.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| StateError::io("append to", &path, e))
}

/// Every record of the audit log, in file order; empty if there is no log yet.
pub fn read_all(dir: &Path) -> Result<Vec<AuditRecord>, StateError> {
    let path = audit_path(dir);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StateError::io("read", &path, e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| StateError::BadLine {
                path: path.clone(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(job: &str, status: AuditStatus) -> AuditRecord {
        let t0 = DateTime::parse_from_rfc3339("2026-01-22T03:15:00Z")
            .unwrap()
            .to_utc();
        AuditRecord {
            run_id: "run-1".into(),
            job_id: job.into(),
            load_id: Some("20260122T031500.000000Z".into()),
            status,
            load_type: LoadType::Full,
            rows_extracted: 10,
            rows_written: 9,
            files: 1,
            bytes: 2048,
            watermark_from: None,
            watermark_to: Some("2026-01-22T00:00:00".into()),
            duration_seconds: 1.5,
            start_time: t0,
            end_time: t0 + chrono::Duration::milliseconds(1500),
            error: (status == AuditStatus::Failed).then(|| "boom\nsecond line".to_string()),
            schema_change: None,
            worker: None,
            reason: (status == AuditStatus::Skipped).then(|| "dependency `a` failed".to_string()),
        }
    }

    #[test]
    fn lines_parse_back() {
        let dir = tempfile::tempdir().unwrap();
        let meta = dir.path().join("metadata");
        assert!(read_all(&meta).unwrap().is_empty());
        let recs = [
            rec("a", AuditStatus::Success),
            rec("b", AuditStatus::Failed),
            rec("c", AuditStatus::Skipped),
        ];
        for r in &recs {
            append(&meta, r).unwrap();
        }
        assert_eq!(read_all(&meta).unwrap(), recs);
        let text = fs::read_to_string(audit_path(&meta)).unwrap();
        assert_eq!(text.lines().count(), 3);
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let mut keys: Vec<_> = first.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let mut want = vec![
            "run_id",
            "job_id",
            "load_id",
            "status",
            "load_type",
            "rows_extracted",
            "rows_written",
            "files",
            "bytes",
            "watermark_from",
            "watermark_to",
            "duration_seconds",
            "start_time",
            "end_time",
            "error",
            "schema_change",
            "reason",
        ];
        want.sort();
        assert_eq!(keys, want);
        assert_eq!(first["status"], "SUCCESS");
        assert_eq!(first["load_type"], "FULL");
        assert_eq!(first["start_time"], "2026-01-22T03:15:00Z");
    }

    #[test]
    fn bad_line_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &rec("a", AuditStatus::Success)).unwrap();
        let mut f = OpenOptions::new()
            .append(true)
            .open(audit_path(dir.path()))
            .unwrap();
        f.write_all(b"{oops\n").unwrap();
        let err = read_all(dir.path()).unwrap_err();
        assert!(matches!(err, StateError::BadLine { line: 2, .. }), "{err}");
    }
}
