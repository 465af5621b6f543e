//! Planning one job against its source: schema, incremental window, chunks; the dry-run printout.

use super::job::JobError;
use crate::config::{Job, LoadType};
use crate::plan::chunk::{self, Chunk};
use crate::plan::sql::{self, Relation};
use crate::plan::window::Window;
use crate::plan::{CursorKind, CursorValue};
use crate::source::Source;
use crate::state::store::JobState;
use arrow::datatypes::{DataType, Schema, SchemaRef};
use std::collections::HashSet;

/// The plan of one job.
#[derive(Debug)]
pub struct JobPlan {
    /// Result schema.
    pub schema: SchemaRef,
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
}

/// Find a workbook column name in the schema: a quoted name exactly, a plain one ignoring case.
/// A quoted name is unwrapped as the SQL quotes it (`"a""b"` is the column `a"b`).
pub fn column_index(schema: &Schema, name: &str) -> Result<usize, JobError> {
    let quoted = sql::unwrap_quoted(name);
    schema
        .fields()
        .iter()
        .position(|f| match &quoted {
            Some(inner) => f.name() == inner,
            None => f.name().eq_ignore_ascii_case(name),
        })
        .ok_or_else(|| JobError::Plan(format!("column `{name}` is not in the source's result")))
}

/// The cursor kind of an Arrow type, if it can be a cursor.
pub fn cursor_kind(data_type: &DataType) -> Option<CursorKind> {
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            Some(CursorKind::Int)
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            Some(CursorKind::Int)
        }
        // Whole-number decimals (Oracle NUMBER(p,0) with p > 18, NUMERIC(p,0)) are integers.
        DataType::Decimal128(_, 0) => Some(CursorKind::Int),
        // Other decimals (Oracle NUMBER without precision is Decimal128(38, 9)) are exact
        // decimal cursors, compared numerically.
        DataType::Decimal128(_, s) if *s > 0 => Some(CursorKind::Decimal),
        DataType::Date32 | DataType::Date64 => Some(CursorKind::Date),
        DataType::Timestamp(_, None) => Some(CursorKind::Timestamp),
        DataType::Timestamp(_, Some(_)) => Some(CursorKind::TimestampTz),
        _ => None,
    }
}

pub(super) async fn plan(
    job: &Job,
    source: &dyn Source,
    state: Option<&JobState>,
) -> Result<JobPlan, JobError> {
    let d = source.dialect();
    let rel = Relation::of(job);
    let schema = source.describe(&rel).await?;
    let mut previous_keys = HashSet::new();
    let (mut window, mut kind, mut empty) = (None, None, false);
    if job.load_type == LoadType::Incremental {
        let column = job.watermark_column.clone().unwrap_or_default();
        let idx = column_index(&schema, &column)?;
        let k = cursor_kind(schema.field(idx).data_type()).ok_or_else(|| {
            JobError::Plan(format!(
                "watermark column `{column}` has type {}, which cannot be a cursor (integer, decimal, date or timestamp)",
                schema.field(idx).data_type()
            ))
        })?;
        kind = Some(k);
        let lo = match state.and_then(|s| s.watermark.as_ref()) {
            Some(w) => {
                if !w.column.eq_ignore_ascii_case(&column) || w.kind != k {
                    return Err(JobError::Plan(format!(
                        "the stored watermark is on `{}` ({}) but the job now uses `{column}` ({k}); run `ingest state reset {}`",
                        w.column, w.kind, job.job_id
                    )));
                }
                previous_keys = state
                    .map(|s| s.boundary_keys.iter().cloned().collect())
                    .unwrap_or_default();
                Some(
                    w.cursor()
                        .map_err(|e| JobError::Plan(format!("stored watermark: {e}")))?,
                )
            }
            None => match &job.last_watermark {
                Some(text) => Some(CursorValue::parse(k, text).map_err(|e| {
                    JobError::Plan(format!("last_watermark (row {}): {e}", job.row))
                })?),
                None => None,
            },
        };
        if state.is_none() {
            let nulls = source.count(&sql::null_count_sql(d, &rel, &column)).await?;
            if nulls > 0 {
                tracing::warn!(
                    "{}: {nulls} rows have a NULL `{column}`; an incremental load never reads them",
                    job.job_id
                );
            }
        }
        match source
            .bounds(&sql::bounds_sql(d, &rel, &column, None), &column, k)
            .await?
        {
            Some((_, hi)) if lo.as_ref().is_none_or(|lo| *lo <= hi) => {
                window = Some(Window { column, lo, hi })
            }
            _ => empty = true,
        }
    }
    let chunks = if empty {
        Vec::new()
    } else {
        plan_chunks(job, source, &rel, &schema, window.as_ref()).await?
    };
    Ok(JobPlan {
        schema,
        window,
        kind,
        chunks,
        previous_keys,
        empty,
    })
}

