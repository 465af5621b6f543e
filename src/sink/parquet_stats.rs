//! Column minimum and maximum of a finished Parquet file, from its footer, as the JSON values
//! of Delta's `add` statistics (`minValues`/`maxValues`): integers and floats as numbers,
//! decimals as numbers (only when their digits survive a double exactly), strings (a 32-char
//! prefix as the minimum; longer maxima are skipped), dates as `YYYY-MM-DD`, timestamps at
//! millisecond precision (the minimum rounded down, the maximum up, so both stay bounds).
//! Booleans, binaries and nested columns get no minimum or maximum.

use arrow::datatypes::{DataType, Schema, TimeUnit};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::Statistics;
use serde_json::Value;

/// Characters of a string kept as its minimum (Delta's default prefix length).
pub const STRING_PREFIX_CHARS: usize = 32;

/// Digits a double holds exactly (decimals with more are given no bounds).
const EXACT_DOUBLE_DIGITS: u32 = 15;

/// One row group's bound of a column, before it is typed for JSON.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Bound {
    Int(i128),
    Float(f64),
    Bytes(Vec<u8>),
}

/// `(column, min, max)` for every top-level column whose bounds are known in every row group
/// that holds a non-null value.
pub fn column_bounds(meta: &ParquetMetaData, schema: &Schema) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    let Some(first) = meta.row_groups().first() else {
        return out;
    };
    for (c, chunk) in first.columns().iter().enumerate() {
        let parts = chunk.column_path().parts();
        if parts.len() != 1 {
            continue;
        }
        let Ok(field) = schema.field_with_name(&parts[0]) else {
            continue;
        };
        let mut lo: Option<Bound> = None;
        let mut hi: Option<Bound> = None;
        let mut known = true;
        for rg in meta.row_groups() {
            let Some(col) = rg.columns().get(c) else {
                known = false;
                break;
            };
            let Some(stats) = col.statistics() else {
                known = false;
                break;
            };
            match bounds(stats) {
                Some((a, b)) => {
                    if lo.as_ref().is_none_or(|l| a < *l) {
                        lo = Some(a);
                    }
                    if hi.as_ref().is_none_or(|h| b > *h) {
                        hi = Some(b);
                    }
                }
                // A row group of NULLs only has no bounds and changes none.
                None if stats.null_count_opt() == Some(rg.num_rows() as u64) => {}
                None => {
                    known = false;
                    break;
                }
            }
        }
        if !known {
            continue;
        }
        let (Some(lo), Some(hi)) = (lo, hi) else {
            continue;
        };
        let t = field.data_type();
        if let (Some(min), Some(max)) = (to_json(&lo, t, false), to_json(&hi, t, true)) {
            out.push((field.name().clone(), min, max));
        }
    }
    out
}

/// The exact min and max of one row group's statistics (`None` when unknown or inexact).
fn bounds(s: &Statistics) -> Option<(Bound, Bound)> {
    if !s.min_is_exact() || !s.max_is_exact() {
        return None;
    }
    let pair = |a: Bound, b: Bound| Some((a, b));
    match s {
        Statistics::Int32(v) => pair(
            Bound::Int((*v.min_opt()?).into()),
            Bound::Int((*v.max_opt()?).into()),
        ),
        Statistics::Int64(v) => pair(
            Bound::Int((*v.min_opt()?).into()),
            Bound::Int((*v.max_opt()?).into()),
        ),
        Statistics::Float(v) => pair(
            Bound::Float((*v.min_opt()?).into()),
            Bound::Float((*v.max_opt()?).into()),
        ),
        Statistics::Double(v) => pair(Bound::Float(*v.min_opt()?), Bound::Float(*v.max_opt()?)),
        Statistics::ByteArray(v) => pair(
            Bound::Bytes(v.min_opt()?.data().to_vec()),
            Bound::Bytes(v.max_opt()?.data().to_vec()),
        ),
        Statistics::FixedLenByteArray(v) => pair(
            Bound::Int(be_i128(v.min_opt()?.data())?),
            Bound::Int(be_i128(v.max_opt()?.data())?),
        ),
        Statistics::Boolean(_) | Statistics::Int96(_) => None,
    }
}

/// A big-endian two's complement integer of at most 16 bytes (a Parquet decimal).
fn be_i128(b: &[u8]) -> Option<i128> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut buf = [fill; 16];
    buf[16 - b.len()..].copy_from_slice(b);
    Some(i128::from_be_bytes(buf))
}

/// The JSON value Delta expects for a bound of Arrow type `t` (`upper` for a maximum).
fn to_json(b: &Bound, t: &DataType, upper: bool) -> Option<Value> {
    match (b, t) {
        (Bound::Int(v), DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64) => {
            Some(Value::from(i64::try_from(*v).ok()?))
        }
        (Bound::Float(v), DataType::Float32 | DataType::Float64) if v.is_finite() => {
            serde_json::Number::from_f64(*v).map(Value::Number)
        }
        (Bound::Int(v), DataType::Decimal128(_, scale)) => decimal(*v, *scale),
        (Bound::Bytes(v), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => {
            let s = std::str::from_utf8(v).ok()?;
            if upper {
                (s.chars().count() <= STRING_PREFIX_CHARS).then(|| Value::from(s))
            } else {
                Some(Value::from(
                    s.chars().take(STRING_PREFIX_CHARS).collect::<String>(),
                ))
            }
        }
        (Bound::Int(v), DataType::Date32) => {
            let day = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
                .checked_add_signed(chrono::Duration::days(i64::try_from(*v).ok()?))?;
            Some(Value::from(day.format("%Y-%m-%d").to_string()))
        }
        (Bound::Int(v), DataType::Timestamp(unit, tz)) => {
            timestamp(i64::try_from(*v).ok()?, *unit, tz.is_some(), upper)
        }
        _ => None,
    }
}

/// A decimal as a JSON number, when its digits fit a double exactly.
fn decimal(unscaled: i128, scale: i8) -> Option<Value> {
    if unscaled.unsigned_abs().checked_ilog10().unwrap_or(0) + 1 > EXACT_DOUBLE_DIGITS {
        return None;
    }
    if scale <= 0 {
        let v = i64::try_from(unscaled).ok()?;
        return Some(Value::from(
            v.checked_mul(10i64.checked_pow(u32::from(scale.unsigned_abs()))?)?,
        ));
    }
    let text = format!("{unscaled}e-{scale}");
    let v: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(v).map(Value::Number)
}

/// A timestamp in Delta's JSON format: `2024-01-31T12:00:00.123Z` when time-zone aware,
/// `2024-01-31 12:00:00.123` when naive; rounded to milliseconds towards the outside.
fn timestamp(v: i64, unit: TimeUnit, aware: bool, upper: bool) -> Option<Value> {
    let per_milli: i64 = match unit {
        TimeUnit::Second => {
            return timestamp(v.checked_mul(1000)?, TimeUnit::Millisecond, aware, upper);
        }
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1_000_000,
    };
    let mut ms = v.div_euclid(per_milli);
    if upper && v.rem_euclid(per_milli) != 0 {
        ms = ms.checked_add(1)?;
    }
    let at = chrono::DateTime::from_timestamp_millis(ms)?.naive_utc();
    let text = if aware {
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    };
    Some(Value::from(text))
}

#[cfg(test)]
#[path = "parquet_stats_tests.rs"]
mod tests;
