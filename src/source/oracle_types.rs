//! Oracle types: declared type → Arrow, fetched values → Arrow builders and cursors.
//! Values pass through [`OraValue`] so the mapping is tested without an Oracle client.

use super::arrow::{ColumnBuilder, MoreBuilder, parse_decimal};
use crate::plan::sql::Query;
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{FixedOffset, NaiveDate, NaiveDateTime};
use oracle::sql_type::{IntervalDS, IntervalYM, OracleType, Timestamp, ToSql};
use oracle::{Connection, SqlValue};
use std::collections::HashMap;

/// Default scale of a `NUMBER` declared without precision: Decimal128(38, 9), as the spec maps
/// a numeric without precision on every source.
pub const DEFAULT_NUMBER_SCALE: u8 = 9;

/// Largest fetch array / prefetch size, whatever the batch size (bounds driver memory).
pub const MAX_FETCH_ROWS: usize = 10_000;

/// One fetched value, read from the driver in the form its column needs.
#[derive(Debug, Clone, PartialEq)]
pub enum OraValue {
    /// NULL.
    Null,
    /// Text (character types, LOBs, ROWID) or a NUMBER's exact decimal text.
    Text(String),
    /// BINARY_FLOAT / BINARY_DOUBLE.
    Float(f64),
    /// RAW / BLOB / LONG RAW.
    Bytes(Vec<u8>),
    /// DATE / TIMESTAMP: wall-clock time; with the offset in seconds for time-zone types.
    Timestamp(NaiveDateTime, Option<i32>),
    /// BOOLEAN (Oracle 23ai).
    Bool(bool),
}

/// How a value of a column is read from the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    /// `String` (exact decimal text for NUMBER).
    Text,
    /// `f64`.
    Float,
    /// `Vec<u8>`.
    Bytes,
    /// `oracle::sql_type::Timestamp`.
    Timestamp,
    /// `IntervalDS`, written as ISO 8601 text.
    IntervalDs,
    /// `IntervalYM`, written as ISO 8601 text.
    IntervalYm,
    /// `bool`.
    Bool,
}

/// The Arrow type of an Oracle column and how its values are read; `None` when unmapped.
/// `number_scale` is the scale used for NUMBER without precision.
pub fn map_type(t: &OracleType, number_scale: u8) -> Option<(DataType, ReadAs)> {
    let unit = |n: u8| {
        if n <= 6 {
            TimeUnit::Microsecond
        } else {
            TimeUnit::Nanosecond
        }
    };
    let unbounded = DataType::Decimal128(38, number_scale.min(38) as i8);
    Some(match t {
        OracleType::Number(0, _) => (unbounded, ReadAs::Text),
        OracleType::Number(p, 0) if *p <= 18 => (DataType::Int64, ReadAs::Text),
        OracleType::Number(p, s) if *s < 0 => {
            let p = (*p as i16 - *s as i16).min(38) as u8;
            (DataType::Decimal128(p, 0), ReadAs::Text)
        }
        OracleType::Number(p, s) if *p <= 38 && (*s as u8) <= *p => {
            (DataType::Decimal128(*p, *s), ReadAs::Text)
        }
        OracleType::Number(p, s) if *p <= 38 && (*s as u8) <= 38 => {
            (DataType::Decimal128(38, *s), ReadAs::Text) // NUMBER(2,5): scale > precision
        }
        OracleType::Float(_) => (unbounded, ReadAs::Text),
        OracleType::Int64 => (DataType::Int64, ReadAs::Text),
        OracleType::UInt64 => (DataType::Decimal128(20, 0), ReadAs::Text),
        OracleType::BinaryFloat => (DataType::Float32, ReadAs::Float),
        OracleType::BinaryDouble => (DataType::Float64, ReadAs::Float),
        OracleType::Varchar2(_)
        | OracleType::NVarchar2(_)
        | OracleType::Char(_)
        | OracleType::NChar(_)
        | OracleType::CLOB
        | OracleType::NCLOB
        | OracleType::Long
        | OracleType::Rowid
        | OracleType::Xml
        | OracleType::Json => (DataType::Utf8, ReadAs::Text),
        OracleType::Raw(_) | OracleType::BLOB | OracleType::LongRaw => {
            (DataType::Binary, ReadAs::Bytes)
        }
        OracleType::Date => (
            DataType::Timestamp(TimeUnit::Microsecond, None),
            ReadAs::Timestamp,
        ),
        OracleType::Timestamp(n) => (DataType::Timestamp(unit(*n), None), ReadAs::Timestamp),
        OracleType::TimestampTZ(n) | OracleType::TimestampLTZ(n) => (
            DataType::Timestamp(unit(*n), Some("UTC".into())),
            ReadAs::Timestamp,
        ),
        OracleType::IntervalDS(..) => (DataType::Utf8, ReadAs::IntervalDs),
        OracleType::IntervalYM(_) => (DataType::Utf8, ReadAs::IntervalYm),
        OracleType::Boolean => (DataType::Boolean, ReadAs::Bool),
        _ => return None,
    })
}

