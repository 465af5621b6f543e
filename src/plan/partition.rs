//! Which column splits a job into chunks, and the one chunk that reads everything.

use super::chunk::Chunk;
use super::column::{column_index, cursor_kind};
use super::{CursorKind, PlanError};
use crate::config::Job;
use arrow::datatypes::Schema;

/// The single chunk that reads the whole relation (or window).
pub fn whole() -> Vec<Chunk> {
    vec![Chunk {
        index: 0,
        column: String::new(),
        from: None,
        to: None,
        nulls: true,
    }]
}

/// The column that splits a job into chunks and its kind: the partition column, else a
/// single-column key that can split. `None` reads the job in one chunk (parallelism 1, no such
/// column); a partition column that cannot split is an error.
pub fn partition_column(
    job: &Job,
    schema: &Schema,
) -> Result<Option<(String, CursorKind)>, PlanError> {
    if job.parallelism <= 1 {
        return Ok(None);
    }
    let column = match (&job.partition_column, job.primary_key.as_slice()) {
        (Some(c), _) => c.clone(),
        (None, [pk]) => pk.clone(),
        _ => return Ok(None),
    };
    let idx = column_index(schema, &column)?;
    match cursor_kind(schema.field(idx).data_type()) {
        Some(kind) => Ok(Some((column, kind))),
        None if job.partition_column.is_some() => Err(PlanError::NotAPartition(column)),
        None => Ok(None),
    }
}
