//! A run: select jobs, take the lock, run them with bounded concurrency, audit, summarise.

pub mod chunk;
mod delta_job;
mod delta_tidy;
pub mod drift;
mod finish;
pub mod job;
mod job_state;
pub mod lake_audit;
pub mod lease;
pub mod lease_wait;
pub mod maintain;
pub mod plan;
pub mod schedule;
pub mod status;
pub mod stores;
pub mod summary;
mod tidy;

use crate::config::{Job, Loaded};
use crate::sink::layout::new_load_id;
use crate::sink::store::Destination;
use crate::state::lock::{DirLock, LockError};
use crate::state::store::StateStore;
use chrono::Utc;
use finish::audit_job;
use futures::FutureExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use summary::{JobReport, Status};

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only these job ids (empty: every enabled job).
    pub jobs: Vec<String>,
    /// Also run the enabled jobs the chosen ones depend on, transitively.
    pub with_deps: bool,
    /// Jobs at the same time.
    pub parallelism: usize,
    /// Plan and print only.
    pub dry_run: bool,
    /// Ignore state for the chosen jobs.
    pub full_refresh: bool,
    /// Folder of state, audit and watermarks.
    pub state_dir: PathBuf,
    /// Chunk retries after transient source errors.
    pub retry: RetryPolicy,
    /// This worker's id and lease length (many workers on one lake).
    pub worker: lease::WorkerOptions,
}