/// `INTERVAL DAY TO SECOND` as ISO 8601 (`P1DT2H3M4.5S`, `-PT0.000001S`, `PT0S`).
pub fn interval_ds_text(days: i32, hours: i32, minutes: i32, seconds: i32, nanos: i32) -> String {
    let neg = days < 0 || hours < 0 || minutes < 0 || seconds < 0 || nanos < 0;
    let (d, h, m, s, n) = (
        days.unsigned_abs(),
        hours.unsigned_abs(),
        minutes.unsigned_abs(),
        seconds.unsigned_abs(),
        nanos.unsigned_abs(),
    );
    let mut out = String::from(if neg { "-P" } else { "P" });
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if h > 0 || m > 0 || s > 0 || n > 0 || d == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 || n > 0 || (h == 0 && m == 0) {
            let frac = format!("{n:09}");
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                out.push_str(&format!("{s}S"));
            } else {
                out.push_str(&format!("{s}.{frac}S"));
            }
        }
    }
    out
}

/// `INTERVAL YEAR TO MONTH` as ISO 8601 (`P1Y2M`, `-P3M`, `P0M`).
pub fn interval_ym_text(years: i32, months: i32) -> String {
    let neg = years < 0 || months < 0;
    let (y, m) = (years.unsigned_abs(), months.unsigned_abs());
    let mut out = String::from(if neg { "-P" } else { "P" });
    if y > 0 {
        out.push_str(&format!("{y}Y"));
    }
    if m > 0 || y == 0 {
        out.push_str(&format!("{m}M"));
    }
    out
}

/// The instant of a timestamp value in UTC (the offset, when present, is subtracted).
fn utc_of(t: NaiveDateTime, offset: Option<i32>) -> NaiveDateTime {
    match offset {
        Some(secs) => t - chrono::TimeDelta::seconds(secs as i64),
        None => t,
    }
}

