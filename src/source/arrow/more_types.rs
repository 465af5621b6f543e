//! More Arrow column types than the generic builders: narrow and unsigned integers, Float32,
//! Duration(µs), Decimal256, nanosecond times and timestamps, fixed-size binary (UUIDs); plus
//! typed appends (`append_int`, `append_micros`, …) that
//! sources with binary protocols use instead of going through text.

use super::{Cell, ColumnBuilder, parse_decimal256};
use arrow::array::{
    ArrayRef, Decimal256Builder, DurationMicrosecondBuilder, FixedSizeBinaryBuilder,
    Float32Builder, Int8Builder, Int16Builder, Int32Builder, Time64NanosecondBuilder,
    TimestampNanosecondBuilder, UInt8Builder, UInt16Builder, UInt32Builder, UInt64Builder,
};
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDateTime, NaiveTime};
use std::sync::Arc;

/// A builder for one of the extra types.
pub enum MoreBuilder {
    /// Int8.
    Int8(Int8Builder),
    /// Int16.
    Int16(Int16Builder),
    /// Int32.
    Int32(Int32Builder),
    /// UInt8.
    UInt8(UInt8Builder),
    /// UInt16.
    UInt16(UInt16Builder),
    /// UInt32.
    UInt32(UInt32Builder),
    /// UInt64.
    UInt64(UInt64Builder),
    /// Float32.
    Float32(Float32Builder),
    /// Duration(µs).
    Duration(DurationMicrosecondBuilder),
    /// Decimal256 with precision and scale.
    Decimal256(Decimal256Builder, u8, i8),
    /// Time64(ns).
    TimeNanos(Time64NanosecondBuilder),
    /// Timestamp(ns), `true` when UTC-adjusted.
    TimestampNanos(TimestampNanosecondBuilder, bool),
    /// FixedSizeBinary of the given width (UUIDs: 16).
    FixedBinary(FixedSizeBinaryBuilder, i32),
}

fn fit<T: TryFrom<i128>>(v: i128, name: &str) -> Result<T, String> {
    T::try_from(v).map_err(|_| format!("is out of range for {name}"))
}

