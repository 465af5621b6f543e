//! MySQL / MariaDB types: `COLUMN_TYPE` text and wire types mapped to Arrow, and values of the
//! binary protocol decoded exactly (zero dates reported as such, never a crash).

use super::SourceError;
use super::arrow::{Cell, ColumnBuilder, MoreBuilder};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{DataType, TimeUnit};

/// DECIMAL whose precision is unknown (a `source_query` column): MySQL's widest, so every value fits.
pub const WIDEST_DECIMAL: (u8, i8) = (65, 30);

/// Map a `information_schema.columns.COLUMN_TYPE` (e.g. `decimal(12,2)`, `tinyint(1)`,
/// `bigint(20) unsigned`, `datetime(6)`, `enum('a','b')`) to Arrow; `None` when not mappable.
pub fn map_column_type(column_type: &str) -> Option<DataType> {
    let t = column_type.trim().to_ascii_lowercase();
    let base_end = t.find(['(', ' ']).unwrap_or(t.len());
    let base = &t[..base_end];
    let unsigned = t.contains(" unsigned");
    let args = t
        .get(base_end..)
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split_once(')'))
        .map(|(inner, _)| inner)
        .unwrap_or("");
    let int = |signed: DataType, unsigned_t: DataType| if unsigned { unsigned_t } else { signed };
    Some(match base {
        "bool" | "boolean" => DataType::Boolean,
        "tinyint" if args.trim() == "1" => DataType::Boolean,
        "tinyint" => int(DataType::Int8, DataType::UInt8),
        "smallint" => int(DataType::Int16, DataType::UInt16),
        "mediumint" | "int" | "integer" => int(DataType::Int32, DataType::UInt32),
        "bigint" => int(DataType::Int64, DataType::UInt64),
        "decimal" | "numeric" | "dec" | "fixed" => {
            let mut parts = args.split(',').map(str::trim);
            let p: u8 = match parts.next() {
                Some("") | None => 10,
                Some(p) => p.parse().ok()?,
            };
            let s: i8 = match parts.next() {
                Some(s) => s.parse().ok()?,
                None => 0,
            };
            decimal_type(p, s)?
        }
        "float" => DataType::Float32,
        "double" | "real" | "double precision" => DataType::Float64,
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set"
        | "json" | "nchar" | "nvarchar" | "uuid" | "inet4" | "inet6" => DataType::Utf8,
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "geometry"
        | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
        | "multipolygon" | "geometrycollection" => DataType::Binary,
        "bit" => DataType::UInt64,
        "date" => DataType::Date32,
        "time" => DataType::Duration(TimeUnit::Microsecond),
        "datetime" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        "year" => DataType::Int16,
        _ => return None,
    })
}

/// DECIMAL(p, s) as Decimal128 up to precision 38, Decimal256 above (MySQL allows 65).
pub fn decimal_type(p: u8, s: i8) -> Option<DataType> {
    if p == 0 || s < 0 || s as u8 > p || p > 76 {
        return None;
    }
    Some(if p <= 38 {
        DataType::Decimal128(p, s)
    } else {
        DataType::Decimal256(p, s)
    })
}

/// Map a wire type name (sqlx's `MySqlTypeInfo::name`, for `source_query` columns) to Arrow.
pub fn map_wire_type(name: &str) -> Option<DataType> {
    Some(match name {
        "NULL" => DataType::Utf8,
        "DECIMAL" => DataType::Decimal256(WIDEST_DECIMAL.0, WIDEST_DECIMAL.1),
        "BOOLEAN" => DataType::Boolean,
        "MEDIUMINT" => DataType::Int32,
        "MEDIUMINT UNSIGNED" => DataType::UInt32,
        "INT UNSIGNED" => DataType::UInt32,
        "TIMESTAMP" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        "VARCHAR" | "CHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" => DataType::Utf8,
        "VARBINARY" | "BINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
            DataType::Binary
        }
        other => return map_column_type(other),
    })
}

/// How a column's values travel in the binary protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// A little-endian integer of `bytes` bytes.
    Int {
        /// Width: 1, 2, 4 or 8.
        bytes: u8,
        /// Unsigned.
        unsigned: bool,
    },
    /// A 4-byte float.
    Float,
    /// An 8-byte float.
    Double,
    /// DATE, DATETIME or TIMESTAMP: a length byte then the fields.
    DateTime,
    /// TIME: a length byte, sign, days, hours, minutes, seconds, micros.
    Time,
    /// Bytes as sent (text, DECIMAL text, BIT big-endian, blobs).
    Bytes,
}

impl Wire {
    /// The wire form of a sqlx type name.
    pub fn of(name: &str) -> Wire {
        let unsigned = name.ends_with("UNSIGNED");
        let base = name.trim_end_matches(" UNSIGNED");
        match base {
            "BOOLEAN" | "TINYINT" => Wire::Int { bytes: 1, unsigned },
            "SMALLINT" | "YEAR" => Wire::Int { bytes: 2, unsigned },
            "INT" | "MEDIUMINT" => Wire::Int { bytes: 4, unsigned },
            "BIGINT" => Wire::Int { bytes: 8, unsigned },
            "FLOAT" => Wire::Float,
            "DOUBLE" => Wire::Double,
            "DATE" | "DATETIME" | "TIMESTAMP" => Wire::DateTime,
            "TIME" => Wire::Time,
            _ => Wire::Bytes,
        }
    }
}

