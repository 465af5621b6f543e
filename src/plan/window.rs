//! The incremental window: `lo ≤ cursor ≤ hi`, with `hi` read at plan time.

use super::CursorValue;

/// The rows an incremental load reads: `lo ≤ column ≤ hi` (no lower bound on a first run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Cursor column as written in the workbook.
    pub column: String,
    /// Inclusive lower bound: the stored watermark; `None` on a first run with no `last_watermark`.
    pub lo: Option<CursorValue>,
    /// Inclusive upper bound: `MAX(column)` at plan time.
    pub hi: CursorValue,
}
