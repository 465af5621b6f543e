//! Tests of the Oracle type mapping (a sibling file of `oracle_types.rs`, kept apart for size).

use super::*;
use arrow::array::{Array, Decimal128Array, TimestampMicrosecondArray, TimestampNanosecondArray};

#[test]
fn declared_types_map_exactly() {
    let us = TimeUnit::Microsecond;
    let ns = TimeUnit::Nanosecond;
    let utc = Some("UTC".into());
    let cases: Vec<(OracleType, Option<DataType>)> = vec![
        (OracleType::Number(10, 2), Some(DataType::Decimal128(10, 2))),
        (
            OracleType::Number(0, -127),
            Some(DataType::Decimal128(38, 9)),
        ),
        (OracleType::Number(9, 0), Some(DataType::Int64)),
        (OracleType::Number(18, 0), Some(DataType::Int64)),
        (OracleType::Number(38, 0), Some(DataType::Decimal128(38, 0))),
        (OracleType::Number(5, -2), Some(DataType::Decimal128(7, 0))),
        (OracleType::Number(2, 5), Some(DataType::Decimal128(38, 5))),
        (OracleType::Float(126), Some(DataType::Decimal128(38, 9))),
        (OracleType::BinaryFloat, Some(DataType::Float32)),
        (OracleType::BinaryDouble, Some(DataType::Float64)),
        (OracleType::Varchar2(10), Some(DataType::Utf8)),
        (OracleType::NVarchar2(10), Some(DataType::Utf8)),
        (OracleType::Char(1), Some(DataType::Utf8)),
        (OracleType::NChar(1), Some(DataType::Utf8)),
        (OracleType::CLOB, Some(DataType::Utf8)),
        (OracleType::NCLOB, Some(DataType::Utf8)),
        (OracleType::Raw(16), Some(DataType::Binary)),
        (OracleType::BLOB, Some(DataType::Binary)),
        (OracleType::Date, Some(DataType::Timestamp(us, None))),
        (
            OracleType::Timestamp(6),
            Some(DataType::Timestamp(us, None)),
        ),
        (
            OracleType::Timestamp(9),
            Some(DataType::Timestamp(ns, None)),
        ),
        (
            OracleType::TimestampTZ(6),
            Some(DataType::Timestamp(us, utc.clone())),
        ),
        (
            OracleType::TimestampLTZ(9),
            Some(DataType::Timestamp(ns, utc)),
        ),
        (OracleType::IntervalDS(2, 6), Some(DataType::Utf8)),
        (OracleType::IntervalYM(2), Some(DataType::Utf8)),
        (OracleType::BFILE, None),
    ];
    for (t, expected) in cases {
        assert_eq!(
            map_type(&t, DEFAULT_NUMBER_SCALE).map(|m| m.0),
            expected,
            "{t:?}"
        );
    }
    assert_eq!(
        map_type(&OracleType::Number(0, -127), 0).map(|m| m.0),
        Some(DataType::Decimal128(38, 0))
    );
}

#[test]
fn numbers_are_exact_or_an_error() {
    let (dt, _) = map_type(&OracleType::Number(0, -127), DEFAULT_NUMBER_SCALE).unwrap();
    let mut b = ColumnBuilder::new(&dt, 4).unwrap();
    append(&mut b, &OraValue::Text("123.456789012".into())).unwrap();
    append(&mut b, &OraValue::Text("-1E+5".into())).unwrap();
    append(&mut b, &OraValue::Null).unwrap();
    // 10 fractional digits do not fit the default scale 9: an error, never rounded or a float.
    assert!(append(&mut b, &OraValue::Text("0.1234567891".into())).is_err());
    assert!(append(&mut b, &OraValue::Text("1E+30".into())).is_err());
    let a = b.finish();
    let a = a.as_any().downcast_ref::<Decimal128Array>().unwrap();
    assert_eq!(a.value(0), 123_456_789_012);
    assert_eq!(a.value(1), -100_000_000_000_000);
    assert!(a.is_null(2));
    let mut i = ColumnBuilder::new(&DataType::Int64, 1).unwrap();
    append(&mut i, &OraValue::Text("999999999999999999".into())).unwrap();
    assert!(append(&mut i, &OraValue::Float(1.0)).is_err());
}

