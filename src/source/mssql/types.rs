//! SQL Server types: declared type → Arrow, tiberius `ColumnData` → Arrow builders and cursors,
//! cursor values → typed parameters. Pure functions, tested without a server.

use crate::plan::{CursorKind, CursorValue};
use crate::source::arrow::{ColumnBuilder, MoreBuilder};
use arrow::datatypes::{DataType, Field, TimeUnit};
use chrono::{NaiveDateTime, NaiveTime, TimeDelta};
use tiberius::ColumnData;
use tiberius::time::{DateTime as MsDateTime, SmallDateTime};

/// How a cursor value must be bound so it compares exactly with its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParamKind {
    /// Legacy `datetime` (1/300 s ticks): bound as `datetime`, not `datetime2`.
    DateTime,
    /// `smalldatetime` (minutes): bound as `smalldatetime`.
    SmallDateTime,
    /// Anything else: the natural type of the value (bigint, date, datetime2(7), datetimeoffset(7)).
    #[default]
    Natural,
}

/// Split `decimal(18, 2)` into (`decimal`, [18, 2]); `max` and bad numbers become 0.
fn split_type(system_type_name: &str) -> (String, Vec<u32>) {
    let t = system_type_name.trim().to_ascii_lowercase();
    match t.split_once('(') {
        Some((base, rest)) => {
            let args = rest
                .trim_end_matches(')')
                .split(',')
                .map(|a| a.trim().parse().unwrap_or(0))
                .collect();
            (base.trim().to_string(), args)
        }
        None => (t, Vec::new()),
    }
}

/// The nullable Arrow field of a described column: [`map_type`], and for `uniqueidentifier` the
/// `arrow.uuid` extension, as PostgreSQL's `uuid` (Parquet writes the UUID logical type).
pub fn field(name: &str, system_type_name: &str) -> Option<Field> {
    let f = Field::new(name, map_type(system_type_name)?, true);
    let (base, _) = split_type(system_type_name);
    Some(if base == "uniqueidentifier" {
        f.with_metadata(std::collections::HashMap::from([(
            crate::source::postgres::types::EXTENSION_KEY.to_string(),
            crate::source::postgres::types::UUID_EXTENSION.to_string(),
        )]))
    } else {
        f
    })
}

/// The Arrow type of a SQL Server type as `sp_describe_first_result_set` names it
/// (`decimal(18,2)`, `datetime2(7)`, `nvarchar(max)` …); `None` when it cannot be mapped.
pub fn map_type(system_type_name: &str) -> Option<DataType> {
    let (base, args) = split_type(system_type_name);
    let frac = |default: u32| args.first().copied().unwrap_or(default);
    let unit = |n: u32| {
        if n <= 6 {
            TimeUnit::Microsecond
        } else {
            TimeUnit::Nanosecond
        }
    };
    Some(match base.as_str() {
        "bit" => DataType::Boolean,
        "tinyint" => DataType::UInt8,
        "smallint" => DataType::Int16,
        "int" => DataType::Int32,
        "bigint" => DataType::Int64,
        "decimal" | "numeric" => {
            let p = u8::try_from(frac(18))
                .ok()
                .filter(|p| (1..=38).contains(p))?;
            let s = i8::try_from(args.get(1).copied().unwrap_or(0)).ok()?;
            DataType::Decimal128(p, s)
        }
        "money" => DataType::Decimal128(19, 4),
        "smallmoney" => DataType::Decimal128(10, 4),
        "real" => DataType::Float32,
        "float" if frac(53) <= 24 => DataType::Float32,
        "float" => DataType::Float64,
        "char" | "varchar" | "nchar" | "nvarchar" | "text" | "ntext" | "xml" | "sysname" => {
            DataType::Utf8
        }
        "binary" | "varbinary" | "image" | "timestamp" | "rowversion" => DataType::Binary,
        "date" => DataType::Date32,
        "time" => DataType::Time64(unit(frac(7))),
        "datetime" | "smalldatetime" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "datetime2" => DataType::Timestamp(unit(frac(7)), None),
        "datetimeoffset" => DataType::Timestamp(unit(frac(7)), Some("UTC".into())),
        "uniqueidentifier" => DataType::FixedSizeBinary(16),
        _ => return None,
    })
}

/// How a column of this SQL Server type binds cursor values.
pub fn param_kind(system_type_name: &str) -> ParamKind {
    match split_type(system_type_name).0.as_str() {
        "datetime" => ParamKind::DateTime,
        "smalldatetime" => ParamKind::SmallDateTime,
        _ => ParamKind::Natural,
    }
}

