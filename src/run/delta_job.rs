//! One job into a Delta table (`target_format = delta`): adopt what the table says the job
//! last committed, plan, extract with the same streaming writer, then one Delta commit and the
//! local state. The table is the truth: local state is a cache of its last commit.

use super::chunk::extract_all;
use super::delta_tidy;
use super::drift::{self, PreviousLoad};
use super::job::{JobContext, JobError, new_boundary_keys};
use super::job_state::{Committed, CommittedLoad, adopt_load, save_committed};
use super::plan::{JobPlan, plan};
use super::summary::JobReport;
use crate::config::{Job, LoadType, WriteDisposition};
use crate::plan::CursorValue;
use crate::plan::column::column_index;
use crate::sink::layout::{TableLayout, new_load_id};
use crate::sink::manifest::{self, ManifestWindow};
use crate::state::store::JobState;
use crate::table::delta::{DeltaError, DeltaTarget, Head, LoadInfo};
use crate::table::delta_merge::{self, MergeLoad};
use crate::table::delta_schema::SchemaPlan;
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
    let merging = job.write_disposition == WriteDisposition::Merge;
    if merging && job.primary_key.is_empty() {
        return Err(DeltaError::MergeNeeds("a primary_key").into());
    }
    if merging {
        // A killed load's staged rows: never part of the table, removed before a new load.
        let removed = delta_merge::remove_staged(&store, layout, &job.job_id, None).await;
        if removed > 0 {
            tracing::info!(
                "{}: removed {removed} staged files of an unfinished load",
                job.job_id
            );
        }
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
    let mut plan = plan(job, ctx.source.as_ref(), stored).await?;
    report.note_window(&plan, stored);
    let load_type = ctx.load_type(job);
    // Refuse columns Delta cannot hold, and schema changes the policy refuses, before reading
    // a row.
    let columns = table.plan_schema(
        &plan.schema,
        job,
        load_type == LoadType::Full,
        ctx.full_refresh,
    )?;
    if let Some(diff) = &columns.diff {
        tracing::warn!(
            "{}: the columns of `{}` differ from the Delta table's: {diff}",
            job.job_id,
            job.output_table()
        );
    }
    report.schema_change = columns.diff.clone();
    if plan.empty && load_type == LoadType::Incremental {
        tracing::info!("{}: no new rows", job.job_id);
        tidy_to_head(job, ctx, &table, store.as_ref(), layout, head.as_ref()).await;
        return Ok(());
    }
    if !merging {
        // Rows at the watermark told apart by hashes over columns that changed since (a merge
        // matches by key and needs none of this).
        let lake = drift::Lake::Delta {
            store: store.as_ref(),
            table: &table,
        };
        let previous = match head.as_ref() {
            Some(Head {
                info: Some(info), ..
            }) => Some(PreviousLoad::from(info)),
            // Its record is not among the recent commits: what it hashed is unknown.
            Some(_) => stored
                .and_then(|s| s.last_load_id.as_deref())
                .map(PreviousLoad::unknown),
            None => None,
        };
        drift::match_previous_keys(job, &mut plan, previous, stored, &lake).await?;
    }
    let load_id = new_load_id(Utc::now());
    let staging = layout.staging(&load_id);
    let written_to = if merging { &staging } else { layout };
    let loaded = extract_all(job, ctx, &store, written_to, &load_id, &plan).await?;
    report.rows_extracted = loaded.rows_extracted;
    report.rows = loaded.rows_written;
    report.files = loaded.files.len() as u64;
    report.bytes = loaded.files.iter().map(|f| f.bytes).sum();
    if load_type == LoadType::Incremental && loaded.rows_written == 0 {
        tracing::info!("{}: no new rows", job.job_id);
        tidy_to_head(job, ctx, &table, store.as_ref(), layout, head.as_ref()).await;
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
        schema: Some(manifest::schema_fields(&plan.schema)),
        boundary_columns: match &plan.window {
            Some(_) => Some(drift::boundary_columns(job, &plan.schema)?),
            None => None,
        },
    };
    crate::fault::point("delta-before-commit");
    // The commit: one Delta version makes the load visible; state is a local copy of it.
    ctx.verify_lease().await?;
    let version = if merging {
        let merged = merge(job, &mut table, &info, &plan, &columns, load_type).await;
        delta_merge::remove_staged(&store, layout, &job.job_id, Some(&load_id)).await;
        merged?
    } else {
        table
            .commit(
                &info,
                &plan.schema,
                &columns,
                &loaded.files,
                load_type == LoadType::Full,
            )
            .await?
    };
    tracing::info!(
        "{}: committed load {} as version {version} of the Delta table",
        job.job_id,
        info.seq
    );
    crate::fault::point("delta-after-commit");
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
    delta_tidy::tidy(job, ctx, &table, store.as_ref(), layout, &load_id).await;
    Ok(())
}

/// Merge the staged increment by primary key (a FULL reload replaces the table with it).
async fn merge(
    job: &Job,
    table: &mut DeltaTarget,
    info: &LoadInfo,
    plan: &JobPlan,
    columns: &SchemaPlan,
    load_type: LoadType,
) -> Result<i64, JobError> {
    let name = |c: &str| -> Result<String, JobError> {
        Ok(plan
            .schema
            .field(column_index(&plan.schema, c)?)
            .name()
            .clone())
    };
    let keys = job
        .primary_key
        .iter()
        .map(|k| name(k))
        .collect::<Result<Vec<_>, _>>()?;
    let cursor = match (&plan.window, &job.watermark_column) {
        (Some(w), _) => name(&w.column)?,
        (None, Some(c)) => name(c)?,
        (None, None) => return Err(DeltaError::MergeNeeds("a watermark_column").into()),
    };
    Ok(table
        .merge(MergeLoad {
            info,
            schema: plan.schema.clone(),
            columns,
            keys: &keys,
            cursor: &cursor,
            replace: load_type == LoadType::Full,
        })
        .await?)
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

/// A run that commits nothing tidies the leftovers of loads older than the job's last commit.
async fn tidy_to_head(
    job: &Job,
    ctx: &JobContext,
    table: &DeltaTarget,
    store: &dyn ObjectStore,
    layout: &TableLayout,
    head: Option<&Head>,
) {
    if let Some(info) = head.and_then(|h| h.info.as_ref()) {
        delta_tidy::tidy(job, ctx, table, store, layout, &info.load_id).await;
    }
}
