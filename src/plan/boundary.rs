//! Boundary rows of an incremental window: drop rows at `lo` that the previous load already
//! took, and remember the rows at `hi` for the next one. Keys are compact row hashes.

use crate::plan::CursorValue;
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::{DataType, Decimal128Type, Int64Type, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Rows sharing the new watermark beyond which a job fails instead of storing their keys.
pub const BOUNDARY_CAP: usize = 100_000;

/// What a chunk needs to filter and collect boundary rows.
#[derive(Debug, Clone)]
pub struct Boundary {
    cursor: usize,
    keys: Vec<usize>,
    lo: Option<i128>,
    hi: Option<i128>,
    previous: HashSet<String>,
    matching: Option<Vec<MatchColumn>>,
}

/// A column hashed to match the previous load's boundary keys after the schema changed: its
/// index now, and the type it had then (values are cast back to it before hashing).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchColumn {
    /// Index in the current batch schema.
    pub index: usize,
    /// The previous load's type, when it differs from the current one.
    pub cast_to: Option<DataType>,
}

impl Boundary {
    /// A boundary for a batch schema: `cursor` is the cursor column's index, `keys` the key
    /// columns (empty → the whole row), `lo`/`hi` the window, `previous` the keys stored at `lo`.
    pub fn new(
        cursor: usize,
        cursor_type: &DataType,
        keys: Vec<usize>,
        lo: Option<&CursorValue>,
        hi: &CursorValue,
        previous: HashSet<String>,
    ) -> Boundary {
        Boundary {
            cursor,
            keys,
            lo: lo.and_then(|v| native(v, cursor_type)),
            hi: native(hi, cursor_type),
            previous,
            matching: None,
        }
    }

    /// Match rows at `lo` against the previous keys by hashing these columns (the ones the
    /// previous load hashed, as they are now) instead of the key columns.
    pub fn matching(mut self, columns: Option<Vec<MatchColumn>>) -> Boundary {
        self.matching = columns;
        self
    }

    /// Drop the rows at `lo` whose key the previous load stored; return the kept rows and the
    /// keys of every row whose cursor equals `hi` (also of a row at `lo` = `hi` that was
    /// dropped, so the keys stay complete when they are computed over other columns).
    pub fn apply(&self, batch: &RecordBatch) -> Result<(RecordBatch, Vec<String>), ArrowError> {
        let cursor = cursor_values(batch.column(self.cursor))?;
        let formatters = self.formatters(batch)?;
        let matched = match &self.matching {
            Some(columns) => Some(MatchArrays::new(batch, columns)?),
            None => None,
        };
        let match_formatters = match &matched {
            Some(m) => Some(m.formatters()?),
            None => None,
        };
        let mut keep = Vec::with_capacity(batch.num_rows());
        let mut at_hi = Vec::new();
        for (row, &value) in cursor.iter().enumerate() {
            let mut kept = true;
            if value.is_some() && value == self.lo && !self.previous.is_empty() {
                kept = match (&matched, &match_formatters) {
                    (Some(m), Some(f)) => {
                        !(m.exact(row) && self.previous.contains(&row_hash(f, row)))
                    }
                    _ => !self.previous.contains(&row_hash(&formatters, row)),
                };
            }
            if value.is_some() && value == self.hi {
                at_hi.push(row_hash(&formatters, row));
            }
            keep.push(kept);
        }
        if keep.iter().all(|k| *k) {
            return Ok((batch.clone(), at_hi));
        }
        let filtered = filter_record_batch(batch, &BooleanArray::from(keep))?;
        Ok((filtered, at_hi))
    }

    fn formatters<'a>(
        &self,
        batch: &'a RecordBatch,
    ) -> Result<Vec<ArrayFormatter<'a>>, ArrowError> {
        let options = FormatOptions::default().with_null("\u{0}NULL");
        let cols: Vec<usize> = if self.keys.is_empty() {
            (0..batch.num_columns()).collect()
        } else {
            self.keys.clone()
        };
        cols.iter()
            .map(|&i| ArrayFormatter::try_new(batch.column(i).as_ref(), &options))
            .collect()
    }
}

/// The columns hashed to match previous keys, cast back to their previous types, and which
/// rows survived that cast unchanged (a value the old type cannot hold matches no old row).
struct MatchArrays {
    arrays: Vec<ArrayRef>,
    inexact: Vec<BooleanArray>,
}