use super::time::epoch;
pub use super::time::{
    date_value, datetime_value, datetime2_value, datetimeoffset_value, smalldatetime_value,
    time_nanos,
};

fn micros_exact(t: NaiveDateTime) -> Result<i64, String> {
    let u = t.and_utc();
    if !u.timestamp_subsec_nanos().is_multiple_of(1000) {
        return Err("has sub-microsecond digits, which a microsecond timestamp cannot hold".into());
    }
    Ok(u.timestamp_micros())
}

fn nanos_of(t: NaiveDateTime) -> Result<i64, String> {
    t.and_utc()
        .timestamp_nanos_opt()
        .ok_or_else(|| "is outside the nanosecond timestamp range (1677-2262)".to_string())
}

/// An exact `money`/`smallmoney` value: tiberius hands money over as `f64` (value / 10⁴); the
/// scaled integer is recovered exactly when |value| < 2⁵² / 10⁴ (≈ 450 billion), else an error.
pub fn money_scaled(v: f64) -> Result<i128, String> {
    let scaled = (v * 10_000.0).round();
    if !v.is_finite() || scaled.abs() >= 4_503_599_627_370_496.0 {
        return Err("is a money value too large to read exactly: CAST it to decimal(19,4) in a source_query".into());
    }
    Ok(scaled as i128)
}

fn rescale(value: i128, from: u8, precision: u8, to: i8) -> Result<i128, String> {
    let err = || format!("does not fit DECIMAL({precision},{to}) exactly");
    let to = u32::try_from(to).map_err(|_| err())?;
    let from = from as u32;
    let v = if to >= from {
        value
            .checked_mul(10i128.checked_pow(to - from).ok_or_else(err)?)
            .ok_or_else(err)?
    } else {
        let f = 10i128.checked_pow(from - to).ok_or_else(err)?;
        if value % f != 0 {
            return Err(err());
        }
        value / f
    };
    if v.unsigned_abs() >= 10u128.pow(precision as u32) {
        return Err(err());
    }
    Ok(v)
}

/// The value as text for an error message.
pub fn display(data: &ColumnData<'_>) -> String {
    match data {
        ColumnData::U8(Some(v)) => v.to_string(),
        ColumnData::I16(Some(v)) => v.to_string(),
        ColumnData::I32(Some(v)) => v.to_string(),
        ColumnData::I64(Some(v)) => v.to_string(),
        ColumnData::F32(Some(v)) => v.to_string(),
        ColumnData::F64(Some(v)) => v.to_string(),
        ColumnData::Bit(Some(v)) => v.to_string(),
        ColumnData::String(Some(s)) => s.chars().take(200).collect(),
        ColumnData::Guid(Some(g)) => g.to_string(),
        ColumnData::Binary(Some(b)) => format!("<{} bytes>", b.len()),
        ColumnData::Numeric(Some(n)) => n.to_string(),
        ColumnData::Xml(Some(x)) => x.to_string().chars().take(200).collect(),
        ColumnData::DateTime(Some(v)) => datetime_value(*v).to_string(),
        ColumnData::SmallDateTime(Some(v)) => smalldatetime_value(*v).to_string(),
        ColumnData::Time(Some(v)) => format!("{} ns after midnight", time_nanos(*v)),
        ColumnData::Date(Some(v)) => date_value(*v).to_string(),
        ColumnData::DateTime2(Some(v)) => datetime2_value(*v).to_string(),
        ColumnData::DateTimeOffset(Some(v)) => datetimeoffset_value(*v).to_rfc3339(),
        _ => "NULL".into(),
    }
}

fn is_null(data: &ColumnData<'_>) -> bool {
    matches!(
        data,
        ColumnData::U8(None)
            | ColumnData::I16(None)
            | ColumnData::I32(None)
            | ColumnData::I64(None)
            | ColumnData::F32(None)
            | ColumnData::F64(None)
            | ColumnData::Bit(None)
            | ColumnData::String(None)
            | ColumnData::Guid(None)
            | ColumnData::Binary(None)
            | ColumnData::Numeric(None)
            | ColumnData::Xml(None)
            | ColumnData::DateTime(None)
            | ColumnData::SmallDateTime(None)
            | ColumnData::Time(None)
            | ColumnData::Date(None)
            | ColumnData::DateTime2(None)
            | ColumnData::DateTimeOffset(None)
    )
}

fn int_of(data: &ColumnData<'_>) -> Option<i64> {
    match data {
        ColumnData::U8(Some(v)) => Some(*v as i64),
        ColumnData::I16(Some(v)) => Some(*v as i64),
        ColumnData::I32(Some(v)) => Some(*v as i64),
        ColumnData::I64(Some(v)) => Some(*v),
        _ => None,
    }
}

