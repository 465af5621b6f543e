//! The end of a job that ran: its lease is released while its audit record is written (to
//! the state folder and the lake), and the outcome is logged and counted.

use super::lease::JobLease;
use super::summary::{JobReport, Status};
use super::{RunCtx, RunOptions, lake_audit, schedule};
use crate::config::Job;
use crate::progress::{JobProgress, Outcome};
use crate::sink::store::Destination;
use crate::state::audit::{self, AuditRecord, AuditStatus};
use chrono::Utc;
use std::sync::Arc;

/// Release the lease (saying whether the job succeeded) and audit the job at the same time;
/// log and count its outcome.
pub(super) async fn end<'f>(
    job: &Job,
    mut report: JobReport,
    lease: Option<Arc<JobLease>>,
    lake: Option<Arc<Destination>>,
    run: RunCtx<'_>,
    (start_time, progress): (chrono::DateTime<Utc>, &JobProgress),
) -> schedule::Step<'f> {
    let opts = run.opts;
    report.worker = Some(opts.worker.worker_id.clone());
    run.bars.finish_job(
        progress,
        match report.status {
            Status::Failed => Outcome::Failed,
            Status::Skipped => Outcome::Skipped,
            Status::Success => Outcome::Done,
        },
    );
    match report.status {
        Status::Failed => tracing::error!(
            "{}: FAILED: {}",
            job.job_id,
            report.error.as_deref().unwrap_or("")
        ),
        _ => tracing::info!(
            "{}: {} {} rows, {} files, {} bytes in {:.1} s",
            job.job_id,
            format!("{:?}", report.status).to_uppercase(),
            report.rows,
            report.files,
            report.bytes,
            report.seconds
        ),
    }
    let succeeded = report.status != Status::Failed;
    let release = async {
        match lease.and_then(Arc::into_inner) {
            Some(l) => Some(l.release(succeeded).await.as_secs_f64()),
            None => None,
        }
    };
    let record = async {
        if !opts.dry_run {
            let record = audit_job(job, &report, opts, run.run_id, start_time).await;
            if let Some(d) = &lake {
                lake_audit::write(job, d, run.stores, &record).await;
            }
        }
    };
    let (spent, ()) = futures::join!(release, record);
    report.lease_seconds = spent;
    schedule::Step::Ended(report)
}

/// Append the job's audit line (errors are logged: the run goes on); returns the record.
pub(super) async fn audit_job(
    job: &Job,
    report: &JobReport,
    opts: &RunOptions,
    run_id: &str,
    start_time: chrono::DateTime<Utc>,
) -> AuditRecord {
    let record = AuditRecord {
        run_id: run_id.to_string(),
        job_id: job.job_id.clone(),
        load_id: report.load_id.clone(),
        status: match report.status {
            Status::Success => AuditStatus::Success,
            Status::Failed => AuditStatus::Failed,
            Status::Skipped => AuditStatus::Skipped,
        },
        load_type: if opts.full_refresh {
            crate::config::LoadType::Full
        } else {
            job.load_type
        },
        rows_extracted: report.rows_extracted,
        rows_written: report.rows,
        files: report.files,
        bytes: report.bytes,
        watermark_from: report.watermark_from.clone(),
        watermark_to: report.watermark.clone(),
        duration_seconds: report.seconds,
        start_time,
        end_time: Utc::now(),
        error: report.error.clone(),
        schema_change: report.schema_change.clone(),
        reason: report.reason.clone(),
        worker: Some(opts.worker.worker_id.clone()),
    };
    // The append fsyncs: keep it off the async workers.
    let dir = opts.state_dir.clone();
    let line = record.clone();
    match tokio::task::spawn_blocking(move || audit::append(&dir, &line)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!("{}: could not append the audit line: {e}", job.job_id),
        Err(e) => tracing::error!("{}: could not append the audit line: {e}", job.job_id),
    }
    record
}
