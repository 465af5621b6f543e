//! Shared Arrow builders: typed columns filled from loosely typed driver values, exactly.

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder,
    Int64Builder, StringBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use std::sync::Arc;

mod decimal;
mod more_types;
pub use decimal::{parse_decimal, parse_decimal256};
pub use more_types::{MoreBuilder, parse_duration_micros, parse_timestamp_nanos};

/// Default decimal type for a NUMERIC/DECIMAL column declared without precision.
pub const DEFAULT_DECIMAL: (u8, i8) = (38, 9);

/// One value as a driver hands it over, before it is typed.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
}

impl Cell<'_> {
    /// The value as text for an error message (binary shown as its length).
    pub fn display(&self) -> String {
        match self {
            Cell::Null => "NULL".into(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(v) => v.to_string(),
            Cell::Text(s) => s.chars().take(200).collect(),
            Cell::Bytes(b) => format!("<{} bytes>", b.len()),
        }
    }
}

/// A builder for one column of one of the Arrow types the generic sources produce.
pub enum ColumnBuilder {
    /// Boolean.
    Boolean(BooleanBuilder),
    /// Int64.
    Int64(Int64Builder),
    /// Float64.
    Float64(Float64Builder),
    /// Decimal128 with precision and scale.
    Decimal(Decimal128Builder, u8, i8),
    /// Date32.
    Date(Date32Builder),
    /// Time64(µs).
    Time(Time64MicrosecondBuilder),
    /// Timestamp(µs), `true` when UTC-adjusted.
    Timestamp(TimestampMicrosecondBuilder, bool),
    /// Utf8.
    Utf8(StringBuilder),
    /// Binary.
    Binary(BinaryBuilder),
    /// More Arrow types (narrow and unsigned integers, Float32, Duration, Decimal256):
    /// see `arrow/more_types.rs`.
    More(MoreBuilder),
}