/// One decoded value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Any integer.
    Int(i128),
    /// A float (FLOAT widened exactly).
    Float(f64),
    /// Bytes as sent.
    Bytes(&'a [u8]),
    /// A calendar date, as days since the Unix epoch.
    Date(i32),
    /// A date and time, as µs since the Unix epoch (of the naive value).
    DateTime(i64),
    /// A signed duration in µs (TIME).
    Time(i64),
    /// `0000-00-00` or another date with a zero part: not a real date.
    ZeroDate,
}

fn le<const N: usize>(b: &[u8]) -> Result<[u8; N], String> {
    b.get(..N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| format!("is a truncated {N}-byte value"))
}

/// Decode one non-NULL binary-protocol value of wire form `wire`.
pub fn decode(wire: Wire, b: &[u8]) -> Result<Value<'_>, String> {
    Ok(match wire {
        Wire::Int { bytes: 1, unsigned } => {
            let v = le::<1>(b)?[0];
            Value::Int(if unsigned { v as i128 } else { v as i8 as i128 })
        }
        Wire::Int { bytes: 2, unsigned } => {
            let v = le::<2>(b)?;
            Value::Int(if unsigned {
                u16::from_le_bytes(v) as i128
            } else {
                i16::from_le_bytes(v) as i128
            })
        }
        Wire::Int { bytes: 4, unsigned } => {
            let v = le::<4>(b)?;
            Value::Int(if unsigned {
                u32::from_le_bytes(v) as i128
            } else {
                i32::from_le_bytes(v) as i128
            })
        }
        Wire::Int { unsigned, .. } => {
            let v = le::<8>(b)?;
            Value::Int(if unsigned {
                u64::from_le_bytes(v) as i128
            } else {
                i64::from_le_bytes(v) as i128
            })
        }
        Wire::Float => Value::Float(f32::from_le_bytes(le::<4>(b)?) as f64),
        Wire::Double => Value::Float(f64::from_le_bytes(le::<8>(b)?)),
        Wire::DateTime => decode_datetime(b)?,
        Wire::Time => decode_time(b)?,
        Wire::Bytes => Value::Bytes(b),
    })
}

fn decode_datetime(b: &[u8]) -> Result<Value<'_>, String> {
    let len = *b.first().ok_or("is an empty date value")? as usize;
    let f = b.get(1..1 + len).ok_or("is a truncated date value")?;
    if len == 0 {
        return Ok(Value::ZeroDate);
    }
    if len < 4 {
        return Err("is a malformed date value".into());
    }
    let year = u16::from_le_bytes([f[0], f[1]]) as i32;
    let (month, day) = (f[2] as u32, f[3] as u32);
    if year == 0 || month == 0 || day == 0 {
        return Ok(Value::ZeroDate);
    }
    let days = days_from_civil(year, month, day)
        .ok_or_else(|| format!("is not a valid date ({year:04}-{month:02}-{day:02})"))?;
    if len == 4 {
        return Ok(Value::Date(days));
    }
    let (h, m, s) = match f.get(4..7) {
        Some(t) => (t[0] as i64, t[1] as i64, t[2] as i64),
        None => return Err("is a malformed datetime value".into()),
    };
    let micros = match f.get(7..11) {
        Some(u) => u32::from_le_bytes([u[0], u[1], u[2], u[3]]) as i64,
        None => 0,
    };
    if h > 23 || m > 59 || s > 59 || micros > 999_999 {
        return Err("is not a valid time of day".into());
    }
    let secs = days as i64 * 86_400 + h * 3600 + m * 60 + s;
    Ok(Value::DateTime(secs * 1_000_000 + micros))
}

/// Days since 1970-01-01 of a proleptic Gregorian date, `None` when there is no such day
/// (arithmetic only: this runs for every DATE and DATETIME value).
fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    // Howard Hinnant's days_from_civil: years start in March, eras are 400 years.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year as i32;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn decode_time(b: &[u8]) -> Result<Value<'_>, String> {
    let len = *b.first().ok_or("is an empty time value")? as usize;
    let f = b.get(1..1 + len).ok_or("is a truncated time value")?;
    if len == 0 {
        return Ok(Value::Time(0));
    }
    if len < 8 {
        return Err("is a malformed time value".into());
    }
    let neg = f[0] == 1;
    let days = u32::from_le_bytes([f[1], f[2], f[3], f[4]]) as i64;
    let (h, m, s) = (f[5] as i64, f[6] as i64, f[7] as i64);
    let micros = match f.get(8..12) {
        Some(u) => u32::from_le_bytes([u[0], u[1], u[2], u[3]]) as i64,
        None => 0,
    };
    // days < 2^32 and the rest are bytes: at most ~3.7e20 µs, so compute in i128 and check.
    let total = (((days as i128 * 24 + h as i128) * 60 + m as i128) * 60 + s as i128) * 1_000_000
        + micros as i128;
    let total = i64::try_from(total).map_err(|_| "is a TIME value out of range".to_string())?;
    Ok(Value::Time(if neg { -total } else { total }))
}

