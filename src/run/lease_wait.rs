//! `depends_on` across workers: a job whose lease another live worker holds, while a job of
//! this run depends on it, is waited for. Its lease in the lake is polled until the holder
//! released it with success (the job is loaded: its dependents start), released it after a
//! failure or let it lapse (this worker takes the lease and runs the job itself), or Ctrl-C.

use super::RunCtx;
use super::schedule::Step;
use super::summary::{JobReport, Status};
use crate::config::Job;
use crate::sink::store::Destination;
use crate::table::lease::LeaseDoc;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a job's lease says to a worker waiting for its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A live worker holds it still: wait on.
    Held,
    /// Another worker loaded the job in this round: its dependents may start.
    Loaded,
    /// Released after a failure, lapsed, or gone: take the lease and run the job here.
    Free,
}

/// Judge the job's current lease `doc` at `now`, for worker `me` whose round began at `since`.
pub fn judge(
    doc: Option<&LeaseDoc>,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
    me: &str,
) -> Verdict {
    match doc {
        Some(d) if d.loaded_since(since, me) => Verdict::Loaded,
        Some(d) if !d.is_free(now) => Verdict::Held,
        _ => Verdict::Free,
    }
}

/// How often a waiting worker reads the lease: a quarter of the lease length, at most 5 s
/// (at least 100 ms).
pub fn poll_interval(lease_ttl: Duration) -> Duration {
    (lease_ttl / 4)
        .min(Duration::from_secs(5))
        .max(Duration::from_millis(100))
}

fn at(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The reason of a job this worker waited for and another worker loaded.
pub fn waited_reason(job_id: &str, doc: &LeaseDoc) -> String {
    format!(
        "waited for worker {}'s load of {job_id} (run {}, finished {})",
        doc.holder,
        doc.run_id,
        doc.released_at.as_ref().map(at).unwrap_or_default()
    )
}

/// Sleep `d`, or less when `cancel` is set meanwhile; false when it was.
async fn sleep_unless(cancel: &AtomicBool, d: Duration) -> bool {
    let until = Instant::now() + d;
    loop {
        if cancel.load(Ordering::SeqCst) {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        tokio::time::sleep(left.min(Duration::from_millis(200))).await;
    }
}

/// Wait for `holder`'s load of `job` (a job of this run, `needed_by`, depends on it). Gives
/// [`Step::LoadedElsewhere`] (SKIPPED, audited, its dependents start), [`Step::Free`] (run it
/// here), or [`Step::Ended`] (FAILED: interrupted, or the lease could not be read for a whole
/// lease length).
pub(super) async fn wait<'f>(
    job: &'f Job,
    dest: Arc<Destination>,
    holder: LeaseDoc,
    needed_by: Vec<String>,
    run: RunCtx<'f>,
) -> Step<'f> {
    let started = Utc::now();
    let worker = &run.opts.worker;
    let every = poll_interval(worker.lease_ttl);
    tracing::info!(
        "{}: waiting for worker {}'s load of it (run {}, lease expires {}): {} depends on it; reading the lease every {:.1} s",
        job.job_id,
        holder.holder,
        holder.run_id,
        at(&holder.expires_at),
        needed_by.join(", "),
        every.as_secs_f64()
    );
    let mut last = holder;
    let mut failing: Option<Instant> = None;
    loop {
        if !sleep_unless(run.cancel, every).await {
            let why = format!(
                "interrupted while waiting for worker {}'s load of {} (run {}); nothing was loaded here",
                last.holder, job.job_id, last.run_id
            );
            return Step::Ended(failed(job, why, &dest, run, started).await);
        }
        let doc = match super::lease::read(job, &dest, run.stores).await {
            Ok(doc) => doc,
            Err(e) => {
                let first = *failing.get_or_insert_with(Instant::now);
                if first.elapsed() >= worker.lease_ttl {
                    let why = format!(
                        "could not read its lease while waiting for worker {}'s load: {e}",
                        last.holder
                    );
                    return Step::Ended(failed(job, why, &dest, run, started).await);
                }
                tracing::warn!("{}: could not read its lease (retrying): {e}", job.job_id);
                continue;
            }
        };
        failing = None;
        match judge(
            doc.as_ref(),
            Utc::now(),
            worker.round_start,
            &worker.worker_id,
        ) {
            Verdict::Held => {
                if let Some(d) = doc
                    && d.generation != last.generation
                {
                    tracing::info!(
                        "{}: worker {} holds its lease now (run {}); waiting on",
                        job.job_id,
                        d.holder,
                        d.run_id
                    );
                    last = d;
                }
            }
            Verdict::Loaded => {
                let d = doc.unwrap_or(last);
                run.bars.count(crate::progress::Outcome::Skipped);
                let reason = waited_reason(&job.job_id, &d);
                let report = super::lease::skip(job, reason, &dest, run, started).await;
                return Step::LoadedElsewhere(report);
            }
            Verdict::Free => {
                match doc.filter(|d| d.released_at.is_some()) {
                    Some(d) => tracing::info!(
                        "{}: worker {} released its lease after a failure (run {}); running the job here",
                        job.job_id,
                        d.holder,
                        d.run_id
                    ),
                    None => tracing::info!(
                        "{}: the lease of worker {} lapsed while this worker waited; running the job here",
                        job.job_id,
                        last.holder
                    ),
                }
                return Step::Free;
            }
        }
    }
}

/// A waited-for job that ends here without running: FAILED, logged and audited.
async fn failed(
    job: &Job,
    why: String,
    dest: &Arc<Destination>,
    run: RunCtx<'_>,
    start_time: DateTime<Utc>,
) -> JobReport {
    tracing::error!("{}: FAILED: {why}", job.job_id);
    run.bars.count(crate::progress::Outcome::Failed);
    let mut report = JobReport::empty(&job.job_id, Status::Failed);
    report.error = Some(why);
    report.worker = Some(run.opts.worker.worker_id.clone());
    let record = super::audit_job(job, &report, run.opts, run.run_id, start_time).await;
    super::lake_audit::write(job, dest, run.stores, &record).await;
    report
}

#[cfg(test)]
#[path = "lease_wait_tests.rs"]
mod tests;