impl ColumnBuilder {
    /// A builder for `data_type`, or `None` if the generic builders do not cover it.
    pub fn new(data_type: &DataType, capacity: usize) -> Option<ColumnBuilder> {
        Some(match data_type {
            DataType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::with_capacity(capacity)),
            DataType::Int64 => ColumnBuilder::Int64(Int64Builder::with_capacity(capacity)),
            DataType::Float64 => ColumnBuilder::Float64(Float64Builder::with_capacity(capacity)),
            DataType::Decimal128(p, s) => ColumnBuilder::Decimal(
                Decimal128Builder::with_capacity(capacity)
                    .with_precision_and_scale(*p, *s)
                    .ok()?,
                *p,
                *s,
            ),
            DataType::Date32 => ColumnBuilder::Date(Date32Builder::with_capacity(capacity)),
            DataType::Time64(TimeUnit::Microsecond) => {
                ColumnBuilder::Time(Time64MicrosecondBuilder::with_capacity(capacity))
            }
            DataType::Timestamp(TimeUnit::Microsecond, tz) => {
                let b = TimestampMicrosecondBuilder::with_capacity(capacity)
                    .with_timezone_opt(tz.clone());
                ColumnBuilder::Timestamp(b, tz.is_some())
            }
            DataType::Utf8 => {
                ColumnBuilder::Utf8(StringBuilder::with_capacity(capacity, capacity * 16))
            }
            DataType::Binary => {
                ColumnBuilder::Binary(BinaryBuilder::with_capacity(capacity, capacity * 16))
            }
            other => ColumnBuilder::More(MoreBuilder::new(other, capacity)?),
        })
    }

    /// Append one value, converting it exactly; `Err` says why it does not fit.
    pub fn append(&mut self, cell: Cell<'_>) -> Result<(), String> {
        if let Cell::Null = cell {
            self.append_null();
            return Ok(());
        }
        match self {
            ColumnBuilder::Boolean(b) => b.append_value(match cell {
                Cell::Int(0) => false,
                Cell::Int(1) => true,
                Cell::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                    "true" | "t" | "1" => true,
                    "false" | "f" | "0" => false,
                    _ => return Err("is not a boolean (expected 0 or 1)".into()),
                },
                _ => return Err("is not a boolean (expected 0 or 1)".into()),
            }),
            ColumnBuilder::Int64(b) => b.append_value(match cell {
                Cell::Int(v) => v,
                _ => return Err("is not an integer".into()),
            }),
            ColumnBuilder::Float64(b) => b.append_value(match cell {
                Cell::Float(v) => v,
                Cell::Int(v) => v as f64,
                _ => return Err("is not a number".into()),
            }),
            ColumnBuilder::Decimal(b, p, s) => {
                let v = match cell {
                    Cell::Int(v) => parse_decimal(&v.to_string(), *p, *s)?,
                    Cell::Float(v) if v.is_finite() => parse_decimal(&v.to_string(), *p, *s)?,
                    Cell::Text(t) => parse_decimal(t, *p, *s)?,
                    _ => return Err(format!("is not a DECIMAL({p},{s}) value")),
                };
                b.append_value(v)
            }
            ColumnBuilder::Date(b) => match cell {
                Cell::Text(t) => b.append_value(parse_date(t)?),
                _ => return Err("is not a date (expected text YYYY-MM-DD)".into()),
            },
            ColumnBuilder::Time(b) => match cell {
                Cell::Text(t) => {
                    let t = NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f")
                        .map_err(|_| "is not a time (expected HH:MM:SS[.ffffff])".to_string())?;
                    let micros = (t - NaiveTime::MIN).num_microseconds().unwrap_or(0);
                    b.append_value(micros)
                }
                _ => return Err("is not a time (expected text HH:MM:SS)".into()),
            },
            ColumnBuilder::Timestamp(b, utc) => match cell {
                Cell::Text(t) => b.append_value(parse_timestamp_micros(t, *utc)?),
                _ => return Err("is not a timestamp (expected text YYYY-MM-DD HH:MM:SS)".into()),
            },
            ColumnBuilder::Utf8(b) => match cell {
                Cell::Text(t) => b.append_value(t),
                Cell::Int(v) => b.append_value(v.to_string()),
                Cell::Float(v) => b.append_value(v.to_string()),
                Cell::Bytes(bytes) => match std::str::from_utf8(bytes) {
                    Ok(t) => b.append_value(t),
                    Err(_) => return Err("is not valid UTF-8 text".into()),
                },
                Cell::Null => b.append_null(),
            },
            ColumnBuilder::Binary(b) => match cell {
                Cell::Bytes(bytes) => b.append_value(bytes),
                Cell::Text(t) => b.append_value(t.as_bytes()),
                _ => return Err("is not binary data".into()),
            },
            ColumnBuilder::More(b) => return b.append(cell),
        }
        Ok(())
    }

    /// Append a NULL.
    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Boolean(b) => b.append_null(),
            ColumnBuilder::Int64(b) => b.append_null(),
            ColumnBuilder::Float64(b) => b.append_null(),
            ColumnBuilder::Decimal(b, ..) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Timestamp(b, _) => b.append_null(),
            ColumnBuilder::Utf8(b) => b.append_null(),
            ColumnBuilder::Binary(b) => b.append_null(),
            ColumnBuilder::More(b) => b.append_null(),
        }
    }

    /// Finish the column.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Boolean(b) => Arc::new(b.finish()),
            ColumnBuilder::Int64(b) => Arc::new(b.finish()),
            ColumnBuilder::Float64(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b, ..) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b, _) => Arc::new(b.finish()),
            ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
            ColumnBuilder::Binary(b) => Arc::new(b.finish()),
            ColumnBuilder::More(b) => b.finish(),
        }
    }
}

/// Builders for a whole schema, producing record batches.
pub struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    rows: usize,
    capacity: usize,
}