/// How often and how patiently a chunk is re-extracted after a transient source error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries per chunk (0: fail at the first error).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: std::time::Duration,
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based): `backoff × 2^(attempt-1)`.
    pub fn delay(&self, attempt: u32) -> std::time::Duration {
        self.backoff * 2u32.saturating_pow(attempt.saturating_sub(1).min(16))
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--jobs` named something that cannot run.
    #[error("{0}")]
    Selection(String),
    /// Another run holds the lock.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// The state folder is unusable.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

/// The jobs `--jobs` selects (every enabled job when empty).
pub fn select<'a>(jobs: &'a [Job], wanted: &[String]) -> Result<Vec<&'a Job>, RunError> {
    if wanted.is_empty() {
        return Ok(jobs.iter().filter(|j| j.enabled).collect());
    }
    let mut out = Vec::new();
    for name in wanted {
        match jobs.iter().find(|j| j.job_id == *name) {
            Some(j) if j.enabled => out.push(j),
            Some(_) => {
                return Err(RunError::Selection(format!(
                    "job `{name}` is disabled (enabled = N in the workbook)"
                )));
            }
            None => {
                return Err(RunError::Selection(format!(
                    "no job `{name}` in the workbook"
                )));
            }
        }
    }
    Ok(out)
}

/// Run the selected jobs; one failing job does not stop the others.
pub async fn run(loaded: &Loaded, opts: &RunOptions) -> Result<Vec<JobReport>, RunError> {
    let mut selected = select(&loaded.jobs, &opts.jobs)?;
    if opts.with_deps && !opts.jobs.is_empty() {
        selected = schedule::with_upstream(&loaded.jobs, selected);
    }
    let state = Arc::new(StateStore::new(&opts.state_dir)?);
    let mut worker = opts.worker.clone();
    worker.reclaim.push(worker.worker_id.clone());
    let _lock = if opts.dry_run {
        None
    } else {
        let lock = DirLock::acquire(&opts.state_dir)?;
        if let Some(prev) = lock.took_over() {
            // Its leases (under the default worker id) are abandoned: take them at once.
            worker.reclaim.push(format!("{}-{}", prev.host, prev.pid));
            tracing::warn!(
                "a previous run (pid {} on {}, started {}) did not exit cleanly; taking over its lock",
                prev.pid,
                prev.host,
                prev.started_at
            );
        }
        Some(lock)
    };
    let with_reclaim = RunOptions {
        worker,
        ..opts.clone()
    };
    let opts = &with_reclaim;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("interrupted: stopping jobs; nothing partial is committed");
                cancel.store(true, Ordering::SeqCst);
            }
        });
    }
    let run_id = new_load_id(Utc::now());
    let mut destinations: HashMap<String, Arc<Destination>> = HashMap::new();
    let mut prepared = Vec::new();
    for job in selected {
        let dest = match destinations.get(&job.destination.to_ascii_lowercase()) {
            Some(d) => Ok(d.clone()),
            None => open_destination(loaded, job).inspect(|d| {
                destinations.insert(job.destination.to_ascii_lowercase(), d.clone());
            }),
        };
        prepared.push((job, dest));
    }
    if !opts.dry_run {
        // Each (destination, container) once; jobs whose container check failed are FAILED.
        crate::sink::container::check_jobs(&mut prepared).await;
    }
    tracing::info!(
        "run {run_id} on worker {}: {} jobs{}",
        opts.worker.worker_id,
        prepared.len(),
        if opts.dry_run { " (dry run)" } else { "" }
    );
    let jobs: Vec<&Job> = prepared.iter().map(|(j, _)| *j).collect();
    let ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
    let waits = schedule::waits_for(&jobs);
    let stages = schedule::stages(&waits);
    let bars = crate::progress::RunProgress::new(&ids);
    let stores = stores::Stores::default();
    let ctx = RunCtx {
        state: &state,
        opts,
        cancel: &cancel,
        run_id: run_id.as_str(),
        bars: &bars,
        stores: &stores,
    };
    let (prepared, waits_ref, ids_ref) = (&prepared, &waits, &ids);
    let start = |i: usize| {
        let (job, dest) = (prepared[i].0, prepared[i].1.clone());
        // The selected jobs that wait for this one (named when it is waited for).
        let needed_by = (0..waits_ref.len())
            .filter(|&j| waits_ref[j].contains(&i))
            .map(|j| ids_ref[j].to_string())
            .collect();
        run_one(loaded, job, dest, ctx, needed_by).boxed_local()
    };
    let (bars, run_id) = (&bars, run_id.as_str());
    let skip = |i: usize, reason: String| {
        let job = jobs[i];
        async move {
            bars.count(crate::progress::Outcome::Skipped);
            skip_one(job, reason, opts, run_id).await
        }
        .boxed_local()
    };
    let mut reports =
        schedule::drive(&waits, &ids, opts.parallelism, !opts.dry_run, start, skip).await;
    for r in &mut reports {
        r.run_id = Some(run_id.to_string());
    }
    if opts.dry_run {
        for (i, r) in reports.iter_mut().enumerate() {
            r.stage = stages.get(i).copied();
            r.depends_on = waits[i].iter().map(|&d| ids[d].to_string()).collect();
            r.variables = jobs[i].variables.clone();
        }
    }
    Ok(reports)
}

/// A job not started because a dependency failed or was skipped: logged and audited.
async fn skip_one(job: &Job, reason: String, opts: &RunOptions, run_id: &str) -> JobReport {
    tracing::warn!("{}: SKIPPED: {reason}", job.job_id);
    let mut report = JobReport::empty(&job.job_id, Status::Skipped);
    report.reason = Some(reason);
    audit_job(job, &report, opts, run_id, Utc::now()).await;
    report
}

fn open_destination(loaded: &Loaded, job: &Job) -> Result<Arc<Destination>, String> {
    let (name, secret) = loaded
        .secrets
        .destination(&job.destination)
        .ok_or_else(|| format!("no [destinations.{}] in secrets.toml", job.destination))?;
    Destination::from_secret(name, secret)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// What every job of a run shares.
#[derive(Clone, Copy)]
struct RunCtx<'a> {
    state: &'a Arc<StateStore>,
    opts: &'a RunOptions,
    cancel: &'a Arc<AtomicBool>,
    run_id: &'a str,
    bars: &'a crate::progress::RunProgress,
    stores: &'a stores::Stores,
}

async fn run_one<'f>(
    loaded: &'f Loaded,
    job: &'f Job,
    dest: Result<Arc<Destination>, String>,
    run: RunCtx<'f>,
    needed_by: Vec<String>,
) -> schedule::Step<'f> {
    let RunCtx {
        state,
        opts,
        cancel,
        bars,
        ..
    } = run;
    let start_time = Utc::now();
    tracing::info!(
        "{}: started ({} {} from {} `{}`)",
        job.job_id,
        job.load_type,
        job.output_table(),
        job.source_type,
        job.source_name
    );
    let job_lease = match lease::claim(job, &dest, run, needed_by, start_time).await {
        Ok(l) => l,
        Err(step) => return step,
    };
    let progress = bars.start_job(&job.job_id);
    let lake = dest.as_ref().ok().cloned();
    let report = match prepare(loaded, job, dest, opts.retry).await {
        Ok((source, destination)) => {
            let ctx = job::JobContext {
                source,
                destination,
                state: state.clone(),
                full_refresh: opts.full_refresh,
                dry_run: opts.dry_run,
                cancel: cancel.clone(),
                progress: progress.clone(),
                retry: opts.retry,
                lease: job_lease.clone(),
            };
            job::run(job, &ctx).await
        }
        Err(message) => {
            let mut r = JobReport::empty(&job.job_id, Status::Failed);
            r.error = Some(message);
            r
        }
    };
    finish::end(job, report, job_lease, lake, run, (start_time, &progress)).await
}

async fn prepare(
    loaded: &Loaded,
    job: &Job,
    dest: Result<Arc<Destination>, String>,
    retry: RetryPolicy,
) -> Result<(Arc<dyn crate::source::Source>, Arc<Destination>), String> {
    let destination = dest?;
    let (name, settings) = loaded
        .source_of(job)
        .ok_or_else(|| format!("no [sources.{}] in secrets.toml", job.source_name))?;
    let source = crate::source::open_job(name, settings, job, retry)
        .await
        .map_err(|e| e.to_string())?;
    Ok((Arc::from(source), destination))
}
