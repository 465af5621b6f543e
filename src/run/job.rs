//! One job: adopt a newer manifest, plan, extract, then commit (manifest → state) and tidy.

use super::chunk::extract_all;
use super::drift;
use super::job_state::{Committed, CommittedLoad, adopt_load, off_runtime, save_committed};
use super::plan::{JobPlan, plan, plan_report};
use super::summary::{JobReport, Status};
use super::tidy::tidy;
use crate::config::{Job, LoadType};
use crate::plan::CursorValue;
use crate::plan::PlanError;
use crate::plan::boundary::BOUNDARY_CAP;
use crate::sink::layout::{TableLayout, new_load_id};
use crate::sink::manifest::{self, Manifest, ManifestWindow};
use crate::sink::store::Destination;
use crate::source::Source;
use crate::state::store::{JobState, StateStore};
use chrono::Utc;
use object_store::ObjectStore;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Everything a job needs besides its row of the workbook.
pub struct JobContext {
    /// The source, opened.
    pub source: Arc<dyn Source>,
    /// The destination.
    pub destination: Arc<Destination>,
    /// Local state.
    pub state: Arc<StateStore>,
    /// Ignore stored state: reload everything and replace earlier loads.
    pub full_refresh: bool,
    /// Plan only.
    pub dry_run: bool,
    /// Set on Ctrl-C: stop between batches, commit nothing.
    pub cancel: Arc<AtomicBool>,
    /// Rows and bytes progress.
    pub progress: crate::progress::JobProgress,
    /// How chunks are retried after transient source errors.
    pub retry: super::RetryPolicy,
    /// The job's lease in the lake (`None` in a dry run).
    pub lease: Option<Arc<super::lease::JobLease>>,
}

impl JobContext {
    /// How this run loads `job`: FULL under `--full-refresh`, else the workbook's load type.
    pub fn load_type(&self, job: &Job) -> LoadType {
        if self.full_refresh {
            LoadType::Full
        } else {
            job.load_type
        }
    }
}

impl JobReport {
    /// Record the window's lower bound and the stored watermark (the latter until a commit
    /// moves it).
    pub(super) fn note_window(&mut self, plan: &JobPlan, stored: Option<&JobState>) {
        self.watermark_from = plan
            .window
            .as_ref()
            .and_then(|w| w.lo.as_ref())
            .map(|v| v.to_text());
        self.watermark = stored
            .and_then(|s| s.watermark.as_ref())
            .map(|w| w.value.clone());
    }
}

