//! The data files of a Delta table that may hold rows whose cursor equals a value: the table's
//! active files, less those whose `add` statistics prove the value is outside their range.
//! Used to read back the rows a job committed at its watermark.

use super::delta::{DeltaError, DeltaTarget, delta_err};
use crate::plan::CursorValue;
use crate::plan::cursor::parse_decimal;
use chrono::{NaiveDateTime, TimeDelta};
use futures::TryStreamExt;
use object_store::path::Path;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use std::cmp::Ordering;

impl DeltaTarget {
    /// The store paths (under the destination's container) of the table's active data files
    /// that may hold a row whose `column` equals `at`. A file without statistics for the
    /// column is kept.
    pub async fn files_reaching(
        &self,
        column: &str,
        at: &CursorValue,
    ) -> Result<Vec<Path>, DeltaError> {
        if self.version().is_none() {
            return Ok(Vec::new());
        }
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&self.name, operation, e);
        let state = self
            .table
            .snapshot()
            .map_err(|e| err("reading the snapshot", &e))?;
        let files: Vec<_> = state
            .snapshot()
            .file_views(self.log_store().as_ref(), None)
            .try_collect()
            .await
            .map_err(|e| err("listing the current files", &e))?;
        let mut paths = Vec::new();
        for f in files {
            let stats: Option<Value> = f.stats().and_then(|s| serde_json::from_str(&s).ok());
            let bound = |key: &str| stats.as_ref().and_then(|s| s.get(key)?.get(column));
            if misses(bound("minValues"), bound("maxValues"), at) {
                continue;
            }
            if f.deletion_vector_descriptor().is_some() {
                // Rows it marks deleted would count as loaded: refuse rather than guess.
                return Err(err(
                    "reading back the rows at the watermark",
                    &format!(
                        "{} has a deletion vector, which ingest does not read",
                        f.path()
                    ),
                ));
            }
            paths.push(Path::from(format!("{}/{}", self.prefix, f.path())));
        }
        Ok(paths)
    }
}

/// Whether a file whose statistics give `min` and `max` for the cursor column surely holds no
/// row whose cursor equals `at`. A bound that cannot be read never excludes a file.
pub fn misses(min: Option<&Value>, max: Option<&Value>, at: &CursorValue) -> bool {
    max.is_some_and(|m| compare(m, at) == Ordering::Less)
        || min.is_some_and(|m| compare(m, at) == Ordering::Greater)
}

/// Where the true value a statistic stands for lies, against `at`: `Less` (or `Greater`) only
/// when every value the statistic may stand for is below (above) it. Writers cut timestamps to
/// milliseconds and numbers to doubles, so those are compared with a margin.
fn compare(v: &Value, at: &CursorValue) -> Ordering {
    let int = || {
        v.as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
    };
    let text = || v.as_str().map(str::trim);
    let ordering = match at {
        CursorValue::Int(a) => match int() {
            Some(m) => Some(m.cmp(a)),
            None => double(v, *a as f64),
        },
        CursorValue::Decimal(a) => match (int(), text()) {
            (Some(m), _) => rust_decimal::Decimal::try_from_i128_with_scale(m, 0)
                .ok()
                .map(|m| m.cmp(a)),
            (None, Some(t)) => parse_decimal(t).map(|m| m.cmp(a)),
            (None, None) => a.to_f64().and_then(|a| double(v, a)),
        },
        CursorValue::Date(a) => text()
            .and_then(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
            .map(|m| m.cmp(a)),
        CursorValue::Timestamp(a) => text()
            .and_then(|t| {
                let naive = t.trim_end_matches('Z');
                CursorValue::parse(crate::plan::CursorKind::Timestamp, naive).ok()
            })
            .and_then(|m| match m {
                CursorValue::Timestamp(m) => within_a_milli(m, *a),
                _ => None,
            }),
        CursorValue::TimestampTz(a) => text()
            .and_then(|t| CursorValue::parse(crate::plan::CursorKind::TimestampTz, t).ok())
            .and_then(|m| match m {
                CursorValue::TimestampTz(m) => within_a_milli(m.naive_utc(), a.naive_utc()),
                _ => None,
            }),
    };
    ordering.unwrap_or(Ordering::Equal)
}

/// `m` against `at` with a millisecond's margin either side.
fn within_a_milli(m: NaiveDateTime, at: NaiveDateTime) -> Option<Ordering> {
    let milli = TimeDelta::milliseconds(1);
    Some(if m.checked_add_signed(milli)? < at {
        Ordering::Less
    } else if m.checked_sub_signed(milli)? > at {
        Ordering::Greater
    } else {
        Ordering::Equal
    })
}

/// A JSON number against `at` with a relative margin of 1e-12 (a double holds ~16 digits).
fn double(v: &Value, at: f64) -> Option<Ordering> {
    let m = v.as_f64()?;
    if !m.is_finite() || !at.is_finite() {
        return None;
    }
    let margin = 1e-12 * m.abs().max(at.abs());
    Some(if m + margin < at {
        Ordering::Less
    } else if m - margin > at {
        Ordering::Greater
    } else {
        Ordering::Equal
    })
}

#[cfg(test)]
#[path = "delta_files_tests.rs"]
mod tests;
