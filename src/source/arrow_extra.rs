//! Arrow builders added for SQL Server and Oracle (UInt8, Int16, Int32, Float32, Time64(ns),
//! Timestamp(ns), FixedSizeBinary): a sibling of `arrow.rs`, kept apart for size.

use super::{Cell, ColumnBuilder};
use arrow::array::{
    FixedSizeBinaryBuilder, Float32Builder, Int16Builder, Int32Builder, Time64NanosecondBuilder,
    TimestampNanosecondBuilder, UInt8Builder,
};
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDateTime, NaiveTime};

impl ColumnBuilder {
    /// Builders for the Arrow types added for SQL Server and Oracle.
    pub(super) fn new_extra(data_type: &DataType, capacity: usize) -> Option<ColumnBuilder> {
        Some(match data_type {
            DataType::UInt8 => ColumnBuilder::UInt8(UInt8Builder::with_capacity(capacity)),
            DataType::Int16 => ColumnBuilder::Int16(Int16Builder::with_capacity(capacity)),
            DataType::Int32 => ColumnBuilder::Int32(Int32Builder::with_capacity(capacity)),
            DataType::Float32 => ColumnBuilder::Float32(Float32Builder::with_capacity(capacity)),
            DataType::Time64(TimeUnit::Nanosecond) => {
                ColumnBuilder::TimeNanos(Time64NanosecondBuilder::with_capacity(capacity))
            }
            DataType::Timestamp(TimeUnit::Nanosecond, tz) => {
                let b = TimestampNanosecondBuilder::with_capacity(capacity)
                    .with_timezone_opt(tz.clone());
                ColumnBuilder::TimestampNanos(b, tz.is_some())
            }
            DataType::FixedSizeBinary(w) if *w > 0 => {
                ColumnBuilder::FixedBinary(FixedSizeBinaryBuilder::with_capacity(capacity, *w), *w)
            }
            _ => return None,
        })
    }

    /// `append` for the builders added for SQL Server and Oracle, from loosely typed cells.
    pub(super) fn append_extra(&mut self, cell: Cell<'_>) -> Result<(), String> {
        let int = |c: Cell<'_>| match c {
            Cell::Int(v) => Ok(v),
            Cell::Text(t) => t
                .trim()
                .parse::<i64>()
                .map_err(|_| "is not an integer".to_string()),
            _ => Err("is not an integer".to_string()),
        };
        let range = |_| "is out of range for the column's integer type".to_string();
        match self {
            ColumnBuilder::UInt8(b) => b.append_value(u8::try_from(int(cell)?).map_err(range)?),
            ColumnBuilder::Int16(b) => b.append_value(i16::try_from(int(cell)?).map_err(range)?),
            ColumnBuilder::Int32(b) => b.append_value(i32::try_from(int(cell)?).map_err(range)?),
            ColumnBuilder::Float32(b) => match cell {
                Cell::Float(v) if (v as f32) as f64 == v || v.is_nan() => b.append_value(v as f32),
                Cell::Float(_) => return Err("does not fit a 32-bit float exactly".into()),
                _ => return Err("is not a number".into()),
            },
            ColumnBuilder::TimeNanos(b) => match cell {
                Cell::Text(t) => {
                    let t = NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f")
                        .map_err(|_| "is not a time (expected HH:MM:SS[.fffffffff])".to_string())?;
                    b.append_value((t - NaiveTime::MIN).num_nanoseconds().unwrap_or(0))
                }
                _ => return Err("is not a time (expected text HH:MM:SS)".into()),
            },
            ColumnBuilder::TimestampNanos(b, utc) => match cell {
                Cell::Text(t) => b.append_value(parse_timestamp_nanos(t, *utc)?),
                _ => return Err("is not a timestamp (expected text YYYY-MM-DD HH:MM:SS)".into()),
            },
            ColumnBuilder::FixedBinary(b, w) => {
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
            _ => return Err("has no conversion for this column type".into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_builders_convert_cells() {
        let mut u = ColumnBuilder::new(&DataType::UInt8, 2).unwrap();
        assert!(u.append(Cell::Int(255)).is_ok());
        assert!(u.append(Cell::Int(256)).is_err());
        let mut f = ColumnBuilder::new(&DataType::Float32, 2).unwrap();
        assert!(f.append(Cell::Float(0.5)).is_ok());
        assert!(f.append(Cell::Float(0.1)).is_err());
        let mut g = ColumnBuilder::new(&DataType::FixedSizeBinary(16), 2).unwrap();
        assert!(
            g.append(Cell::Text("00112233-4455-6677-8899-aabbccddeeff"))
                .is_ok()
        );
        assert!(g.append(Cell::Bytes(&[1, 2])).is_err());
        assert_eq!(g.finish().len(), 1);
        assert_eq!(
            parse_timestamp_nanos("1970-01-01 00:00:00.0000001", false),
            Ok(100)
        );
    }
}