impl MatchArrays {
    fn new(batch: &RecordBatch, columns: &[MatchColumn]) -> Result<MatchArrays, ArrowError> {
        let mut arrays = Vec::with_capacity(columns.len());
        let mut inexact = Vec::new();
        for c in columns {
            let current = batch.column(c.index);
            let Some(old) = &c.cast_to else {
                arrays.push(current.clone());
                continue;
            };
            let back = cast(current, old)?;
            let again = cast(&back, current.data_type())?;
            let same = eq(&again, current)?;
            // Inexact: a value that became NULL or another value in the old type.
            let lost = BooleanArray::from_iter(
                (0..current.len())
                    .map(|r| Some(current.is_valid(r) && (same.is_null(r) || !same.value(r)))),
            );
            inexact.push(lost);
            arrays.push(back);
        }
        Ok(MatchArrays { arrays, inexact })
    }

    fn formatters(&self) -> Result<Vec<ArrayFormatter<'_>>, ArrowError> {
        let options = FormatOptions::default().with_null("\u{0}NULL");
        self.arrays
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
            .collect()
    }

    fn exact(&self, row: usize) -> bool {
        self.inexact.iter().all(|l| !l.value(row))
    }
}

/// A cursor column's values in the form [`native`] gives bounds: decimals as their unscaled
/// i128 at the column's scale, the rest cast to Int64.
pub fn cursor_values(column: &ArrayRef) -> Result<Vec<Option<i128>>, ArrowError> {
    Ok(match column.data_type() {
        DataType::Decimal128(..) => column.as_primitive::<Decimal128Type>().iter().collect(),
        _ => cast(column, &DataType::Int64)?
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(i128::from))
            .collect(),
    })
}

