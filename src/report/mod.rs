//! `ingest report`: one self-contained HTML page (inline CSS, SVG and a little JS; nothing
//! loaded from anywhere) from the audit log: the last run as a timeline, per-job trends,
//! failures, watermark lag and a table to sort and filter.

mod html;
mod svg;

use crate::config::LoadType;
use crate::state::audit::{AuditRecord, AuditStatus};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why no report was written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The audit log could not be read.
    #[error(transparent)]
    Audit(#[from] crate::state::StateError),
    /// There is nothing to show.
    #[error("the audit log {} has no job in the last {days} days; run `ingest run` first", path.display())]
    Empty {
        /// The audit log.
        path: PathBuf,
        /// The period asked for.
        days: u32,
    },
    /// The page could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// One run: its jobs' audit records, by start time.
#[derive(Debug, Clone)]
pub struct Run {
    /// Run id.
    pub id: String,
    /// First job start.
    pub start: DateTime<Utc>,
    /// Last job end.
    pub end: DateTime<Utc>,
    /// Its records, by start time.
    pub records: Vec<AuditRecord>,
}

impl Run {
    /// Jobs that failed.
    pub fn failed(&self) -> usize {
        self.count(AuditStatus::Failed)
    }

    /// Jobs that ended with `status`.
    pub fn count(&self, status: AuditStatus) -> usize {
        self.records.iter().filter(|r| r.status == status).count()
    }

    /// Wall time from the first start to the last end.
    pub fn seconds(&self) -> f64 {
        (self.end - self.start).num_milliseconds().max(0) as f64 / 1000.0
    }
}

/// A job over the period: its records, oldest first.
#[derive(Debug, Clone)]
pub struct JobHistory {
    /// Job id.
    pub job_id: String,
    /// Its records, oldest first.
    pub records: Vec<AuditRecord>,
}

impl JobHistory {
    /// The newest record.
    pub fn last(&self) -> Option<&AuditRecord> {
        self.records.last()
    }

    /// Failed runs in the period.
    pub fn failures(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.status == AuditStatus::Failed)
            .count()
    }

    /// The newest watermark of an incremental job and its lag behind `now`, when the
    /// watermark is a date or a timestamp (naive ones read as UTC).
    pub fn watermark_lag(&self, now: DateTime<Utc>) -> Option<(String, Option<Duration>)> {
        let r = self
            .records
            .iter()
            .rev()
            .find(|r| r.load_type == LoadType::Incremental && r.watermark_to.is_some())?;
        let wm = r.watermark_to.clone()?;
        let lag = parse_instant(&wm).map(|t| now - t);
        Some((wm, lag))
    }
}

/// A watermark's text as an instant: RFC 3339, a naive timestamp (UTC) or a date (midnight UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.to_utc());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// What the page shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// When it was made.
    pub now: DateTime<Utc>,
    /// The period, in days.
    pub days: u32,
    /// Runs in the period, oldest first.
    pub runs: Vec<Run>,
    /// Jobs seen in the period, by id.
    pub jobs: Vec<JobHistory>,
}

impl Report {
    /// Group the records of the last `days` days (before `now`) into runs and jobs.
    pub fn build(records: Vec<AuditRecord>, now: DateTime<Utc>, days: u32) -> Report {
        let since = now - Duration::days(i64::from(days));
        let mut runs: BTreeMap<String, Vec<AuditRecord>> = BTreeMap::new();
        let mut jobs: BTreeMap<String, Vec<AuditRecord>> = BTreeMap::new();
        for r in records.into_iter().filter(|r| r.end_time >= since) {
            runs.entry(r.run_id.clone()).or_default().push(r.clone());
            jobs.entry(r.job_id.clone()).or_default().push(r);
        }
        let mut runs: Vec<Run> = runs
            .into_iter()
            .filter_map(|(id, mut records)| {
                records.sort_by_key(|r| (r.start_time, r.end_time));
                let start = records.iter().map(|r| r.start_time).min()?;
                let end = records.iter().map(|r| r.end_time).max()?;
                Some(Run {
                    id,
                    start,
                    end,
                    records,
                })
            })
            .collect();
        runs.sort_by_key(|r| (r.start, r.end));
        let jobs = jobs
            .into_iter()
            .map(|(job_id, mut records)| {
                records.sort_by_key(|r| r.start_time);
                JobHistory { job_id, records }
            })
            .collect();
        Report {
            now,
            days,
            runs,
            jobs,
        }
    }

    /// The newest run.
    pub fn last_run(&self) -> Option<&Run> {
        self.runs.last()
    }

    /// The page.
    pub fn to_html(&self) -> String {
        html::page(self)
    }
}

/// Read the audit log under `state_dir`, keep `days` days and write the page to `out`.
/// Returns the report drawn.
pub fn write(state_dir: &Path, days: u32, out: &Path) -> Result<Report, ReportError> {
    let records = crate::state::audit::read_all(state_dir)?;
    let report = Report::build(records, Utc::now(), days);
    if report.runs.is_empty() {
        return Err(ReportError::Empty {
            path: crate::state::audit::audit_path(state_dir),
            days,
        });
    }
    std::fs::write(out, report.to_html()).map_err(|source| ReportError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(report)
}

/// `45s`, `12m 05s`, `3h 12m`, `2d 4h`.
pub fn human_lag(d: Duration) -> String {
    let s = d.num_seconds();
    if s < 0 {
        return format!("-{}", human_lag(-d));
    }
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
