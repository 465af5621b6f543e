//! Planning one job against its source: schema, incremental window, chunks; the dry-run order.

use super::job::JobError;
use crate::config::{Job, LoadType};
use crate::plan::boundary::MatchColumn;
use crate::plan::chunk::{self, Chunk};
use crate::plan::partition;
use crate::plan::report::PlanReport;
use crate::plan::sql::{self, Dialect, Relation};
use crate::plan::window::{Window, cursor_column, lower_bound, window_within};
use crate::plan::{CursorKind, CursorValue};
use crate::source::{Described, Native, Source};
use crate::state::store::JobState;
use arrow::datatypes::{Schema, SchemaRef};
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

/// The dry-run view of a plan (no secret: SQL and cursor values only).
pub(super) fn plan_report(job: &Job, d: Dialect, plan: &JobPlan) -> PlanReport {
    PlanReport::new(
        job,
        d,
        plan.schema.fields().len(),
        plan.window.as_ref().map(|w| (w, plan.previous_keys.len())),
        plan.empty,
        &plan.chunks,
    )
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