/// A compact, stable hash of a row's key values (16 hex digits of SHA-256 over their text forms).
pub fn row_hash(formatters: &[ArrayFormatter<'_>], row: usize) -> String {
    let mut h = Sha256::new();
    for f in formatters {
        h.update(f.value(row).to_string().as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The cursor value in the integer form the column compares as (`cast(col, Int64)`, or a
/// decimal's unscaled value at the column's scale), if exact.
pub fn native(value: &CursorValue, data_type: &DataType) -> Option<i128> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let scale = match data_type {
        DataType::Decimal128(_, s) => Some(u32::try_from(*s).ok()?),
        _ => None,
    };
    let utc_naive = match value {
        CursorValue::Int(v) => {
            return match scale {
                Some(s) => v.checked_mul(10i128.checked_pow(s)?),
                None => i64::try_from(*v).ok().map(i128::from),
            };
        }
        CursorValue::Decimal(d) => {
            let s = scale?;
            let up = s.checked_sub(d.scale())?;
            return d.mantissa().checked_mul(10i128.checked_pow(up)?);
        }
        CursorValue::Date(d) => {
            let days = (*d - epoch).num_days();
            return match data_type {
                DataType::Date64 => days.checked_mul(86_400_000),
                _ => Some(days),
            }
            .map(i128::from);
        }
        CursorValue::Timestamp(t) => *t,
        CursorValue::TimestampTz(t) => t.naive_utc(),
    };
    let t = utc_naive.and_utc();
    match data_type {
        DataType::Timestamp(TimeUnit::Second, _) => Some(t.timestamp()),
        DataType::Timestamp(TimeUnit::Millisecond, _) => Some(t.timestamp_millis()),
        DataType::Timestamp(TimeUnit::Microsecond, _) => Some(t.timestamp_micros()),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => t.timestamp_nanos_opt(),
        _ => None,
    }
    .map(i128::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn batch(ids: &[i64], cursor: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("c", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let names: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(ids.to_vec())),
                Arc::new(Int64Array::from(cursor.to_vec())),
                Arc::new(StringArray::from(names)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn drops_only_previous_rows_at_lo_and_collects_hi() {
        let first = Boundary::new(
            1,
            &DataType::Int64,
            vec![0],
            None,
            &CursorValue::Int(5),
            HashSet::new(),
        );
        let (kept, at_hi) = first.apply(&batch(&[1, 2, 3], &[4, 5, 5])).unwrap();
        assert_eq!(kept.num_rows(), 3);
        assert_eq!(at_hi.len(), 2);
        let prev: HashSet<String> = at_hi.into_iter().collect();
        let second = Boundary::new(
            1,
            &DataType::Int64,
            vec![0],
            Some(&CursorValue::Int(5)),
            &CursorValue::Int(7),
            prev,
        );
        let (kept, at_hi) = second.apply(&batch(&[2, 3, 4, 5], &[5, 5, 5, 7])).unwrap();
        let ids = kept.column(0).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(ids, vec![4, 5]);
        assert_eq!(at_hi.len(), 1);
    }

    #[test]
    fn whole_row_hash_without_key() {
        let b = Boundary::new(
            1,
            &DataType::Int64,
            vec![],
            None,
            &CursorValue::Int(5),
            HashSet::new(),
        );
        let (_, a) = b.apply(&batch(&[1], &[5])).unwrap();
        let (_, c) = b.apply(&batch(&[2], &[5])).unwrap();
        assert_ne!(a, c);
        assert_eq!(a[0].len(), 16);
    }

    #[test]
    fn decimal_cursor_on_a_scaled_column() {
        use crate::plan::CursorKind;
        use arrow::array::Decimal128Array;
        let ty = DataType::Decimal128(38, 9);
        assert_eq!(
            crate::plan::column::cursor_kind(&ty),
            Some(CursorKind::Decimal)
        );
        let d = |s: &str| CursorValue::parse(CursorKind::Decimal, s).unwrap();
        assert_eq!(native(&d("5"), &ty), Some(5_000_000_000));
        assert_eq!(native(&d("5.25"), &ty), Some(5_250_000_000));
        assert_eq!(
            native(&d("0.0000000001"), &ty),
            None,
            "finer than the column"
        );
        let schema = Arc::new(Schema::new(vec![Field::new("n", ty.clone(), false)]));
        let col = Decimal128Array::from(vec![4_000_000_000, 5_000_000_000, 5_000_000_000])
            .with_precision_and_scale(38, 9)
            .unwrap();
        let b = RecordBatch::try_new(schema, vec![Arc::new(col)]).unwrap();
        let first = Boundary::new(0, &ty, vec![], None, &d("5"), HashSet::new());
        let (kept, at_hi) = first.apply(&b).unwrap();
        assert_eq!((kept.num_rows(), at_hi.len()), (3, 2));
        let prev: HashSet<String> = at_hi.into_iter().collect();
        let next = Boundary::new(0, &ty, vec![], Some(&d("5")), &d("9"), prev);
        let (kept, _) = next.apply(&b).unwrap();
        assert_eq!(
            kept.num_rows(),
            1,
            "the rows at lo the previous load took are dropped"
        );
    }

    #[test]
    fn whole_number_decimal_cursor() {
        use arrow::array::Decimal128Array;
        let ty = DataType::Decimal128(20, 0);
        assert_eq!(
            crate::plan::column::cursor_kind(&ty),
            Some(crate::plan::CursorKind::Int)
        );
        let schema = Arc::new(Schema::new(vec![Field::new("n", ty.clone(), false)]));
        let col = Decimal128Array::from(vec![4, 5, 5])
            .with_precision_and_scale(20, 0)
            .unwrap();
        let b = RecordBatch::try_new(schema, vec![Arc::new(col)]).unwrap();
        let first = Boundary::new(0, &ty, vec![0], None, &CursorValue::Int(5), HashSet::new());
        let (_, at_hi) = first.apply(&b).unwrap();
        let prev: HashSet<String> = at_hi.into_iter().collect();
        assert_eq!(prev.len(), 1, "both rows at hi share the key 5");
        let next = Boundary::new(
            0,
            &ty,
            vec![0],
            Some(&CursorValue::Int(5)),
            &CursorValue::Int(9),
            prev,
        );
        assert_eq!(next.apply(&b).unwrap().0.num_rows(), 1);
    }

    #[test]
    fn native_forms() {
        let d = CursorValue::Date(chrono::NaiveDate::from_ymd_opt(1970, 1, 11).unwrap());
        assert_eq!(native(&d, &DataType::Date32), Some(10));
        let t = CursorValue::parse(crate::plan::CursorKind::Timestamp, "1970-01-01T00:00:01.5")
            .unwrap();
        assert_eq!(
            native(&t, &DataType::Timestamp(TimeUnit::Microsecond, None)),
            Some(1_500_000)
        );
    }
}