#[test]
fn timestamps_convert_to_utc_when_zoned() {
    let t = naive(2024, 1, 15, 10, 0, 0, 123_456_789).unwrap();
    let mut b = ColumnBuilder::new(
        &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        1,
    )
    .unwrap();
    append(&mut b, &OraValue::Timestamp(t, Some(7200))).unwrap();
    let a = b.finish();
    let v = a
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .unwrap()
        .value(0);
    let expect = naive(2024, 1, 15, 8, 0, 0, 123_456_789).unwrap();
    assert_eq!(v, expect.and_utc().timestamp_nanos_opt().unwrap());
    // A DATE (no fraction) in a µs column; nanoseconds refused there.
    let mut b = ColumnBuilder::new(&DataType::Timestamp(TimeUnit::Microsecond, None), 1).unwrap();
    let d = naive(1999, 12, 31, 23, 59, 59, 0).unwrap();
    append(&mut b, &OraValue::Timestamp(d, None)).unwrap();
    assert!(append(&mut b, &OraValue::Timestamp(t, None)).is_err());
    let a = b.finish();
    let v = a
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap()
        .value(0);
    assert_eq!(v, d.and_utc().timestamp_micros());
}

#[test]
fn intervals_are_iso_8601() {
    assert_eq!(interval_ds_text(1, 2, 3, 4, 500_000_000), "P1DT2H3M4.5S");
    assert_eq!(interval_ds_text(0, 0, 0, 0, -1_000), "-PT0.000001S");
    assert_eq!(interval_ds_text(0, 0, 0, 0, 0), "PT0S");
    assert_eq!(interval_ds_text(3, 0, 0, 0, 0), "P3D");
    assert_eq!(interval_ds_text(0, 5, 0, 0, 0), "PT5H");
    assert_eq!(interval_ym_text(1, 2), "P1Y2M");
    assert_eq!(interval_ym_text(0, -3), "-P3M");
    assert_eq!(interval_ym_text(0, 0), "P0M");
}

#[test]
fn cursors_keep_every_digit() {
    let t = naive(2024, 1, 15, 10, 0, 0, 123_456_789).unwrap();
    let c = cursor_of(&OraValue::Timestamp(t, None), CursorKind::Timestamp)
        .unwrap()
        .unwrap();
    assert_eq!(c.to_text(), "2024-01-15T10:00:00.123456789");
    let c = cursor_of(
        &OraValue::Timestamp(t, Some(-18_000)),
        CursorKind::TimestampTz,
    )
    .unwrap()
    .unwrap();
    assert_eq!(c.to_text(), "2024-01-15T10:00:00.123456789-05:00");
    let c = cursor_of(
        &OraValue::Text("12345678901234567890".into()),
        CursorKind::Int,
    )
    .unwrap();
    assert_eq!(c, Some(CursorValue::Int(12_345_678_901_234_567_890)));
    assert_eq!(cursor_of(&OraValue::Null, CursorKind::Int).unwrap(), None);
    assert!(cursor_of(&OraValue::Text("1.5".into()), CursorKind::Int).is_err());
}

#[test]
fn number_without_precision_is_an_exact_decimal_cursor_bound_as_number() {
    use crate::plan::sql::{Param, Query};
    let (dt, _) = map_type(&OracleType::Number(0, -127), DEFAULT_NUMBER_SCALE).unwrap();
    assert_eq!(dt, DataType::Decimal128(38, 9), "the spec's default");
    assert_eq!(
        crate::plan::column::cursor_kind(&dt),
        Some(CursorKind::Decimal)
    );
    let v = cursor_of(
        &OraValue::Text("1234567890123456789".into()),
        CursorKind::Decimal,
    )
    .unwrap()
    .unwrap();
    assert_eq!(v.to_text(), "1234567890123456789", "no float on the way");
    let frac = cursor_of(&OraValue::Text("12.50".into()), CursorKind::Decimal).unwrap();
    assert_eq!(frac.map(|v| v.to_text()), Some("12.5".into()));
    assert!(cursor_of(&OraValue::Text("x".into()), CursorKind::Decimal).is_err());
    assert_eq!(
        cursor_of(&OraValue::Null, CursorKind::Decimal).unwrap(),
        None
    );
    let q = Query {
        sql: "SELECT 1 FROM DUAL WHERE ID >= :1".into(),
        params: vec![Param {
            column: "ID".into(),
            value: v,
        }],
    };
    assert_eq!(bind_values(&q, &HashMap::new()).len(), 1);
    // The literal form (dry runs, PostgreSQL's COPY) is the exact number.
    assert_eq!(
        q.inline(crate::plan::sql::Dialect::Oracle),
        "SELECT 1 FROM DUAL WHERE ID >= 1234567890123456789"
    );
}