/// Append one value to its column's builder, exactly; `Err` says why it does not fit.
pub fn append(b: &mut ColumnBuilder, v: &OraValue) -> Result<(), String> {
    let mismatch = || "has a type this column cannot hold".to_string();
    match (b, v) {
        (b, OraValue::Null) => b.append_null(),
        (ColumnBuilder::Decimal(b, p, s), OraValue::Text(t)) => {
            b.append_value(parse_decimal(t, *p, *s)?)
        }
        (ColumnBuilder::Int64(b), OraValue::Text(t)) => b.append_value(
            t.trim()
                .parse()
                .map_err(|_| "is not a 64-bit integer".to_string())?,
        ),
        (ColumnBuilder::More(MoreBuilder::Float32(b)), OraValue::Float(f)) => {
            b.append_value(*f as f32)
        }
        (ColumnBuilder::Float64(b), OraValue::Float(f)) => b.append_value(*f),
        (ColumnBuilder::Utf8(b), OraValue::Text(t)) => b.append_value(t),
        (ColumnBuilder::Binary(b), OraValue::Bytes(x)) => b.append_value(x),
        (ColumnBuilder::Boolean(b), OraValue::Bool(x)) => b.append_value(*x),
        (ColumnBuilder::Timestamp(b, utc), OraValue::Timestamp(t, off)) => {
            let u = if *utc { utc_of(*t, *off) } else { *t }.and_utc();
            if u.timestamp_subsec_nanos() % 1000 != 0 {
                return Err("has sub-microsecond digits".into());
            }
            b.append_value(u.timestamp_micros())
        }
        (ColumnBuilder::More(MoreBuilder::TimestampNanos(b, utc)), OraValue::Timestamp(t, off)) => {
            let u = if *utc { utc_of(*t, *off) } else { *t }.and_utc();
            b.append_value(u.timestamp_nanos_opt().ok_or_else(|| {
                "is outside the nanosecond timestamp range (1677-2262)".to_string()
            })?)
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// The value as text for an error message.
pub fn display(v: &OraValue) -> String {
    match v {
        OraValue::Null => "NULL".into(),
        OraValue::Text(t) => t.chars().take(200).collect(),
        OraValue::Float(f) => f.to_string(),
        OraValue::Bytes(b) => format!("<{} bytes>", b.len()),
        OraValue::Timestamp(t, None) => t.to_string(),
        OraValue::Timestamp(t, Some(o)) => format!("{t} {o:+}s"),
        OraValue::Bool(b) => b.to_string(),
    }
}

/// A cursor value read from `MIN`/`MAX`; `Ok(None)` for NULL.
pub fn cursor_of(v: &OraValue, kind: CursorKind) -> Result<Option<CursorValue>, String> {
    let bad = || format!("`{}` cannot be a {kind} cursor", display(v));
    Ok(Some(match (kind, v) {
        (_, OraValue::Null) => return Ok(None),
        (CursorKind::Int, OraValue::Text(t)) => {
            CursorValue::Int(t.trim().parse().map_err(|_| bad())?)
        }
        (CursorKind::Decimal, OraValue::Text(t)) => {
            CursorValue::Decimal(crate::plan::cursor::parse_decimal(t.trim()).ok_or_else(bad)?)
        }
        (CursorKind::Timestamp, OraValue::Timestamp(t, None)) => CursorValue::Timestamp(*t),
        (CursorKind::TimestampTz, OraValue::Timestamp(t, off)) => {
            let offset = FixedOffset::east_opt(off.unwrap_or(0)).ok_or_else(bad)?;
            let utc = utc_of(*t, *off).and_utc();
            CursorValue::TimestampTz(utc.with_timezone(&offset))
        }
        (CursorKind::Date, OraValue::Timestamp(t, None)) => CursorValue::Date(t.date()),
        _ => return Err(bad()),
    }))
}

/// A wall-clock timestamp from Oracle's parts; `None` when they are not a valid date.
pub fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ns: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_nano_opt(h, mi, s, ns)
}

// ---- Reading from and binding to the driver (needs no server to compile or test) ----

/// What a user sees when Oracle Instant Client cannot be loaded (ODPI-C error DPI-1047).
pub const INSTANT_CLIENT_HINT: &str = "Oracle Instant Client is not installed or cannot be found: \
download the 'Basic' or 'Basic Light' package from \
https://www.oracle.com/database/technologies/instant-client/downloads.html, unzip it, and add \
its folder to PATH (Windows) or LD_LIBRARY_PATH (Linux; or run ldconfig), then retry";

/// A driver error as a message; DPI-1047 (no Instant Client) gets the install hint.
pub fn describe_error(e: &oracle::Error) -> String {
    let text = e.to_string();
    if text.contains("DPI-1047") {
        format!("{INSTANT_CLIENT_HINT} ({text})")
    } else {
        text
    }
}

/// How values of a column of this type are read (text when unmapped).
pub fn read_as_of(t: &OracleType) -> ReadAs {
    map_type(t, 0).map_or(ReadAs::Text, |m| m.1)
}

/// Bind values in placeholder order: Int and Decimal → NUMBER, Date → DATE, Timestamp → TIMESTAMP(9)
/// (DATE for DATE columns when there is no fraction), TimestampTz → TIMESTAMP(9) WITH TIME ZONE.
pub fn bind_values(query: &Query, dates: &HashMap<String, bool>) -> Vec<Box<dyn ToSql>> {
    query
        .params
        .iter()
        .map(|p| -> Box<dyn ToSql> {
            match p.value {
                CursorValue::Int(v) => match i64::try_from(v) {
                    Ok(v) => Box::new(v),
                    Err(_) => Box::new(Typed(v.to_string(), OracleType::Number(38, 0))),
                },
                // Exact: the decimal's text converted to NUMBER by the client library.
                CursorValue::Decimal(d) => {
                    Box::new(Typed(d.to_string(), OracleType::Number(0, -127)))
                }
                CursorValue::Date(d) => Box::new(Typed(d, OracleType::Date)),
                CursorValue::Timestamp(t)
                    if crate::plan::column::by_column(dates, &p.column)
                        .copied()
                        .unwrap_or(false)
                        && chrono::Timelike::nanosecond(&t) == 0 =>
                {
                    Box::new(Typed(t, OracleType::Date))
                }
                CursorValue::Timestamp(t) => Box::new(t),
                CursorValue::TimestampTz(t) => Box::new(t),
            }
        })
        .collect()
}

/// A value bound with an explicit Oracle type (e.g. a timestamp bound as DATE).
struct Typed<T>(T, OracleType);

impl<T: ToSql> ToSql for Typed<T> {
    fn oratype(&self, _conn: &Connection) -> oracle::Result<OracleType> {
        Ok(self.1.clone())
    }

    fn to_sql(&self, val: &mut SqlValue) -> oracle::Result<()> {
        self.0.to_sql(val)
    }
}

/// Read one fetched value in the form its column needs; `Err` is the driver's message.
pub fn read(v: &SqlValue, how: ReadAs) -> Result<OraValue, String> {
    read_value(v, how).map_err(|e| match e {
        ReadError::Driver(e) => describe_error(&e),
        ReadError::Invalid(m) => m,
    })
}

enum ReadError {
    Driver(oracle::Error),
    Invalid(String),
}

impl From<oracle::Error> for ReadError {
    fn from(e: oracle::Error) -> Self {
        ReadError::Driver(e)
    }
}

fn read_value(v: &SqlValue, how: ReadAs) -> Result<OraValue, ReadError> {
    if v.is_null()? {
        return Ok(OraValue::Null);
    }
    Ok(match how {
        ReadAs::Text => OraValue::Text(v.get::<String>()?),
        ReadAs::Float => OraValue::Float(v.get::<f64>()?),
        ReadAs::Bytes => OraValue::Bytes(v.get::<Vec<u8>>()?),
        ReadAs::Bool => OraValue::Bool(v.get::<bool>()?),
        ReadAs::Timestamp => {
            let t = v.get::<Timestamp>()?;
            let naive = naive(
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.nanosecond(),
            )
            .ok_or_else(|| ReadError::Invalid(format!("`{t}` is not a valid timestamp")))?;
            OraValue::Timestamp(naive, t.with_tz().then(|| t.tz_offset()))
        }
        ReadAs::IntervalDs => {
            let i = v.get::<IntervalDS>()?;
            OraValue::Text(interval_ds_text(
                i.days(),
                i.hours(),
                i.minutes(),
                i.seconds(),
                i.nanoseconds(),
            ))
        }
        ReadAs::IntervalYm => {
            let i = v.get::<IntervalYM>()?;
            OraValue::Text(interval_ym_text(i.years(), i.months()))
        }
    })
}

#[cfg(test)]
#[path = "oracle_types_tests.rs"]
mod tests;
