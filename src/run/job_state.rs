//! A job's local state around a commit: saved after the commit, adopted from a committed load
//! that local state does not know yet, and written off the async workers (it fsyncs).

use super::job::{JobContext, JobError};
use super::plan::JobPlan;
use crate::config::Job;
use crate::plan::Watermark;
use crate::sink::manifest::{self, ManifestWindow};
use crate::state::store::{JobState, STATE_VERSION};
use arrow::datatypes::Schema;
use chrono::Utc;
use sha2::{Digest, Sha256};

/// A load just committed, as the job's new state records it.
pub(super) struct Committed<'a> {
    /// The load.
    pub load_id: &'a str,
    /// How errors name the load (e.g. with its Delta version).
    pub label: String,
    /// Hashes of the keys of its rows at the new watermark.
    pub boundary_keys: Vec<String>,
    /// Rows it wrote.
    pub rows: u64,
}

/// After a commit: the job's new local state (watermark, keys, totals), saved off the async
/// workers. A failure to save is [`JobError::StateNotSaved`]: the load stands, the next run
/// adopts it.
pub(super) async fn save_committed(
    ctx: &JobContext,
    job: &Job,
    plan: &JobPlan,
    previous: Option<&JobState>,
    load: Committed<'_>,
) -> Result<JobState, JobError> {
    let new_state = JobState {
        version: STATE_VERSION,
        job_id: job.job_id.clone(),
        load_type: job.load_type,
        watermark: plan
            .window
            .as_ref()
            .map(|w| Watermark::new(w.column.clone(), &w.hi)),
        boundary_keys: load.boundary_keys,
        last_load_id: Some(load.load_id.to_string()),
        last_success_at: Some(Utc::now()),
        rows_loaded_total: previous.map_or(0, |s| s.rows_loaded_total) + load.rows,
        schema_fingerprint: Some(fingerprint(&plan.schema)),
    };
    save_state(ctx, &new_state).await.map_err(|e| match e {
        JobError::State(source) => JobError::StateNotSaved {
            load_id: load.label,
            source,
        },
        other => other,
    })?;
    Ok(new_state)
}

/// What a committed load (a manifest, a Delta commit) says about its job's state.
pub(super) struct CommittedLoad<'a> {
    /// The load.
    pub load_id: &'a str,
    /// Its cursor window (INCREMENTAL).
    pub window: Option<&'a ManifestWindow>,
    /// Hashes of the keys of its rows at the window's upper bound.
    pub boundary_keys: &'a [String],
    /// When its last file was durable.
    pub finished_at: chrono::DateTime<Utc>,
    /// Rows it wrote.
    pub rows: u64,
}

/// A crash between a commit and the state write (or a lost `metadata/` folder) leaves local
/// state behind the table: take the committed load's watermark and keys, so its window is not
/// loaded twice. Nothing happens when local state already knows the load.
pub(super) async fn adopt_load(
    job: &Job,
    ctx: &JobContext,
    state: &mut Option<JobState>,
    load: CommittedLoad<'_>,
    found_in: &str,
) -> Result<(), JobError> {
    let known = state.as_ref().and_then(|s| s.last_load_id.clone());
    if known.as_deref().is_some_and(|id| id >= load.load_id) {
        return Ok(());
    }
    tracing::warn!(
        "{}: adopting load {} {found_in} (newer than local state)",
        job.job_id,
        load.load_id
    );
    let previous_total = state.as_ref().map_or(0, |s| s.rows_loaded_total);
    let adopted = JobState {
        version: STATE_VERSION,
        job_id: job.job_id.clone(),
        load_type: job.load_type,
        watermark: load.window.and_then(|w| {
            w.to.as_ref().map(|to| Watermark {
                column: w.column.clone(),
                kind: w.kind,
                value: to.clone(),
            })
        }),
        boundary_keys: load.boundary_keys.to_vec(),
        last_load_id: Some(load.load_id.to_string()),
        last_success_at: Some(load.finished_at),
        rows_loaded_total: previous_total + load.rows,
        schema_fingerprint: None,
    };
    save_state(ctx, &adopted).await?;
    *state = Some(adopted);
    Ok(())
}

/// Run file work that reads or fsyncs on a blocking thread, off the async workers.
pub(super) async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, JobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(JobError::Task)
}

/// Save a job's state and the summary of all jobs (both fsync) off the async workers.
pub(super) async fn save_state(ctx: &JobContext, state: &JobState) -> Result<(), JobError> {
    let (store, state) = (ctx.state.clone(), state.clone());
    off_runtime(move || {
        store.save(&state)?;
        store.update_summary(&state)
    })
    .await??;
    Ok(())
}

fn fingerprint(schema: &Schema) -> String {
    let text = serde_json::to_string(&manifest::schema_fields(schema)).unwrap_or_default();
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
