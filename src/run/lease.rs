//! A job's lease while it runs: taken before planning, renewed by a background task every
//! third of its length, checked right before the commit, released at the end (also after a
//! failure). Time spent on lease calls is counted, for the benchmark.

use super::RunCtx;
use super::schedule::Step;
use super::stores::Stores;
use super::summary::{JobReport, Status};
use crate::config::Job;
use crate::sink::layout::TableLayout;
use crate::sink::store::Destination;
use crate::table::lease::{self, Acquired, Claim, Lease, LeaseDoc, LeaseError};
use chrono::Utc;
use futures::FutureExt;
use object_store::ObjectStore;
use object_store::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Who this worker is, and how long its leases last.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// `--worker-id`: shown in logs, audit, leases and manifests.
    pub worker_id: String,
    /// `--lease-seconds`.
    pub lease_ttl: Duration,
    /// Holders whose leases this worker takes at once: its own id, and the default id of the
    /// run that was killed in its state folder (found by the state folder's lock).
    pub reclaim: Vec<String>,
    /// When this worker's run began: jobs another worker loaded since are done for this round.
    pub round_start: chrono::DateTime<Utc>,
}

/// The default worker id: host name and process id.
pub fn default_worker_id() -> String {
    format!("{}-{}", crate::state::lock::host_name(), std::process::id())
}

/// A lease this worker holds for a running job.
pub struct JobLease {
    lease: Arc<tokio::sync::Mutex<Option<Lease>>>,
    lost: Arc<Mutex<Option<String>>>,
    spent: Arc<Mutex<Duration>>,
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    job_id: String,
    /// This worker's id.
    pub worker_id: String,
    /// This worker's run id.
    pub run_id: String,
}

/// What taking a job's lease gave.
pub enum Taken {
    /// Held by this worker now.
    Mine(JobLease),
    /// A live worker holds it: skip the job.
    Busy(LeaseDoc),
    /// Another worker loaded the job since this run began: skip it, it is done for this round.
    Done(LeaseDoc),
}

impl Taken {
    /// Why the job is skipped; `None` when this worker holds the lease.
    pub fn skip_reason(&self) -> Option<String> {
        let at = |t: &chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        match self {
            Taken::Mine(_) => None,
            Taken::Busy(doc) => Some(format!(
                "worker {} holds its lease since {} (run {}, expires {})",
                doc.holder,
                at(&doc.acquired_at),
                doc.run_id,
                at(&doc.expires_at)
            )),
            Taken::Done(doc) => Some(format!(
                "worker {} loaded it since this run began (run {}, finished {})",
                doc.holder,
                doc.run_id,
                doc.released_at.as_ref().map(at).unwrap_or_default()
            )),
        }
    }
}

fn add(spent: &Mutex<Duration>, d: Duration) {
    if let Ok(mut s) = spent.lock() {
        *s += d;
    }
}

/// The store and folder of `job`'s lease.
fn place(
    job: &Job,
    dest: &Destination,
    stores: &Stores,
) -> Result<(Arc<dyn ObjectStore>, Path), String> {
    let store = stores
        .get(dest, &job.target_container)
        .map_err(|e| e.to_string())?;
    let layout = TableLayout::new(
        &job.target_folder_path,
        &job.source_name,
        job.output_table(),
    );
    Ok((store, lease::lease_folder(layout.prefix(), &job.job_id)))
}

/// `job`'s current lease generation, as the lake has it now.
pub(super) async fn read(
    job: &Job,
    dest: &Destination,
    stores: &Stores,
) -> Result<Option<LeaseDoc>, String> {
    let (store, folder) = place(job, dest, stores)?;
    lease::current(store.as_ref(), &folder)
        .await
        .map_err(|e| e.to_string())
}

/// Take `job`'s lease on its destination (the job's table folder).
pub(super) async fn take(
    job: &Job,
    dest: &Destination,
    worker: &WorkerOptions,
    run_id: &str,
    stores: &Stores,
) -> Result<Taken, String> {
    let started = Instant::now();
    let (store, folder) = place(job, dest, stores)?;
    let claim = Claim {
        job_id: &job.job_id,
        holder: &worker.worker_id,
        run_id,
        ttl: worker.lease_ttl,
        reclaim: &worker.reclaim,
        since: Some(worker.round_start),
    };
    let lease = match lease::acquire(store, folder, &claim)
        .await
        .map_err(|e| e.to_string())?
    {
        Acquired::Held(doc) => return Ok(Taken::Busy(doc)),
        Acquired::Done(doc) => return Ok(Taken::Done(doc)),
        Acquired::Taken(l) => *l,
    };
    if let Some(old) = &lease.took_over {
        tracing::warn!(
            "{}: took over the lease of worker {} (run {}), which was not released (expires {}; a holder of this worker's id or a run killed in its state folder is taken over at once)",
            job.job_id,
            old.holder,
            old.run_id,
            old.expires_at
        );
    }
    let spent = Arc::new(Mutex::new(started.elapsed()));
    let lost = Arc::new(Mutex::new(None));
    let ttl = lease.ttl();
    let lease = Arc::new(tokio::sync::Mutex::new(Some(lease)));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(renew_loop(
        job.job_id.clone(),
        ttl,
        lease.clone(),
        (lost.clone(), spent.clone()),
        stopped,
    ));
    Ok(Taken::Mine(JobLease {
        lease,
        lost,
        spent,
        task,
        stop,
        job_id: job.job_id.clone(),
        worker_id: worker.worker_id.clone(),
        run_id: run_id.to_string(),
    }))
}

