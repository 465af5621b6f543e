//! Columns the workbook names, found in the source's result schema, and which can be cursors.

use super::CursorKind;
use super::error::PlanError;
use super::sql;
use arrow::datatypes::{DataType, Schema};
use std::collections::HashMap;

/// Find a workbook column name in the schema: a quoted name exactly, a plain one ignoring case.
/// A quoted name is unwrapped as the SQL quotes it (`"a""b"` is the column `a"b`).
pub fn column_index(schema: &Schema, name: &str) -> Result<usize, PlanError> {
    let quoted = sql::unwrap_quoted(name);
    schema
        .fields()
        .iter()
        .position(|f| match &quoted {
            Some(inner) => f.name() == inner,
            None => f.name().eq_ignore_ascii_case(name),
        })
        .ok_or_else(|| PlanError::MissingColumn(name.to_string()))
}

/// The entry of a map keyed by result column names for a workbook column name, matched as
/// the planner matches it: a quoted name (`"a""b"`, `[a]]b]`) exactly once unquoted, a plain
/// one exactly or else ignoring case (Oracle reports `updated_at` as `UPDATED_AT`).
pub fn by_column<'a, V>(map: &'a HashMap<String, V>, name: &str) -> Option<&'a V> {
    match sql::unwrap_quoted(name) {
        Some(inner) => map.get(&inner),
        None => map.get(name).or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        }),
    }
}

/// The cursor kind of an Arrow type, if it can be a cursor.
pub fn cursor_kind(data_type: &DataType) -> Option<CursorKind> {
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            Some(CursorKind::Int)
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            Some(CursorKind::Int)
        }
        // Whole-number decimals (Oracle NUMBER(p,0) with p > 18, NUMERIC(p,0)) are integers.
        DataType::Decimal128(_, 0) => Some(CursorKind::Int),
        // Other decimals (Oracle NUMBER without precision is Decimal128(38, 9)) are exact
        // decimal cursors, compared numerically.
        DataType::Decimal128(_, s) if *s > 0 => Some(CursorKind::Decimal),
        DataType::Date32 | DataType::Date64 => Some(CursorKind::Date),
        DataType::Timestamp(_, None) => Some(CursorKind::Timestamp),
        DataType::Timestamp(_, Some(_)) => Some(CursorKind::TimestampTz),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;

    #[test]
    fn quoted_names_find_their_column_exactly() {
        let schema = Schema::new(
            ["x\"y", "a]b", "w`z", "Plain", "plain\"\"twice"]
                .map(|n| Field::new(n, DataType::Int32, true))
                .to_vec(),
        );
        let at = |n: &str| column_index(&schema, n).ok();
        assert_eq!(at("\"x\"\"y\""), Some(0));
        assert_eq!(at("[a]]b]"), Some(1));
        assert_eq!(at("`w``z`"), Some(2));
        assert_eq!(at("\"w`z\""), Some(2));
        assert_eq!(at("plain"), Some(3));
        assert_eq!(at("\"plain\""), None, "a quoted name matches case exactly");
        assert_eq!(at("\"plain\"\"\"\"twice\""), Some(4));
        let e = column_index(&schema, "nope").unwrap_err().to_string();
        assert!(e.contains("`nope` is not in the source's result"), "{e}");
    }

    #[test]
    fn workbook_names_find_their_column_entry() {
        let map: HashMap<String, u8> = [("UPDATED_AT", 1), ("x\"y", 2), ("a]b", 3), ("Id", 4)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        assert_eq!(by_column(&map, "updated_at"), Some(&1));
        assert_eq!(by_column(&map, "\"UPDATED_AT\""), Some(&1));
        assert_eq!(
            by_column(&map, "\"updated_at\""),
            None,
            "quoted: exact case"
        );
        assert_eq!(by_column(&map, "\"x\"\"y\""), Some(&2));
        assert_eq!(by_column(&map, "[a]]b]"), Some(&3));
        assert_eq!(by_column(&map, "[Id]"), Some(&4));
        assert_eq!(by_column(&map, "id"), Some(&4));
        assert_eq!(by_column(&map, "nope"), None);
    }
}