/// Why a job failed; the message is one line and names what was being done.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Reading the source.
    #[error("{0}")]
    Source(#[from] crate::source::SourceError),
    /// Writing the destination.
    #[error("{0}")]
    Sink(#[from] crate::sink::SinkError),
    /// Reading or writing state.
    #[error("{0}")]
    State(#[from] crate::state::StateError),
    /// Planning the window or chunks.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// The source's columns changed in a way the job's `schema_change` refuses.
    #[error("{0}")]
    Drift(#[from] super::drift::DriftError),
    /// The job's lease was lost to another worker (or lapsed): nothing is committed.
    #[error("{0}")]
    Lease(#[from] crate::table::lease::LeaseError),
    /// Reading or committing a Delta table.
    #[error("{0}")]
    Table(#[from] crate::table::delta::DeltaError),
    /// A chunk failed.
    #[error("chunk {chunk}: {cause}")]
    Chunk {
        /// Chunk number.
        chunk: usize,
        /// What went wrong.
        cause: ChunkCause,
    },
    /// A chunk's task ended without a result (it panicked or was cancelled).
    #[error("a chunk task ended without a result: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The load is committed in the destination, but the local state could not be written.
    #[error(
        "load {load_id} is committed but its state was not saved ({source}); the next run adopts it"
    )]
    StateNotSaved {
        /// The committed load.
        load_id: String,
        /// Why the state was not saved.
        source: crate::state::StateError,
    },
    /// Ctrl-C.
    #[error("interrupted: nothing of this load was committed")]
    Interrupted,
    /// A chunk stopped because another chunk of the load failed.
    #[error("chunk {chunk}: stopped because another chunk failed")]
    Stopped {
        /// Chunk number.
        chunk: usize,
    },
}

impl JobError {
    /// Whether retrying the failed chunk from its start may succeed (a lost source connection,
    /// an unreachable destination).
    pub fn is_transient(&self) -> bool {
        match self {
            JobError::Chunk { cause, .. } => cause.is_transient(),
            JobError::Source(e) => e.is_transient(),
            JobError::Sink(e) => e.is_transient(),
            _ => false,
        }
    }
}

/// What failed inside one chunk.
#[derive(Debug, thiserror::Error)]
pub enum ChunkCause {
    /// Reading the source.
    #[error("{0}")]
    Source(#[from] crate::source::SourceError),
    /// Writing the data files.
    #[error("{0}")]
    Sink(#[from] crate::sink::SinkError),
    /// Filtering the rows at the window's lower bound.
    #[error("boundary filter: {0}")]
    Boundary(#[from] arrow::error::ArrowError),
}

impl ChunkCause {
    /// Whether retrying the chunk from its start may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ChunkCause::Source(e) => e.is_transient(),
            ChunkCause::Sink(e) => e.is_transient(),
            ChunkCause::Boundary(_) => false,
        }
    }
}

/// Run one job and report; never panics, never commits a partial load.
pub async fn run(job: &Job, ctx: &JobContext) -> JobReport {
    let started = Instant::now();
    let started_at = Utc::now();
    let mut report = JobReport::empty(&job.job_id, Status::Success);
    if let Err(e) = execute(job, ctx, &mut report, started_at).await {
        report.status = Status::Failed;
        report.error = Some(e.to_string());
    } else if ctx.dry_run {
        report.status = Status::Skipped;
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

async fn execute(
    job: &Job,
    ctx: &JobContext,
    report: &mut JobReport,
    started_at: chrono::DateTime<Utc>,
) -> Result<(), JobError> {
    let layout = TableLayout::new(
        &job.target_folder_path,
        &job.source_name,
        job.output_table(),
    )
    .for_job(&job.job_id);
    let mut state = {
        let (store, id) = (ctx.state.clone(), job.job_id.clone());
        off_runtime(move || store.load(&id)).await??
    };
    if ctx.dry_run {
        // Plans from local state only: the destination is not opened, nothing is created.
        let stored = if ctx.full_refresh {
            None
        } else {
            state.as_ref()
        };
        let planned = plan(job, ctx.source.as_ref(), stored).await?;
        report.plan = Some(plan_report(job, ctx.source.dialect(), &planned));
        return Ok(());
    }
    let store = ctx.destination.store(&job.target_container)?;
    if job.target_format == crate::config::TargetFormat::Delta {
        return super::delta_job::execute(job, ctx, report, started_at, store, &layout, state)
            .await;
    }
    let previous = if ctx.full_refresh {
        None
    } else {
        adopt_newer_manifest(job, ctx, &store, &layout, &mut state).await?
    };
    // The job's next sequence number: two workers that planned from the same head collide.
    let seq = match &previous {
        Some(m) => m.seq,
        None if ctx.full_refresh => manifest::latest(store.as_ref(), &layout, &job.job_id)
            .await?
            .map_or(0, |m| m.seq),
        None => 0,
    } + 1;
    let stored = if ctx.full_refresh {
        None
    } else {
        state.as_ref()
    };
    let mut plan = plan(job, ctx.source.as_ref(), stored).await?;
    report.note_window(&plan, stored);
    let load_type = ctx.load_type(job);
    // Schema drift is decided before anything is extracted: a refusal touches nothing.
    if let Some(prev) = &previous {
        report.schema_change = drift::check(job, load_type, prev, &plan.schema)?;
        let lake = drift::Lake::Parquet {
            store: store.as_ref(),
            layout: &layout,
        };
        drift::match_previous_keys(job, &mut plan, Some(prev.into()), stored, &lake).await?;
    }
    let load_id = new_load_id(Utc::now());
    if plan.empty && load_type == LoadType::Incremental {
        tracing::info!("{}: no new rows", job.job_id);
        tidy(job, ctx, store.as_ref(), &layout, None, &load_id).await;
        return Ok(());
    }
    let loaded = extract_all(job, ctx, &store, &layout, &load_id, &plan).await?;
    report.rows_extracted = loaded.rows_extracted;
    report.rows = loaded.rows_written;
    report.files = loaded.files.len() as u64;
    report.bytes = loaded.files.iter().map(|f| f.bytes).sum();
    if load_type == LoadType::Incremental && loaded.rows_written == 0 {
        tracing::info!("{}: no new rows", job.job_id);
        tidy(job, ctx, store.as_ref(), &layout, None, &load_id).await;
        return Ok(());
    }
    let boundary_keys = new_boundary_keys(&plan, loaded.at_hi)?;
    let boundary_columns = match &plan.window {
        Some(_) => Some(drift::boundary_columns(job, &plan.schema)?),
        None => None,
    };
    let window = plan.window.as_ref().map(|w| ManifestWindow {
        column: w.column.clone(),
        kind: w.hi.kind(),
        from: w.lo.as_ref().map(CursorValue::to_text),
        to: Some(w.hi.to_text()),
    });
    let manifest = Manifest {
        version: 1,
        load_id: load_id.clone(),
        job_id: job.job_id.clone(),
        load_type,
        source: job.source_name.clone(),
        table: job.output_table().to_string(),
        window,
        boundary_keys: boundary_keys.clone(),
        files: loaded.files,
        rows: loaded.rows_written,
        schema: manifest::schema_fields(&plan.schema),
        started_at,
        finished_at: Utc::now(),
        boundary_columns,
        schema_change: report.schema_change.clone(),
        seq,
        worker: ctx.lease.as_ref().map(|l| l.worker_id.clone()),
        run_id: ctx.lease.as_ref().map(|l| l.run_id.clone()),
    };
    // The commit: the manifest makes the load visible; state is a local copy of it.
    ctx.verify_lease().await?;
    manifest::write(store.as_ref(), &layout, &manifest).await?;
    report.load_id = Some(load_id.clone());
    let new_state = save_committed(
        ctx,
        job,
        &plan,
        state.as_ref(),
        Committed {
            load_id: &load_id,
            label: load_id.clone(),
            boundary_keys,
            rows: manifest.rows,
        },
    )
    .await?;
    report.watermark = new_state.watermark.as_ref().map(|w| w.value.clone());
    tidy(job, ctx, store.as_ref(), &layout, Some(&manifest), &load_id).await;
    Ok(())
}

/// A crash between the manifest and the state write leaves a manifest newer than the state:
/// take its watermark and keys, so the window is not loaded twice. Returns the job's newest
/// manifest (the last committed load), if any.
async fn adopt_newer_manifest(
    job: &Job,
    ctx: &JobContext,
    store: &Arc<dyn ObjectStore>,
    layout: &TableLayout,
    state: &mut Option<JobState>,
) -> Result<Option<Manifest>, JobError> {
    let Some(m) = manifest::latest(store.as_ref(), layout, &job.job_id).await? else {
        return Ok(None);
    };
    adopt_load(
        job,
        ctx,
        state,
        CommittedLoad {
            load_id: &m.load_id,
            window: m.window.as_ref(),
            boundary_keys: &m.boundary_keys,
            finished_at: m.finished_at,
            rows: m.rows,
        },
        "found in the destination",
    )
    .await?;
    Ok(Some(m))
}

pub(super) fn new_boundary_keys(
    plan: &JobPlan,
    at_hi: Vec<String>,
) -> Result<Vec<String>, JobError> {
    let Some(w) = &plan.window else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<String> = at_hi;
    // Keys hashed over other columns (schema drift) are not carried: every row at `hi` was
    // hashed anew over this load's columns.
    if w.lo.as_ref() == Some(&w.hi) && plan.boundary_match.is_none() {
        keys.extend(plan.previous_keys.iter().cloned());
    }
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > BOUNDARY_CAP {
        return Err(PlanError::TooManyAtWatermark {
            rows: keys.len(),
            value: w.hi.to_text(),
            column: w.column.clone(),
        }
        .into());
    }
    Ok(keys)
}