/// Append one SQL Server value to the builder of its column, exactly; `Err` says why not.
pub fn append(b: &mut ColumnBuilder, data: &ColumnData<'_>) -> Result<(), String> {
    if is_null(data) {
        b.append_null();
        return Ok(());
    }
    let mismatch = || {
        format!(
            "is a {} value, which this column's type cannot hold",
            kind_name(data)
        )
    };
    let range = |_| "is out of range for the column's integer type".to_string();
    match (b, data) {
        (ColumnBuilder::Boolean(b), ColumnData::Bit(Some(v))) => b.append_value(*v),
        (ColumnBuilder::More(MoreBuilder::UInt8(b)), d) => {
            b.append_value(u8::try_from(int_of(d).ok_or_else(mismatch)?).map_err(range)?)
        }
        (ColumnBuilder::More(MoreBuilder::Int16(b)), d) => {
            b.append_value(i16::try_from(int_of(d).ok_or_else(mismatch)?).map_err(range)?)
        }
        (ColumnBuilder::More(MoreBuilder::Int32(b)), d) => {
            b.append_value(i32::try_from(int_of(d).ok_or_else(mismatch)?).map_err(range)?)
        }
        (ColumnBuilder::Int64(b), d) => b.append_value(int_of(d).ok_or_else(mismatch)?),
        (ColumnBuilder::More(MoreBuilder::Float32(b)), ColumnData::F32(Some(v))) => {
            b.append_value(*v)
        }
        (ColumnBuilder::Float64(b), ColumnData::F64(Some(v))) => b.append_value(*v),
        (ColumnBuilder::Float64(b), ColumnData::F32(Some(v))) => b.append_value(*v as f64),
        (ColumnBuilder::Decimal(b, p, s), d) => {
            let v = match d {
                ColumnData::Numeric(Some(n)) => rescale(n.value(), n.scale(), *p, *s)?,
                ColumnData::F64(Some(m)) => rescale(money_scaled(*m)?, 4, *p, *s)?,
                other => rescale(int_of(other).ok_or_else(mismatch)? as i128, 0, *p, *s)?,
            };
            b.append_value(v)
        }
        (ColumnBuilder::Date(b), ColumnData::Date(Some(v))) => {
            b.append_value((date_value(*v) - epoch(1970).date()).num_days() as i32)
        }
        (ColumnBuilder::Time(b), ColumnData::Time(Some(v))) => {
            let ns = time_nanos(*v);
            if ns % 1000 != 0 {
                return Err("has sub-microsecond digits".into());
            }
            b.append_value(ns / 1000)
        }
        (ColumnBuilder::More(MoreBuilder::TimeNanos(b)), ColumnData::Time(Some(v))) => {
            b.append_value(time_nanos(*v))
        }
        (ColumnBuilder::Timestamp(b, _), d) => {
            b.append_value(micros_exact(naive_of(d).ok_or_else(mismatch)?)?)
        }
        (ColumnBuilder::More(MoreBuilder::TimestampNanos(b, _)), d) => {
            b.append_value(nanos_of(naive_of(d).ok_or_else(mismatch)?)?)
        }
        (ColumnBuilder::Utf8(b), ColumnData::String(Some(s))) => b.append_value(s),
        (ColumnBuilder::Utf8(b), ColumnData::Xml(Some(x))) => b.append_value(x.to_string()),
        (ColumnBuilder::Utf8(b), ColumnData::Guid(Some(g))) => b.append_value(g.to_string()),
        (ColumnBuilder::Binary(b), ColumnData::Binary(Some(v))) => b.append_value(v),
        (ColumnBuilder::More(MoreBuilder::FixedBinary(b, 16)), ColumnData::Guid(Some(g))) => {
            b.append_value(g.as_bytes()).map_err(|e| e.to_string())?
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// The instant of a date/time value as a naive timestamp (UTC for `datetimeoffset`).
fn naive_of(data: &ColumnData<'_>) -> Option<NaiveDateTime> {
    Some(match data {
        ColumnData::DateTime(Some(v)) => datetime_value(*v),
        ColumnData::SmallDateTime(Some(v)) => smalldatetime_value(*v),
        ColumnData::DateTime2(Some(v)) => datetime2_value(*v),
        ColumnData::DateTimeOffset(Some(v)) => datetimeoffset_value(*v).naive_utc(),
        ColumnData::Date(Some(v)) => date_value(*v).and_time(NaiveTime::MIN),
        _ => return None,
    })
}

fn kind_name(data: &ColumnData<'_>) -> &'static str {
    match data {
        ColumnData::U8(_) => "tinyint",
        ColumnData::I16(_) => "smallint",
        ColumnData::I32(_) => "int",
        ColumnData::I64(_) => "bigint",
        ColumnData::F32(_) => "real",
        ColumnData::F64(_) => "float",
        ColumnData::Bit(_) => "bit",
        ColumnData::String(_) => "text",
        ColumnData::Guid(_) => "uniqueidentifier",
        ColumnData::Binary(_) => "binary",
        ColumnData::Numeric(_) => "decimal",
        ColumnData::Xml(_) => "xml",
        ColumnData::DateTime(_) => "datetime",
        ColumnData::SmallDateTime(_) => "smalldatetime",
        ColumnData::Time(_) => "time",
        ColumnData::Date(_) => "date",
        ColumnData::DateTime2(_) => "datetime2",
        ColumnData::DateTimeOffset(_) => "datetimeoffset",
    }
}

/// A cursor value read from `MIN`/`MAX`; `Ok(None)` for NULL.
pub fn cursor_of(data: &ColumnData<'_>, kind: CursorKind) -> Result<Option<CursorValue>, String> {
    if is_null(data) {
        return Ok(None);
    }
    let bad = || format!("a {} value cannot be a {kind} cursor", kind_name(data));
    Ok(Some(match (kind, data) {
        (CursorKind::Int, ColumnData::Numeric(Some(n))) if n.scale() == 0 => {
            CursorValue::Int(n.value())
        }
        (CursorKind::Int, d) => CursorValue::Int(int_of(d).ok_or_else(bad)? as i128),
        (CursorKind::Decimal, ColumnData::Numeric(Some(n))) => CursorValue::Decimal(
            rust_decimal::Decimal::try_from_i128_with_scale(n.value(), u32::from(n.scale()))
                .map_err(|_| bad())?
                .normalize(),
        ),
        (CursorKind::Decimal, d) => {
            CursorValue::Decimal(rust_decimal::Decimal::from(int_of(d).ok_or_else(bad)?))
        }
        (CursorKind::Date, ColumnData::Date(Some(v))) => CursorValue::Date(date_value(*v)),
        (CursorKind::TimestampTz, ColumnData::DateTimeOffset(Some(v))) => {
            CursorValue::TimestampTz(datetimeoffset_value(*v))
        }
        (CursorKind::Timestamp, d) if !matches!(d, ColumnData::DateTimeOffset(_)) => {
            CursorValue::Timestamp(naive_of(d).ok_or_else(bad)?)
        }
        _ => return Err(bad()),
    }))
}

/// The typed parameter for a cursor value compared with a column bound as `kind`.
pub fn param_data(value: &CursorValue, kind: ParamKind) -> Result<ColumnData<'static>, String> {
    use tiberius::IntoSql;
    Ok(match (value, kind) {
        (CursorValue::Int(v), _) => ColumnData::I64(Some(
            i64::try_from(*v).map_err(|_| format!("{v} does not fit a SQL Server bigint"))?,
        )),
        (CursorValue::Decimal(d), _) => {
            ColumnData::Numeric(Some(tiberius::numeric::Numeric::new_with_scale(
                d.mantissa(),
                u8::try_from(d.scale()).map_err(|_| format!("{d} has too many decimals"))?,
            )))
        }
        (CursorValue::Date(d), _) => d.into_sql(),
        (CursorValue::Timestamp(t), ParamKind::DateTime) => {
            let since = *t - epoch(1900);
            let days = since.num_days();
            let micros = (since - TimeDelta::days(days))
                .num_microseconds()
                .unwrap_or(0);
            let ticks = (micros * 3 + 5_000) / 10_000;
            let days =
                i32::try_from(days).map_err(|_| format!("{t} is out of range for datetime"))?;
            ColumnData::DateTime(Some(MsDateTime::new(days, ticks as u32)))
        }
        (CursorValue::Timestamp(t), ParamKind::SmallDateTime) => {
            let since = *t - epoch(1900);
            let days = u16::try_from(since.num_days())
                .map_err(|_| format!("{t} is out of range for smalldatetime"))?;
            let minutes = (since - TimeDelta::days(since.num_days())).num_minutes();
            ColumnData::SmallDateTime(Some(SmallDateTime::new(days, minutes as u16)))
        }
        (CursorValue::Timestamp(t), ParamKind::Natural) => t.into_sql(),
        (CursorValue::TimestampTz(t), _) => t.into_sql(),
    })
}

#[cfg(test)]
#[path = "types_tests.rs"]
mod tests;
