//! The incremental window: `lo ≤ cursor ≤ hi`, with `hi` read at plan time.

use super::column::{column_index, cursor_kind};
use super::{CursorKind, CursorValue, PlanError, Watermark};
use crate::config::Job;
use arrow::datatypes::Schema;
use std::collections::HashSet;

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

/// An incremental job's watermark column, as the workbook writes it, and its cursor kind.
pub fn cursor_column(job: &Job, schema: &Schema) -> Result<(String, CursorKind), PlanError> {
    let column = job.watermark_column.clone().unwrap_or_default();
    let idx = column_index(schema, &column)?;
    let kind = cursor_kind(schema.field(idx).data_type()).ok_or_else(|| PlanError::NotACursor {
        column: column.clone(),
        data_type: schema.field(idx).data_type().clone(),
    })?;
    Ok((column, kind))
}

/// Where the window starts, with the boundary keys stored there: the stored watermark and its
/// keys (still on the job's column and of its kind), else the workbook's `last_watermark`, else
/// the beginning.
pub fn lower_bound(
    job: &Job,
    column: &str,
    kind: CursorKind,
    stored: Option<(&Watermark, &[String])>,
) -> Result<(Option<CursorValue>, HashSet<String>), PlanError> {
    match stored {
        Some((w, keys)) => {
            if !w.column.eq_ignore_ascii_case(column) || w.kind != kind {
                return Err(PlanError::WatermarkMoved {
                    stored_column: w.column.clone(),
                    stored_kind: w.kind,
                    column: column.to_string(),
                    kind,
                    job_id: job.job_id.clone(),
                });
            }
            let previous_keys = keys.iter().cloned().collect();
            Ok((
                Some(w.cursor().map_err(PlanError::StoredWatermark)?),
                previous_keys,
            ))
        }
        None => match &job.last_watermark {
            Some(text) => {
                let lo =
                    CursorValue::parse(kind, text).map_err(|source| PlanError::LastWatermark {
                        row: job.row,
                        source,
                    })?;
                Ok((Some(lo), HashSet::new()))
            }
            None => Ok((None, HashSet::new())),
        },
    }
}

/// The window from `lo` to the source's highest value, with the lowest value of the whole
/// relation; `None` when there is nothing to read (no row, or `lo` beyond the highest).
pub fn window_within(
    column: String,
    lo: Option<CursorValue>,
    bounds: Option<(CursorValue, CursorValue)>,
) -> Option<(Window, CursorValue)> {
    match bounds {
        Some((min, hi)) if lo.as_ref().is_none_or(|lo| *lo <= hi) => {
            Some((Window { column, lo, hi }, min))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_needs_rows_at_or_above_lo() {
        let int = CursorValue::Int;
        let w = |lo: Option<i128>, bounds: Option<(i128, i128)>| {
            window_within(
                "c".into(),
                lo.map(int),
                bounds.map(|(a, b)| (int(a), int(b))),
            )
        };
        assert_eq!(w(None, None), None, "an empty relation");
        assert_eq!(w(Some(8), Some((1, 7))), None, "lo beyond the highest");
        let (window, lowest) = w(Some(7), Some((1, 7))).unwrap();
        assert_eq!(
            (window.lo, window.hi, lowest),
            (Some(int(7)), int(7), int(1))
        );
        let (window, _) = w(None, Some((1, 7))).unwrap();
        assert_eq!((window.column.as_str(), window.lo), ("c", None));
    }
}