impl BatchBuilder {
    /// Builders for `schema`; `Err` names the first column whose type is not covered.
    pub fn new(schema: SchemaRef, capacity: usize) -> Result<BatchBuilder, String> {
        let columns = schema
            .fields()
            .iter()
            .map(|f| {
                ColumnBuilder::new(f.data_type(), capacity)
                    .ok_or_else(|| format!("{} ({})", f.name(), f.data_type()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BatchBuilder {
            schema,
            columns,
            rows: 0,
            capacity,
        })
    }

    /// The builder of column `i`.
    pub fn column(&mut self, i: usize) -> &mut ColumnBuilder {
        &mut self.columns[i]
    }

    /// Count one finished row; returns true when the batch is full.
    pub fn end_row(&mut self) -> bool {
        self.rows += 1;
        self.rows >= self.capacity
    }

    /// Rows buffered.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is buffered.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Take the buffered rows as a batch.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays = self.columns.iter_mut().map(ColumnBuilder::finish).collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
    }
}

/// Parse `YYYY-MM-DD` into days since the Unix epoch.
pub fn parse_date(text: &str) -> Result<i32, String> {
    let d = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| "is not a date (expected YYYY-MM-DD)".to_string())?;
    Ok((d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
}

/// Parse a timestamp text into µs since the epoch. With an offset (or `Z`) the instant is
/// converted to UTC; a text without offset is taken as it is (local for no-tz columns, UTC for
/// tz columns). More than 6 fractional digits that are not zero is an error (never truncated).
pub fn parse_timestamp_micros(text: &str, utc: bool) -> Result<i64, String> {
    let t = text.trim();
    let bad = || "is not a timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff])".to_string();
    let s = t.replacen(' ', "T", 1);
    let naive = match DateTime::parse_from_rfc3339(&s)
        .or_else(|_| DateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f%#z"))
    {
        Ok(dt) if utc => dt.naive_utc(),
        Ok(_) => return Err("has a time zone offset but the column has none".into()),
        Err(_) => NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M"))
            .or_else(|_| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d").map(|d| d.and_time(NaiveTime::MIN))
            })
            .map_err(|_| bad())?,
    };
    if naive.and_utc().timestamp_subsec_nanos() % 1000 != 0 {
        return Err("has sub-microsecond digits, which a microsecond timestamp cannot hold".into());
    }
    Ok(naive.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(parse_decimal("1234.50", 12, 2), Ok(123450));
        assert_eq!(parse_decimal("-0.5", 12, 2), Ok(-50));
        assert_eq!(parse_decimal("7", 12, 2), Ok(700));
        assert_eq!(parse_decimal("1.5E3", 12, 2), Ok(150000));
        assert_eq!(parse_decimal("0.10000", 4, 2), Ok(10));
        assert!(parse_decimal("1.005", 12, 2).is_err());
        assert!(parse_decimal("123456", 5, 2).is_err());
        assert!(parse_decimal("abc", 5, 2).is_err());
        assert!(parse_decimal("", 5, 2).is_err());
        assert!(parse_decimal("-", 5, 2).is_err());
        assert_eq!(parse_decimal(&0.1f64.to_string(), 10, 2), Ok(10));
    }

    #[test]
    fn timestamps_parse_exactly() {
        assert_eq!(
            parse_timestamp_micros("1970-01-01 00:00:01.5", false),
            Ok(1_500_000)
        );
        assert_eq!(
            parse_timestamp_micros("1970-01-01T01:00:00+01:00", true),
            Ok(0)
        );
        assert!(parse_timestamp_micros("1970-01-01T01:00:00+01:00", false).is_err());
        assert!(parse_timestamp_micros("1970-01-01 00:00:00.0000001", false).is_err());
        assert_eq!(
            parse_timestamp_micros("1970-01-02", false),
            Ok(86_400_000_000)
        );
        assert_eq!(parse_date("1970-01-02"), Ok(1));
        assert!(parse_date("2024-13-01").is_err());
    }
}
