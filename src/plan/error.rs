//! Why a job could not be planned.

use super::CursorKind;
use super::cursor::ParseCursorError;
use arrow::datatypes::DataType;

/// Why a job could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A column the workbook names is not in the source's result.
    #[error("column `{0}` is not in the source's result")]
    MissingColumn(String),
    /// The watermark column's type cannot be a cursor.
    #[error(
        "watermark column `{column}` has type {data_type}, which cannot be a cursor (integer, decimal, date or timestamp)"
    )]
    NotACursor {
        /// The column.
        column: String,
        /// Its Arrow type.
        data_type: DataType,
    },
    /// The partition column's type cannot split chunks.
    #[error("partition column `{0}` must be an integer, decimal, date or timestamp")]
    NotAPartition(String),
    /// The stored watermark is on another column or of another kind than the job's now.
    #[error(
        "the stored watermark is on `{stored_column}` ({stored_kind}) but the job now uses `{column}` ({kind}); run `ingest state reset {job_id}`"
    )]
    WatermarkMoved {
        /// Column of the stored watermark.
        stored_column: String,
        /// Kind of the stored watermark.
        stored_kind: CursorKind,
        /// The job's watermark column.
        column: String,
        /// Its cursor kind now.
        kind: CursorKind,
        /// The job.
        job_id: String,
    },
    /// The stored watermark does not parse as its kind.
    #[error("stored watermark: {0}")]
    StoredWatermark(#[source] ParseCursorError),
    /// The workbook's `last_watermark` does not parse as the column's kind.
    #[error("last_watermark (row {row}): {source}")]
    LastWatermark {
        /// Workbook row.
        row: u32,
        /// Why it does not parse.
        source: ParseCursorError,
    },
    /// Too many rows share the new watermark to remember their keys.
    #[error(
        "{rows} rows share the new watermark {value} of `{column}` (more than {cap}); use a finer cursor column (e.g. a timestamp with fractions or an increasing id)",
        cap = super::boundary::BOUNDARY_CAP
    )]
    TooManyAtWatermark {
        /// Rows at the watermark.
        rows: usize,
        /// The watermark, as text.
        value: String,
        /// The cursor column.
        column: String,
    },
}