impl MoreBuilder {
    /// A builder for `data_type`, or `None` if it is not one of the extra types.
    pub fn new(data_type: &DataType, capacity: usize) -> Option<MoreBuilder> {
        Some(match data_type {
            DataType::Int8 => MoreBuilder::Int8(Int8Builder::with_capacity(capacity)),
            DataType::Int16 => MoreBuilder::Int16(Int16Builder::with_capacity(capacity)),
            DataType::Int32 => MoreBuilder::Int32(Int32Builder::with_capacity(capacity)),
            DataType::UInt8 => MoreBuilder::UInt8(UInt8Builder::with_capacity(capacity)),
            DataType::UInt16 => MoreBuilder::UInt16(UInt16Builder::with_capacity(capacity)),
            DataType::UInt32 => MoreBuilder::UInt32(UInt32Builder::with_capacity(capacity)),
            DataType::UInt64 => MoreBuilder::UInt64(UInt64Builder::with_capacity(capacity)),
            DataType::Float32 => MoreBuilder::Float32(Float32Builder::with_capacity(capacity)),
            DataType::Duration(TimeUnit::Microsecond) => {
                MoreBuilder::Duration(DurationMicrosecondBuilder::with_capacity(capacity))
            }
            DataType::Decimal256(p, s) => MoreBuilder::Decimal256(
                Decimal256Builder::with_capacity(capacity)
                    .with_precision_and_scale(*p, *s)
                    .ok()?,
                *p,
                *s,
            ),
            DataType::Time64(TimeUnit::Nanosecond) => {
                MoreBuilder::TimeNanos(Time64NanosecondBuilder::with_capacity(capacity))
            }
            DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
                let b = TimestampNanosecondBuilder::with_capacity(capacity)
                    .with_timezone_opt(tz.clone());
                MoreBuilder::TimestampNanos(b, tz.is_some())
            }
            DataType::FixedSizeBinary(w) if *w > 0 => {
                MoreBuilder::FixedBinary(FixedSizeBinaryBuilder::with_capacity(capacity, *w), *w)
            }
            _ => return None,
        })
    }

    /// Append an integer, exactly; `Err` when it does not fit (or the column is not integral).
    pub fn append_int(&mut self, v: i128) -> Result<(), String> {
        match self {
            MoreBuilder::Int8(b) => b.append_value(fit(v, "Int8")?),
            MoreBuilder::Int16(b) => b.append_value(fit(v, "Int16")?),
            MoreBuilder::Int32(b) => b.append_value(fit(v, "Int32")?),
            MoreBuilder::UInt8(b) => b.append_value(fit(v, "UInt8")?),
            MoreBuilder::UInt16(b) => b.append_value(fit(v, "UInt16")?),
            MoreBuilder::UInt32(b) => b.append_value(fit(v, "UInt32")?),
            MoreBuilder::UInt64(b) => b.append_value(fit(v, "UInt64")?),
            _ => return self.append(Cell::Text(&v.to_string())),
        }
        Ok(())
    }

    /// Append one loosely typed value, converting it exactly.
    pub fn append(&mut self, cell: Cell<'_>) -> Result<(), String> {
        match (self, cell) {
            (b, Cell::Null) => b.append_null(),
            (MoreBuilder::TimeNanos(b), Cell::Text(t)) => {
                let t = NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f")
                    .map_err(|_| "is not a time (expected HH:MM:SS[.fffffffff])".to_string())?;
                b.append_value((t - NaiveTime::MIN).num_nanoseconds().unwrap_or(0))
            }
            (MoreBuilder::TimeNanos(_), _) => {
                return Err("is not a time (expected text HH:MM:SS)".into());
            }
            (MoreBuilder::TimestampNanos(b, utc), Cell::Text(t)) => {
                b.append_value(parse_timestamp_nanos(t, *utc)?)
            }
            (MoreBuilder::TimestampNanos(..), _) => {
                return Err("is not a timestamp (expected text YYYY-MM-DD HH:MM:SS)".into());
            }
            (MoreBuilder::FixedBinary(b, w), cell) => {
                let bytes = match cell {
                    Cell::Bytes(bytes) => bytes.to_vec(),
                    Cell::Text(t) if *w == 16 => uuid::Uuid::parse_str(t.trim())
                        .map_err(|_| "is not a UUID".to_string())?
                        .as_bytes()
                        .to_vec(),
                    _ => return Err("is not binary data".into()),
                };
                b.append_value(&bytes)
                    .map_err(|_| format!("is not exactly {w} bytes long"))?
            }
            (MoreBuilder::Float32(b), Cell::Float(v)) => {
                let f = v as f32;
                if f as f64 != v && !v.is_nan() {
                    return Err("does not fit a 32-bit float exactly".into());
                }
                b.append_value(f)
            }
            (MoreBuilder::Float32(b), Cell::Int(v)) => {
                let f = v as f32;
                if f as i64 != v {
                    return Err("does not fit a 32-bit float exactly".into());
                }
                b.append_value(f)
            }
            (MoreBuilder::Duration(b), Cell::Text(t)) => b.append_value(parse_duration_micros(t)?),
            (MoreBuilder::Decimal256(b, p, s), Cell::Int(v)) => {
                b.append_value(parse_decimal256(&v.to_string(), *p, *s)?)
            }
            (MoreBuilder::Decimal256(b, p, s), Cell::Float(v)) if v.is_finite() => {
                b.append_value(parse_decimal256(&v.to_string(), *p, *s)?)
            }
            (MoreBuilder::Decimal256(b, p, s), Cell::Text(t)) => {
                b.append_value(parse_decimal256(t, *p, *s)?)
            }
            (b, Cell::Int(v)) => return b.append_int(v as i128),
            (b, Cell::Text(t)) if !matches!(b, MoreBuilder::Duration(_)) => {
                let v: i128 = t
                    .trim()
                    .parse()
                    .map_err(|_| "is not an integer".to_string())?;
                return b.append_int(v);
            }
            (MoreBuilder::Duration(_), _) => {
                return Err("is not a duration (expected [-]HHH:MM:SS[.ffffff])".into());
            }
            (MoreBuilder::Float32(_), _) => return Err("is not a number".into()),
            (MoreBuilder::Decimal256(_, p, s), _) => {
                return Err(format!("is not a DECIMAL({p},{s}) value"));
            }
            _ => return Err("is not an integer".into()),
        }
        Ok(())
    }

    /// Append a NULL.
    pub fn append_null(&mut self) {
        match self {
            MoreBuilder::Int8(b) => b.append_null(),
            MoreBuilder::Int16(b) => b.append_null(),
            MoreBuilder::Int32(b) => b.append_null(),
            MoreBuilder::UInt8(b) => b.append_null(),
            MoreBuilder::UInt16(b) => b.append_null(),
            MoreBuilder::UInt32(b) => b.append_null(),
            MoreBuilder::UInt64(b) => b.append_null(),
            MoreBuilder::Float32(b) => b.append_null(),
            MoreBuilder::Duration(b) => b.append_null(),
            MoreBuilder::Decimal256(b, ..) => b.append_null(),
            MoreBuilder::TimeNanos(b) => b.append_null(),
            MoreBuilder::TimestampNanos(b, _) => b.append_null(),
            MoreBuilder::FixedBinary(b, _) => b.append_null(),
        }
    }

    /// Finish the column.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            MoreBuilder::Int8(b) => Arc::new(b.finish()),
            MoreBuilder::Int16(b) => Arc::new(b.finish()),
            MoreBuilder::Int32(b) => Arc::new(b.finish()),
            MoreBuilder::UInt8(b) => Arc::new(b.finish()),
            MoreBuilder::UInt16(b) => Arc::new(b.finish()),
            MoreBuilder::UInt32(b) => Arc::new(b.finish()),
            MoreBuilder::UInt64(b) => Arc::new(b.finish()),
            MoreBuilder::Float32(b) => Arc::new(b.finish()),
            MoreBuilder::Duration(b) => Arc::new(b.finish()),
            MoreBuilder::Decimal256(b, ..) => Arc::new(b.finish()),
            MoreBuilder::TimeNanos(b) => Arc::new(b.finish()),
            MoreBuilder::TimestampNanos(b, _) => Arc::new(b.finish()),
            MoreBuilder::FixedBinary(b, _) => Arc::new(b.finish()),
        }
    }
}

