//! Planning one job against its source: schema, incremental window, chunks; the dry-run printout.

use super::job::JobError;
use crate::config::{Job, LoadType};
use crate::plan::boundary::MatchColumn;
use crate::plan::chunk::{self, Chunk};
use crate::plan::partition;
use crate::plan::sql::{self, Relation};
use crate::plan::window::{Window, cursor_column, lower_bound, window_within};
use crate::plan::{CursorKind, CursorValue};
use crate::source::{Described, Native, Source};
use crate::state::store::JobState;
use arrow::datatypes::{Schema, SchemaRef};
use serde::Serialize;
use std::collections::HashSet;

/// The plan of one job.
#[derive(Debug)]
pub struct JobPlan {
    /// Result schema.
    pub schema: SchemaRef,
    /// The source's native column information, for the extraction.
    pub native: Native,
    /// The incremental window, if any (None for FULL).
    pub window: Option<Window>,
    /// Cursor kind of the window column.
    pub kind: Option<CursorKind>,
    /// Chunks.
    pub chunks: Vec<Chunk>,
    /// Boundary keys stored at `lo`.
    pub previous_keys: HashSet<String>,
    /// Whether there is anything to read.
    pub empty: bool,
    /// Set when the previous keys were hashed over other columns or types (schema drift).
    pub boundary_match: Option<Vec<MatchColumn>>,
    /// The cursor's lowest value in the whole relation (incremental), for the row estimate.
    pub lowest: Option<CursorValue>,
}

pub(super) async fn plan(
    job: &Job,
    source: &dyn Source,
    state: Option<&JobState>,
) -> Result<JobPlan, JobError> {
    let rel = Relation::of(job);
    let Described { schema, mut native } = source.describe(&rel).await?;
    let mut previous_keys = HashSet::new();
    let (mut window, mut kind, mut empty, mut lowest) = (None, None, false, None);
    if job.load_type == LoadType::Incremental {
        let (column, k) = cursor_column(job, &schema)?;
        kind = Some(k);
        let stored = state.and_then(|s| {
            s.watermark
                .as_ref()
                .map(|w| (w, s.boundary_keys.as_slice()))
        });
        let (lo, keys) = lower_bound(job, &column, k, stored)?;
        previous_keys = keys;
        if state.is_none() {
            let nulls = source.null_count(&native, &rel, &column).await?;
            if nulls > 0 {
                tracing::warn!(
                    "{}: {nulls} rows have a NULL `{column}`; an incremental load never reads them",
                    job.job_id
                );
            }
        }
        let bounds = source
            .window_bounds(&mut native, &rel, &column, k, lo.as_ref())
            .await?;
        match window_within(column, lo, bounds) {
            Some((w, min)) => {
                lowest = Some(min);
                window = Some(w)
            }
            None => empty = true,
        }
    }
    let chunks = if empty {
        Vec::new()
    } else {
        plan_chunks(job, source, &mut native, &rel, &schema, window.as_ref()).await?
    };
    Ok(JobPlan {
        schema,
        native,
        window,
        kind,
        chunks,
        previous_keys,
        empty,
        boundary_match: None,
        lowest,
    })
}

async fn plan_chunks(
    job: &Job,
    source: &dyn Source,
    native: &mut Native,
    rel: &Relation,
    schema: &Schema,
    window: Option<&Window>,
) -> Result<Vec<Chunk>, JobError> {
    let Some((column, kind)) = partition::partition_column(job, schema)? else {
        return Ok(partition::whole());
    };
    let q = sql::bounds_sql(source.dialect(), rel, &column, window);
    Ok(match source.bounds(native, &q, &column, kind).await? {
        Some((min, max)) => chunk::split(&column, &min, &max, job.parallelism),
        None => partition::whole(),
    })
}

/// What a dry run shows of a job's plan: the window and each chunk's SQL with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanReport {
    /// Source type.
    pub source_type: String,
    /// FULL or INCREMENTAL.
    pub load_type: String,
    /// Columns of the result.
    pub columns: usize,
    /// The incremental window; `None` for a full copy.
    pub window: Option<PlanWindow>,
    /// Whether there is nothing to load.
    pub empty: bool,
    /// One statement per chunk.
    pub chunks: Vec<PlanChunk>,
}

/// The incremental window of a [`PlanReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanWindow {
    /// Cursor column.
    pub column: String,
    /// Lower bound, `None` from the beginning.
    pub from: Option<String>,
    /// Upper bound.
    pub to: String,
    /// Boundary keys stored at the lower bound.
    pub boundary_keys: usize,
}

/// One chunk's statement of a [`PlanReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanChunk {
    /// Chunk number.
    pub index: usize,
    /// The SQL, on one line.
    pub sql: String,
    /// The bound parameters, as text, in order.
    pub params: Vec<String>,
}

/// The dry-run view of a plan (no secret: SQL and cursor values only).
pub(super) fn plan_report(job: &Job, d: crate::plan::sql::Dialect, plan: &JobPlan) -> PlanReport {
    let rel = Relation::of(job);
    let chunks = plan
        .chunks
        .iter()
        .map(|chunk| {
            if let Some(api) = &job.api {
                return PlanChunk {
                    index: chunk.index,
                    sql: api.to_string(),
                    params: Vec::new(),
                };
            }
            let q = sql::select_sql(
                d,
                &rel,
                plan.window.as_ref(),
                (!chunk.column.is_empty()).then_some(chunk),
            );
            PlanChunk {
                index: chunk.index,
                sql: q.sql.replace('\n', " "),
                params: q.params.iter().map(|p| p.value.to_text()).collect(),
            }
        })
        .collect();
    PlanReport {
        source_type: job.source_type.to_string(),
        load_type: job.load_type.to_string(),
        columns: plan.schema.fields().len(),
        window: plan.window.as_ref().map(|w| PlanWindow {
            column: w.column.clone(),
            from: w.lo.as_ref().map(CursorValue::to_text),
            to: w.hi.to_text(),
            boundary_keys: plan.previous_keys.len(),
        }),
        empty: plan.empty,
        chunks,
    }
}

/// The plan as the text a dry run prints.
pub fn render_plan_text(job_id: &str, p: &PlanReport) -> String {
    let mut out = format!(
        "job {job_id} ({} {}, {} columns)\n",
        p.source_type, p.load_type, p.columns
    );
    match (&p.window, p.empty) {
        (_, true) => out.push_str("  window: nothing to load\n"),
        (Some(w), _) => out.push_str(&format!(
            "  window: {} from {} to {} ({} boundary keys)\n",
            w.column,
            w.from.as_deref().unwrap_or("the beginning"),
            w.to,
            w.boundary_keys
        )),
        (None, _) => out.push_str("  full copy\n"),
    }
    for c in &p.chunks {
        out.push_str(&format!("  chunk {}: {}\n", c.index, c.sql));
        if !c.params.is_empty() {
            out.push_str(&format!("    params: {}\n", c.params.join(", ")));
        }
    }
    out
}

/// The dry run's order: `stage 1: a, b` (no dependency), `stage 2: c` (after stage 1), …
pub fn render_stages(reports: &[super::summary::JobReport]) -> String {
    let last = reports.iter().filter_map(|r| r.stage).max().unwrap_or(0);
    let mut out = String::new();
    for stage in 1..=last {
        let ids: Vec<&str> = reports
            .iter()
            .filter(|r| r.stage == Some(stage))
            .map(|r| r.job_id.as_str())
            .collect();
        out.push_str(&format!("stage {stage}: {}\n", ids.join(", ")));
    }
    out
}