/// BIT(n) bytes (big-endian) as an unsigned integer.
pub fn bit_value(b: &[u8]) -> Result<u64, String> {
    let b = &b[b.iter().take_while(|x| **x == 0).count()..];
    if b.len() > 8 {
        return Err("is wider than 64 bits".into());
    }
    Ok(b.iter().fold(0u64, |acc, x| (acc << 8) | *x as u64))
}

/// Append one decoded value to the column's builder.
pub fn append(b: &mut ColumnBuilder, v: Value<'_>) -> Result<(), String> {
    match v {
        Value::Int(i) => b.append_int(i),
        Value::Float(f) => b.append_f64(f),
        Value::Date(d) => b.append_days(d),
        Value::DateTime(us) | Value::Time(us) => b.append_micros(us),
        Value::ZeroDate => {
            b.append_null();
            Ok(())
        }
        Value::Bytes(bytes) => match b {
            ColumnBuilder::Utf8(_) | ColumnBuilder::Binary(_) => b.append(Cell::Bytes(bytes)),
            _ if is_integer_builder(b) => b.append_int(bit_value(bytes)? as i128),
            _ => match std::str::from_utf8(bytes) {
                Ok(t) => b.append(Cell::Text(t)),
                Err(_) => Err("is not valid UTF-8 text".into()),
            },
        },
    }
}

/// Whether the column holds integers (BIT values arrive as big-endian bytes).
fn is_integer_builder(b: &ColumnBuilder) -> bool {
    match b {
        ColumnBuilder::Int64(_) | ColumnBuilder::Boolean(_) => true,
        ColumnBuilder::More(m) => !matches!(
            m,
            MoreBuilder::Decimal256(..) | MoreBuilder::Float32(_) | MoreBuilder::Duration(_)
        ),
        _ => false,
    }
}

/// A value as text for an error message.
pub fn show(bytes: Option<&[u8]>, wire: Wire) -> String {
    match bytes {
        None => "NULL".into(),
        Some(b) => match decode(wire, b) {
            Ok(Value::Int(i)) => i.to_string(),
            Ok(Value::Float(f)) => f.to_string(),
            Ok(Value::Bytes(b)) => match std::str::from_utf8(b) {
                Ok(t) => t.chars().take(200).collect(),
                Err(_) => format!("<{} bytes>", b.len()),
            },
            Ok(other) => format!("{other:?}"),
            Err(_) => format!("<{} bytes>", b.len()),
        },
    }
}

/// A cursor value from a decoded MIN/MAX cell.
pub fn cursor_of(v: Value<'_>, kind: CursorKind, column: &str) -> Result<CursorValue, SourceError> {
    let bad = |reason: &str| SourceError::BadValue {
        column: column.to_string(),
        key: None,
        value: format!("{v:?}"),
        reason: reason.to_string(),
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| bad("no epoch"))?;
    let ts = |us: i64| chrono::DateTime::from_timestamp_micros(us).map(|t| t.naive_utc());
    // A DATETIME at midnight travels like a DATE (no time part): widen it.
    let v = match (kind, v) {
        (CursorKind::Timestamp | CursorKind::TimestampTz, Value::Date(d)) => {
            Value::DateTime(d as i64 * 86_400_000_000)
        }
        _ => v,
    };
    match (kind, v) {
        (CursorKind::Int, Value::Int(i)) => Ok(CursorValue::Int(i)),
        (CursorKind::Decimal, Value::Int(i)) => {
            rust_decimal::Decimal::try_from_i128_with_scale(i, 0)
                .map(CursorValue::Decimal)
                .map_err(|_| bad("has too many digits for a decimal cursor"))
        }
        (CursorKind::Date, Value::Date(d)) => epoch
            .checked_add_signed(chrono::Duration::days(d as i64))
            .map(CursorValue::Date)
            .ok_or_else(|| bad("is out of range")),
        (CursorKind::Timestamp, Value::DateTime(us)) => ts(us)
            .map(CursorValue::Timestamp)
            .ok_or_else(|| bad("is out of range")),
        (CursorKind::TimestampTz, Value::DateTime(us)) => ts(us)
            .map(|t| CursorValue::TimestampTz(t.and_utc().fixed_offset()))
            .ok_or_else(|| bad("is out of range")),
        (_, Value::ZeroDate) => Err(bad(
            "is a zero date, which cannot be a cursor; exclude it with query_filter",
        )),
        (_, Value::Bytes(b)) => {
            let text = String::from_utf8_lossy(b).to_string();
            CursorValue::parse(kind, &text).map_err(|e| bad(&e.to_string()))
        }
        _ => Err(bad(&format!("cannot be used as a {kind} cursor"))),
    }
}

#[cfg(test)]
#[path = "mysql_types_tests.rs"]
mod tests;