async fn plan_chunks(
    job: &Job,
    source: &dyn Source,
    rel: &Relation,
    schema: &Schema,
    window: Option<&Window>,
) -> Result<Vec<Chunk>, JobError> {
    let whole = || {
        vec![Chunk {
            index: 0,
            column: String::new(),
            from: None,
            to: None,
            nulls: true,
        }]
    };
    if job.parallelism <= 1 {
        return Ok(whole());
    }
    let column = match (&job.partition_column, job.primary_key.as_slice()) {
        (Some(c), _) => c.clone(),
        (None, [pk]) => pk.clone(),
        _ => return Ok(whole()),
    };
    let idx = column_index(schema, &column)?;
    let Some(kind) = cursor_kind(schema.field(idx).data_type()) else {
        if job.partition_column.is_some() {
            return Err(JobError::Plan(format!(
                "partition column `{column}` must be an integer, decimal, date or timestamp"
            )));
        }
        return Ok(whole());
    };
    let q = sql::bounds_sql(source.dialect(), rel, &column, window);
    Ok(match source.bounds(&q, &column, kind).await? {
        Some((min, max)) => chunk::split(&column, &min, &max, job.parallelism),
        None => whole(),
    })
}

pub(super) fn print_plan(job: &Job, d: crate::plan::sql::Dialect, plan: &JobPlan) {
    let rel = Relation::of(job);
    println!(
        "job {} ({} {}, {} columns)",
        job.job_id,
        job.source_type,
        job.load_type,
        plan.schema.fields().len()
    );
    match (&plan.window, plan.empty) {
        (_, true) => println!("  window: nothing to load"),
        (Some(w), _) => println!(
            "  window: {} from {} to {} ({} boundary keys)",
            w.column,
            w.lo.as_ref()
                .map_or("the beginning".to_string(), |v| v.to_text()),
            w.hi,
            plan.previous_keys.len()
        ),
        (None, _) => println!("  full copy"),
    }
    for chunk in &plan.chunks {
        let q = sql::select_sql(
            d,
            &rel,
            plan.window.as_ref(),
            (!chunk.column.is_empty()).then_some(chunk),
        );
        let params: Vec<String> = q.params.iter().map(|p| p.value.to_text()).collect();
        println!("  chunk {}: {}", chunk.index, q.sql.replace('\n', " "));
        if !params.is_empty() {
            println!("    params: {}", params.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;

    #[test]
    fn quoted_names_find_their_column_exactly() {
        let schema = Schema::new(
            ["x\"y", "a]b", "w`z", "Plain", "plain\"\"twice"]
                .map(|n| Field::new(n, DataType::Int32, true))
                .to_vec(),
        );
        let at = |n: &str| column_index(&schema, n).ok();
        assert_eq!(at("\"x\"\"y\""), Some(0));
        assert_eq!(at("[a]]b]"), Some(1));
        assert_eq!(at("`w``z`"), Some(2));
        assert_eq!(at("\"w`z\""), Some(2));
        assert_eq!(at("plain"), Some(3));
        assert_eq!(at("\"plain\""), None, "a quoted name matches case exactly");
        assert_eq!(at("\"plain\"\"\"\"twice\""), Some(4));
        let e = column_index(&schema, "nope").unwrap_err().to_string();
        assert!(e.contains("`nope` is not in the source's result"), "{e}");
    }
}