/// Renew every third of the lease's length until lost or released. A failed renewal that is
/// not a loss (the store was unreachable) is retried at the next tick; the lease lapses on its
/// own if the store stays away.
async fn renew_loop(
    job_id: String,
    ttl: Duration,
    lease: Arc<tokio::sync::Mutex<Option<Lease>>>,
    (lost, spent): (Arc<Mutex<Option<String>>>, Arc<Mutex<Duration>>),
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let period = (ttl / 3).max(Duration::from_millis(100));
    // Ticks keep their rhythm however long a renewal takes.
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Stopping between renewals only: a renewal is never cut off half-way.
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        let mut guard = lease.lock().await;
        let Some(l) = guard.as_mut() else {
            return;
        };
        let started = Instant::now();
        let result = l.renew().await;
        add(&spent, started.elapsed());
        match result {
            Ok(()) => {}
            Err(LeaseError::Lost { why, .. }) => {
                tracing::error!("{job_id}: lost its lease: {why}; the job stops before its commit");
                if let Ok(mut slot) = lost.lock() {
                    *slot = Some(why);
                }
                return;
            }
            Err(e) => tracing::warn!("{job_id}: could not renew the lease: {e}"),
        }
    }
}

impl JobLease {
    /// Right before a commit: fail if the lease was lost (the commit is then not attempted;
    /// the sequence number fences the window between this check and the commit).
    pub async fn verify(&self) -> Result<(), LeaseError> {
        if let Ok(slot) = self.lost.lock()
            && let Some(why) = slot.as_ref()
        {
            return Err(LeaseError::Lost {
                job_id: self.job_id.clone(),
                why: why.clone(),
            });
        }
        let mut guard = self.lease.lock().await;
        let Some(l) = guard.as_mut() else {
            return Err(LeaseError::Lost {
                job_id: self.job_id.clone(),
                why: "it was already released".into(),
            });
        };
        let started = Instant::now();
        let result = l.check().await;
        add(&self.spent, started.elapsed());
        result
    }

    /// Stop renewing and release, saying whether the job `succeeded`; returns the time spent
    /// on lease calls for this job.
    pub async fn release(self, succeeded: bool) -> Duration {
        let job_id = &self.job_id;
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let taken = self.lease.lock().await.take();
        if let Some(l) = taken {
            let started = Instant::now();
            if let Err(e) = l.release(succeeded).await {
                tracing::warn!("{job_id}: could not release the lease (it lapses by itself): {e}");
            }
            add(&self.spent, started.elapsed());
        }
        self.spent.lock().map(|s| *s).unwrap_or_default()
    }
}

impl super::job::JobContext {
    /// Right before a commit: the lease is still this worker's (renewed now), else
    /// [`super::job::JobError::Lease`] and nothing is committed.
    pub async fn verify_lease(&self) -> Result<(), super::job::JobError> {
        if let Some(l) = &self.lease {
            l.verify().await?;
        }
        Ok(())
    }
}

/// A job whose lease a live worker holds, or that another worker loaded in this round:
/// SKIPPED (not a failure) for `reason`, logged and audited, also in the lake.
pub(super) async fn skip(
    job: &Job,
    reason: String,
    dest: &Destination,
    run: RunCtx<'_>,
    start_time: chrono::DateTime<Utc>,
) -> JobReport {
    tracing::info!("{}: SKIPPED: {reason}", job.job_id);
    let mut report = JobReport::empty(&job.job_id, Status::Skipped);
    report.reason = Some(reason);
    report.worker = Some(run.opts.worker.worker_id.clone());
    let record = super::audit_job(job, &report, run.opts, run.run_id, start_time).await;
    super::lake_audit::write(job, dest, run.stores, &record).await;
    report
}

/// Before a job runs, take its lease. `Ok(Some(lease))`: this worker holds it. `Ok(None)`: no
/// lease (a dry run, or no destination: the job fails on that by itself). `Err(step)`: the job
/// does not run here now — another worker loaded it in this round, holds it (the schedule
/// skips it or waits for it, see [`super::lease_wait`]), or the lease could not be taken.
pub(super) async fn claim<'f>(
    job: &'f Job,
    dest: &Result<Arc<Destination>, String>,
    run: RunCtx<'f>,
    needed_by: Vec<String>,
    start_time: chrono::DateTime<Utc>,
) -> Result<Option<Arc<JobLease>>, Step<'f>> {
    let (Ok(d), false) = (dest, run.opts.dry_run) else {
        return Ok(None);
    };
    let skipped = crate::progress::Outcome::Skipped;
    match take(job, d, &run.opts.worker, run.run_id, run.stores).await {
        Ok(Taken::Mine(l)) => Ok(Some(Arc::new(l))),
        Ok(done @ Taken::Done(_)) => {
            run.bars.count(skipped);
            let reason = done.skip_reason().unwrap_or_default();
            let report = skip(job, reason, d, run, start_time).await;
            Err(Step::LoadedElsewhere(report))
        }
        Ok(Taken::Busy(doc)) => {
            let reason = Taken::Busy(doc.clone()).skip_reason().unwrap_or_default();
            let dest = d.clone();
            let skip = async move {
                run.bars.count(skipped);
                skip(job, reason, &dest, run, start_time).await
            };
            let wait = super::lease_wait::wait(job, d.clone(), doc, needed_by, run);
            Err(Step::Held {
                skip: skip.boxed_local(),
                wait: wait.boxed_local(),
            })
        }
        Err(message) => {
            run.bars.count(crate::progress::Outcome::Failed);
            tracing::error!(
                "{}: FAILED: could not take its lease: {message}",
                job.job_id
            );
            let mut r = JobReport::empty(&job.job_id, Status::Failed);
            r.error = Some(message);
            super::audit_job(job, &r, run.opts, run.run_id, start_time).await;
            Err(Step::Ended(r))
        }
    }
}
