//! `ingest maintain`: OPTIMIZE then VACUUM each selected Delta job's table, one job after the
//! other (Parquet tables are listed as skipped), and for every job delete its lake audit
//! records older than `--keep-audit-days`, never the record of its last committed load. One
//! failing job does not stop the others.

use super::summary::{Status, human_bytes};
use super::{lake_audit, select};
use crate::config::{Job, Loaded, TargetFormat};
use crate::sink::layout::TableLayout;
use crate::sink::manifest;
use crate::sink::store::{Destination, redact};
use crate::table::delta::DeltaTarget;
use crate::table::maintain::{MaintainOptions, Maintained};
use chrono::{DateTime, TimeDelta, Utc};
use object_store::ObjectStore;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

/// The outcome of maintaining one job's table.
#[derive(Debug, Clone, Serialize)]
pub struct MaintainReport {
    /// Job id.
    pub job_id: String,
    /// How it ended.
    pub status: Status,
    /// `{container}/{table root}`.
    pub table: Option<String>,
    /// What OPTIMIZE and VACUUM did (successful jobs).
    #[serde(flatten)]
    pub done: Maintained,
    /// Lake audit records deleted (older than `--keep-audit-days`).
    pub audit_records_removed: u64,
    /// Wall time.
    pub seconds: f64,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error, one line, for failed jobs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl MaintainReport {
    fn new(job: &Job, status: Status) -> MaintainReport {
        MaintainReport {
            job_id: job.job_id.clone(),
            status,
            table: None,
            done: Maintained::default(),
            audit_records_removed: 0,
            seconds: 0.0,
            reason: None,
            error: None,
        }
    }
}

/// Maintain the selected jobs' tables (`--jobs`; every enabled job when empty) and prune their
/// lake audit records older than `keep_audit_days`.
pub async fn maintain(
    loaded: &Loaded,
    jobs: &[String],
    opts: MaintainOptions,
    keep_audit_days: u32,
) -> Result<Vec<MaintainReport>, super::RunError> {
    let selected = select(&loaded.jobs, jobs)?;
    let cutoff = Utc::now() - TimeDelta::days(i64::from(keep_audit_days));
    let mut reports = Vec::new();
    for job in selected {
        let started = Instant::now();
        let mut report = match one(loaded, job, opts, cutoff).await {
            Ok(r) => r,
            Err(e) => {
                let mut r = MaintainReport::new(job, Status::Failed);
                r.error = Some(e);
                r
            }
        };
        report.seconds = started.elapsed().as_secs_f64();
        match report.status {
            Status::Failed => tracing::error!(
                "{}: maintenance FAILED: {}",
                job.job_id,
                report.error.as_deref().unwrap_or("")
            ),
            _ => tracing::info!(
                "{}: maintenance {}, {} lake audit records removed",
                job.job_id,
                format!("{:?}", report.status).to_uppercase(),
                report.audit_records_removed
            ),
        }
        reports.push(report);
    }
    Ok(reports)
}

async fn one(
    loaded: &Loaded,
    job: &Job,
    opts: MaintainOptions,
    cutoff: DateTime<Utc>,
) -> Result<MaintainReport, String> {
    let (name, secret) = loaded
        .secrets
        .destination(&job.destination)
        .ok_or_else(|| format!("no [destinations.{}] in secrets.toml", job.destination))?;
    let destination = Destination::from_secret(name, secret).map_err(|e| e.to_string())?;
    let store = destination
        .store(&job.target_container)
        .map_err(|e| e.to_string())?;
    let layout = TableLayout::new(
        &job.target_folder_path,
        &job.source_name,
        job.output_table(),
    );
    let (mut report, last) = match job.target_format {
        TargetFormat::Delta => delta(job, &destination, store.clone(), &layout, opts).await?,
        TargetFormat::Parquet => {
            let mut r = MaintainReport::new(job, Status::Skipped);
            r.reason = Some(
                "target_format = parquet: only Delta tables are compacted and vacuumed".into(),
            );
            let last = manifest::latest(store.as_ref(), &layout, &job.job_id)
                .await
                .map_err(|e| e.to_string())?
                .map(|m| (m.load_id, m.finished_at));
            (r, last)
        }
    };
    let folder = lake_audit::audit_folder(layout.prefix(), &job.job_id);
    let keep = last.as_ref().map(|(id, at)| (id.as_str(), *at));
    report.audit_records_removed = lake_audit::prune(store.as_ref(), &folder, cutoff, keep)
        .await
        .map_err(|e| {
            format!(
                "pruning the lake audit records in {folder}: {}",
                redact(&e.to_string())
            )
        })?;
    Ok(report)
}

/// OPTIMIZE and VACUUM a Delta table; also returns its last committed load (id, finished).
async fn delta(
    job: &Job,
    destination: &Destination,
    store: Arc<dyn ObjectStore>,
    layout: &TableLayout,
    opts: MaintainOptions,
) -> Result<(MaintainReport, Option<(String, DateTime<Utc>)>), String> {
    let layout = layout.clone().for_job(&job.job_id);
    let target = DeltaTarget::open(destination, &job.target_container, store, &layout)
        .await
        .map_err(|e| e.to_string())?;
    let mut report = MaintainReport::new(job, Status::Success);
    report.table = Some(target.name().to_string());
    if target.version().is_none() {
        report.status = Status::Skipped;
        report.reason = Some("no Delta table yet (the job has not loaded)".into());
        return Ok((report, None));
    }
    let head = target.head(&job.job_id).await.map_err(|e| e.to_string())?;
    let info = head.as_ref().and_then(|h| h.info.as_ref());
    report.done = target
        .maintain(info, opts)
        .await
        .map_err(|e| e.to_string())?;
    Ok((report, info.map(|i| (i.load_id.clone(), i.finished_at))))
}

/// The summary table: one line per job.
pub fn render_text(reports: &[MaintainReport]) -> String {
    let mut out = format!(
        "{:<24} {:<8} {:>9} {:>10} {:>8} {:>9} {:>10} {:>6} {:>8}\n",
        "job", "status", "compacted", "bytes", "written", "vacuumed", "bytes", "audit", "seconds"
    );
    for r in reports {
        let d = &r.done;
        out.push_str(&format!(
            "{:<24} {:<8} {:>9} {:>10} {:>8} {:>9} {:>10} {:>6} {:>8.1}\n",
            r.job_id,
            format!("{:?}", r.status).to_uppercase(),
            d.files_compacted,
            human_bytes(d.bytes_compacted),
            d.files_written,
            d.files_vacuumed,
            human_bytes(d.bytes_vacuumed),
            r.audit_records_removed,
            r.seconds
        ));
        if let Some(why) = r.reason.as_deref().or(r.error.as_deref()) {
            out.push_str(&format!("  {why}\n"));
        }
    }
    out
}

/// The reports as a JSON array.
pub fn render_json(reports: &[MaintainReport]) -> String {
    serde_json::to_string_pretty(reports).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
