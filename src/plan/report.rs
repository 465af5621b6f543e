//! What a dry run shows of a job's plan: its window and each chunk's SQL, as data and as text.

use super::CursorValue;
use super::chunk::Chunk;
use super::sql::{self, Dialect, Relation};
use super::window::Window;
use crate::config::Job;
use serde::Serialize;

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

impl PlanReport {
    /// The dry-run view of a planned job (no secret: SQL and cursor values only): the number of
    /// `columns` of its result, its window with the boundary keys stored at `lo`, its chunks.
    pub fn new(
        job: &Job,
        d: Dialect,
        columns: usize,
        window: Option<(&Window, usize)>,
        empty: bool,
        chunks: &[Chunk],
    ) -> PlanReport {
        let rel = Relation::of(job);
        let chunks = chunks
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
                    window.map(|(w, _)| w),
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
            columns,
            window: window.map(|(w, boundary_keys)| PlanWindow {
                column: w.column.clone(),
                from: w.lo.as_ref().map(CursorValue::to_text),
                to: w.hi.to_text(),
                boundary_keys,
            }),
            empty,
            chunks,
        }
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
