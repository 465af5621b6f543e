//! SQLite declared types mapped to Arrow, and stored values read as cells and cursors.

use crate::plan::{CursorKind, CursorValue};
use crate::source::SourceError;
use crate::source::arrow::{Cell, DEFAULT_DECIMAL};
use arrow::datatypes::{DataType, TimeUnit};
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Row, Sqlite, TypeInfo, ValueRef};

/// Map a SQLite declared type to Arrow; `None` when it cannot be mapped.
pub fn map_declared_type(declared: &str) -> Option<DataType> {
    let t = declared.trim().to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim();
    Some(match base {
        "DATE" => DataType::Date32,
        "DATETIME" | "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        }
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" | "DATETIMEOFFSET" => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        "TIME" => DataType::Time64(TimeUnit::Microsecond),
        "DECIMAL" | "NUMERIC" => {
            let (p, s) = precision_scale(&t).unwrap_or(DEFAULT_DECIMAL);
            if p == 0 || p > 38 || s < 0 || s as u8 > p {
                return None;
            }
            DataType::Decimal128(p, s)
        }
        "JSON" | "UUID" => DataType::Utf8,
        _ if base.contains("BOOL") => DataType::Boolean,
        _ if base.contains("INT") => DataType::Int64,
        _ if base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT") => {
            DataType::Utf8
        }
        _ if base.contains("BLOB") => DataType::Binary,
        _ if base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB") => {
            DataType::Float64
        }
        _ => return None,
    })
}

fn precision_scale(t: &str) -> Option<(u8, i8)> {
    let inner = t.split_once('(')?.1.split_once(')')?.0;
    let mut parts = inner.split(',').map(|p| p.trim());
    let p: u8 = parts.next()?.parse().ok()?;
    let s: i8 = parts.next().map(|s| s.parse().ok()).unwrap_or(Some(0))?;
    Some((p, s))
}

/// The untyped value of one cell, as SQLite stores it.
pub(super) fn cell<'r>(row: &'r SqliteRow, i: usize) -> Result<Cell<'r>, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let class = raw.type_info().name().to_string();
    Ok(match class.as_str() {
        "INTEGER" => Cell::Int(<i64 as Decode<Sqlite>>::decode(raw).map_err(sqlx::Error::Decode)?),
        "REAL" => Cell::Float(<f64 as Decode<Sqlite>>::decode(raw).map_err(sqlx::Error::Decode)?),
        "TEXT" => match <&str as Decode<Sqlite>>::decode(raw) {
            Ok(s) => Cell::Text(s),
            Err(_) => Cell::Bytes(
                <&[u8] as Decode<Sqlite>>::decode(row.try_get_raw(i)?)
                    .map_err(sqlx::Error::Decode)?,
            ),
        },
        _ => Cell::Bytes(<&[u8] as Decode<Sqlite>>::decode(raw).map_err(sqlx::Error::Decode)?),
    })
}

pub(super) fn cursor_of(
    c: Cell<'_>,
    kind: CursorKind,
    column: &str,
) -> Result<Option<CursorValue>, SourceError> {
    let text = match c {
        Cell::Null => return Ok(None),
        Cell::Int(v) if kind == CursorKind::Int => return Ok(Some(CursorValue::Int(v as i128))),
        Cell::Text(t) => t.to_string(),
        other => other.display(),
    };
    CursorValue::parse(kind, &text)
        .map(Some)
        .map_err(|e| SourceError::BadValue {
            column: column.to_string(),
            key: None,
            value: text,
            reason: format!("cannot be used as a cursor: {e}"),
        })
}

/// The key values of a row, to name it in an error.
pub(super) fn row_key(row: &SqliteRow, key_columns: &[usize]) -> Option<String> {
    if key_columns.is_empty() {
        return None;
    }
    let parts: Vec<String> = key_columns
        .iter()
        .map(|&i| {
            cell(row, i)
                .map(|c| c.display())
                .unwrap_or_else(|_| "?".into())
        })
        .collect();
    Some(parts.join(", "))
}