/// Typed appends for sources that decode binary values themselves.
impl ColumnBuilder {
    /// Append an integer exactly into an integer, boolean (0/1), decimal, float or text column.
    pub fn append_int(&mut self, v: i128) -> Result<(), String> {
        match self {
            ColumnBuilder::More(b) => b.append_int(v),
            ColumnBuilder::Int64(b) => {
                b.append_value(fit(v, "Int64")?);
                Ok(())
            }
            other => match i64::try_from(v) {
                Ok(i) => other.append(Cell::Int(i)),
                Err(_) => other.append(Cell::Text(&v.to_string())),
            },
        }
    }

    /// Append a float into a Float64 or Float32 column (exactly) or a decimal/text column.
    pub fn append_f64(&mut self, v: f64) -> Result<(), String> {
        self.append(Cell::Float(v))
    }

    /// Append days since the Unix epoch into a Date32 column, or midnight into a timestamp.
    pub fn append_days(&mut self, days: i32) -> Result<(), String> {
        match self {
            ColumnBuilder::Date(b) => b.append_value(days),
            ColumnBuilder::Timestamp(b, _) => b.append_value(days as i64 * 86_400_000_000),
            _ => return Err("is a date, which this column cannot hold".into()),
        }
        Ok(())
    }

    /// Append microseconds into a Timestamp(µs) (since the epoch), Time64(µs) (since midnight,
    /// 0 ≤ v < 24 h) or Duration(µs) column.
    pub fn append_micros(&mut self, v: i64) -> Result<(), String> {
        match self {
            ColumnBuilder::Timestamp(b, _) => b.append_value(v),
            ColumnBuilder::Time(b) if (0..86_400_000_000).contains(&v) => b.append_value(v),
            ColumnBuilder::Time(_) => return Err("is not a time of day (0 to 24 h)".into()),
            ColumnBuilder::More(MoreBuilder::Duration(b)) => b.append_value(v),
            _ => return Err("is a time value, which this column cannot hold".into()),
        }
        Ok(())
    }
}

/// Parse a timestamp text into ns since the epoch (offsets converted to UTC, as
/// [`parse_timestamp_micros`] does); `Err` when out of the i64 nanosecond range.
pub fn parse_timestamp_nanos(text: &str, utc: bool) -> Result<i64, String> {
    let t = text.trim();
    let s = t.replacen(' ', "T", 1);
    let naive = match DateTime::parse_from_rfc3339(&s)
        .or_else(|_| DateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f%#z"))
    {
        Ok(dt) if utc => dt.naive_utc(),
        Ok(_) => return Err("has a time zone offset but the column has none".into()),
        Err(_) => NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f")
            .map_err(|_| "is not a timestamp (expected YYYY-MM-DD HH:MM:SS[.f])".to_string())?,
    };
    naive
        .and_utc()
        .timestamp_nanos_opt()
        .ok_or_else(|| "is outside the nanosecond timestamp range (1677-2262)".to_string())
}

/// Parse a signed duration `[-]H…H:MM:SS[.ffffff]` (hours may exceed 24) into microseconds.
pub fn parse_duration_micros(text: &str) -> Result<i64, String> {
    let bad = || "is not a duration (expected [-]HHH:MM:SS[.ffffff])".to_string();
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut parts = t.split(':');
    let (h, m, s) = (parts.next(), parts.next(), parts.next());
    let (Some(h), Some(m), Some(s), None) = (h, m, s, parts.next()) else {
        return Err(bad());
    };
    let (s, frac) = s.split_once('.').unwrap_or((s, ""));
    let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h)
        || !all_digits(m)
        || !all_digits(s)
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 6 && frac[6..].bytes().any(|b| b != b'0') {
        return Err("has sub-microsecond digits, which a microsecond duration cannot hold".into());
    }
    let num = |x: &str| x.parse::<i64>().map_err(|_| bad());
    let (h, m, s) = (num(h)?, num(m)?, num(s)?);
    if m > 59 || s > 59 {
        return Err(bad());
    }
    let frac6 = num(&format!("{:0<6}", &frac[..frac.len().min(6)]))?;
    let micros = h
        .checked_mul(3_600_000_000)
        .and_then(|v| v.checked_add(m * 60_000_000 + s * 1_000_000 + frac6))
        .ok_or_else(bad)?;
    Ok(if neg { -micros } else { micros })
}

#[cfg(test)]
#[path = "more_types_tests.rs"]
mod tests;
