//! One job into a Delta table (`target_format = delta`): adopt what the table says the job
//! last committed, plan, extract with the same streaming writer, then one Delta commit and the
//! local state. The table is the truth: local state is a cache of its last commit.

use super::chunk::extract_all;
use super::job::{JobContext, JobError, new_boundary_keys};
use super::job_state::{Committed, CommittedLoad, adopt_load, save_committed};
use super::plan::plan;
use super::summary::JobReport;
use crate::config::{Job, LoadType, WriteDisposition};
use crate::plan::CursorValue;
use crate::sink::layout::{TableLayout, new_load_id};
use crate::sink::manifest::ManifestWindow;
use crate::state::store::JobState;
use crate::table::delta::{self, DeltaError, DeltaTarget, Head, LoadInfo};
use chrono::Utc;
use object_store::ObjectStore;
use std::sync::Arc;

/// Load one job into its Delta table (the destination is open, not a dry run).
pub(super) async fn execute(
    job: &Job,
    ctx: &JobContext,
    report: &mut JobReport,
    started_at: chrono::DateTime<Utc>,
    store: Arc<dyn ObjectStore>,
    layout: &TableLayout,
    mut state: Option<JobState>,
) -> Result<(), JobError> {
    if job.write_disposition == WriteDisposition::Merge {
        return Err(DeltaError::MergeNotBuilt.into());
    }
    let mut table = DeltaTarget::open(
        &ctx.destination,
        &job.target_container,
        store.clone(),
        layout,
    )
    .await?;
    let head = table.head(&job.job_id).await?;
    if !ctx.full_refresh {
        adopt_newer_commit(job, ctx, head.as_ref(), &mut state).await?;
    }
    let stored = if ctx.full_refresh {
        None
    } else {
        state.as_ref()
    };
    let plan = plan(job, ctx.source.as_ref(), stored).await?;
    // Refuse columns Delta cannot hold before reading a row.
    delta::delta_schema(&plan.schema)?;
    report.note_window(&plan, stored);
    let load_type = ctx.load_type(job);
    if plan.empty && load_type == LoadType::Incremental {
        tracing::info!("{}: no new rows", job.job_id);
        return Ok(());
    }
    let load_id = new_load_id(Utc::now());
    let loaded = extract_all(job, ctx, &store, layout, &load_id, &plan).await?;
    report.rows_extracted = loaded.rows_extracted;
    report.rows = loaded.rows_written;
    report.files = loaded.files.len() as u64;
    report.bytes = loaded.files.iter().map(|f| f.bytes).sum();
    if load_type == LoadType::Incremental && loaded.rows_written == 0 {
        tracing::info!("{}: no new rows", job.job_id);
        return Ok(());
    }
    let boundary_keys = new_boundary_keys(&plan, loaded.at_hi)?;
    let info = LoadInfo {
        job_id: job.job_id.clone(),
        seq: head.as_ref().map_or(0, |h| h.seq) + 1,
        load_id: load_id.clone(),
        load_type,
        source: job.source_name.clone(),
        table: job.output_table().to_string(),
        window: plan.window.as_ref().map(|w| ManifestWindow {
            column: w.column.clone(),
            kind: w.hi.kind(),
            from: w.lo.as_ref().map(CursorValue::to_text),
            to: Some(w.hi.to_text()),
        }),
        boundary_keys: boundary_keys.clone(),
        rows: loaded.rows_written,
        files: loaded.files.len(),
        started_at,
        finished_at: Utc::now(),
    };
    // The commit: one Delta version makes the load visible; state is a local copy of it.
    ctx.verify_lease().await?;
    let version = table
        .commit(
            &info,
            &plan.schema,
            &loaded.files,
            load_type == LoadType::Full,
        )
        .await?;
    tracing::info!(
        "{}: committed load {} as version {version} of the Delta table",
        job.job_id,
        info.seq
    );
    report.load_id = Some(load_id.clone());
    let new_state = save_committed(
        ctx,
        job,
        &plan,
        state.as_ref(),
        Committed {
            load_id: &load_id,
            label: format!("{load_id} (Delta version {version})"),
            boundary_keys,
            rows: info.rows,
        },
    )
    .await?;
    report.watermark = new_state.watermark.as_ref().map(|w| w.value.clone());
    match table
        .tidy_uncommitted(store.as_ref(), layout, &job.job_id, &load_id)
        .await
    {
        Ok(gone) if !gone.is_empty() => tracing::info!(
            "{}: removed {} files of failed loads",
            job.job_id,
            gone.len()
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(
            "{}: could not remove files of failed loads: {e}",
            job.job_id
        ),
    }
    Ok(())
}

/// A crash between the Delta commit and the state write (or a lost `metadata/` folder) leaves
/// local state behind the table: take the watermark and boundary keys of the job's last
/// commit, so its window is not loaded twice.
async fn adopt_newer_commit(
    job: &Job,
    ctx: &JobContext,
    head: Option<&Head>,
    state: &mut Option<JobState>,
) -> Result<(), JobError> {
    let Some(head) = head else {
        return Ok(());
    };
    let Some(info) = &head.info else {
        tracing::warn!(
            "{}: the table's txn version is {} but its commitInfo is not among the last commits; using local state",
            job.job_id,
            head.seq
        );
        return Ok(());
    };
    adopt_load(
        job,
        ctx,
        state,
        CommittedLoad {
            load_id: &info.load_id,
            window: info.window.as_ref(),
            boundary_keys: &info.boundary_keys,
            finished_at: info.finished_at,
            rows: info.rows,
        },
        &format!(
            "(Delta version {}, txn {}) found in the table",
            head.version, head.seq
        ),
    )
    .await
}
