//! Splitting a partition column's `[min, max]` into parallel chunks. Pure.

use super::CursorValue;

/// One chunk: `from ≤ column < to`; an open end is unbounded; the first chunk also takes NULLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// 0-based chunk number (names files and log lines).
    pub index: usize,
    /// Partition column as written in the workbook.
    pub column: String,
    /// Inclusive lower bound; `None` for the first chunk.
    pub from: Option<CursorValue>,
    /// Exclusive upper bound; `None` for the last chunk.
    pub to: Option<CursorValue>,
    /// Whether rows with a NULL partition value belong to this chunk (the first one only).
    pub nulls: bool,
}

/// Split `[min, max]` into at most `n` chunks that cover the whole domain: no gap, no overlap,
/// each holding at least one value of `[min, max]`, no overflow at the type's limits.
/// `min` and `max` have the same kind; `n ≥ 1`.
pub fn split(column: &str, min: &CursorValue, max: &CursorValue, n: usize) -> Vec<Chunk> {
    let _ = (column, min, max, n);
    todo!("plan helper")
}
