//! Tests of the SQL Server type mapping (a sibling file of `types.rs`, kept apart for size).

use super::*;
use arrow::array::{
    Array, Decimal128Array, FixedSizeBinaryArray, Time64NanosecondArray, TimestampMicrosecondArray,
    TimestampNanosecondArray, UInt8Array,
};
use chrono::NaiveDate;
use std::borrow::Cow;
use tiberius::numeric::Numeric;
use tiberius::time::{
    Date, DateTime as MsDateTime, DateTime2, DateTimeOffset, SmallDateTime, Time,
};

#[test]
fn describe_types_map_exactly() {
    let us = TimeUnit::Microsecond;
    let ns = TimeUnit::Nanosecond;
    let cases: &[(&str, Option<DataType>)] = &[
        ("bit", Some(DataType::Boolean)),
        ("tinyint", Some(DataType::UInt8)),
        ("smallint", Some(DataType::Int16)),
        ("int", Some(DataType::Int32)),
        ("bigint", Some(DataType::Int64)),
        ("decimal(18,2)", Some(DataType::Decimal128(18, 2))),
        ("numeric(38, 10)", Some(DataType::Decimal128(38, 10))),
        ("money", Some(DataType::Decimal128(19, 4))),
        ("smallmoney", Some(DataType::Decimal128(10, 4))),
        ("real", Some(DataType::Float32)),
        ("float", Some(DataType::Float64)),
        ("float(24)", Some(DataType::Float32)),
        ("varchar(50)", Some(DataType::Utf8)),
        ("nvarchar(max)", Some(DataType::Utf8)),
        ("char(3)", Some(DataType::Utf8)),
        ("nchar(3)", Some(DataType::Utf8)),
        ("text", Some(DataType::Utf8)),
        ("ntext", Some(DataType::Utf8)),
        ("xml", Some(DataType::Utf8)),
        ("varbinary(max)", Some(DataType::Binary)),
        ("binary(8)", Some(DataType::Binary)),
        ("image", Some(DataType::Binary)),
        ("timestamp", Some(DataType::Binary)),
        ("date", Some(DataType::Date32)),
        ("time(3)", Some(DataType::Time64(us))),
        ("time(7)", Some(DataType::Time64(ns))),
        ("time", Some(DataType::Time64(ns))),
        ("datetime", Some(DataType::Timestamp(us, None))),
        ("smalldatetime", Some(DataType::Timestamp(us, None))),
        ("datetime2(6)", Some(DataType::Timestamp(us, None))),
        ("datetime2(7)", Some(DataType::Timestamp(ns, None))),
        ("datetime2(0)", Some(DataType::Timestamp(us, None))),
        (
            "datetimeoffset(7)",
            Some(DataType::Timestamp(ns, Some("UTC".into()))),
        ),
        (
            "datetimeoffset(3)",
            Some(DataType::Timestamp(us, Some("UTC".into()))),
        ),
        ("uniqueidentifier", Some(DataType::FixedSizeBinary(16))),
        ("geography", None),
        ("sql_variant", None),
        ("hierarchyid", None),
    ];
    for (ty, expected) in cases {
        assert_eq!(&map_type(ty), expected, "{ty}");
    }
    assert_eq!(param_kind("datetime"), ParamKind::DateTime);
    assert_eq!(param_kind("smalldatetime"), ParamKind::SmallDateTime);
    assert_eq!(param_kind("datetime2(7)"), ParamKind::Natural);
}

fn build(ty: &str, values: &[ColumnData<'_>]) -> Result<arrow::array::ArrayRef, String> {
    let dt = map_type(ty).ok_or("unmapped")?;
    let mut b = ColumnBuilder::new(&dt, values.len()).ok_or("no builder")?;
    for v in values {
        append(&mut b, v)?;
    }
    Ok(b.finish())
}

fn d2(y: i32, m: u32, d: u32) -> Date {
    let days = (NaiveDate::from_ymd_opt(y, m, d).unwrap()
        - NaiveDate::from_ymd_opt(1, 1, 1).unwrap())
    .num_days();
    Date::new(days as u32)
}

#[test]
fn uuid_bytes_are_rfc_4122_order() {
    // tiberius reorders the wire's mixed-endian GUID bytes when decoding, so `Uuid` holds the
    // canonical order: the text SQL Server prints maps to bytes in the same order.
    let g = uuid::Uuid::parse_str("6F9619FF-8B86-D011-B42D-00C04FC964FF").unwrap();
    let a = build(
        "uniqueidentifier",
        &[ColumnData::Guid(Some(g)), ColumnData::Guid(None)],
    )
    .unwrap();
    let a = a.as_any().downcast_ref::<FixedSizeBinaryArray>().unwrap();
    assert_eq!(
        a.value(0),
        [
            0x6F, 0x96, 0x19, 0xFF, 0x8B, 0x86, 0xD0, 0x11, 0xB4, 0x2D, 0x00, 0xC0, 0x4F, 0xC9,
            0x64, 0xFF
        ]
    );
    assert!(a.is_null(1));
}

#[test]
fn integers_and_decimals_are_exact() {
    let a = build("tinyint", &[ColumnData::U8(Some(255))]).unwrap();
    assert_eq!(
        a.as_any().downcast_ref::<UInt8Array>().unwrap().value(0),
        255
    );
    let n = Numeric::new_with_scale(-12345, 2);
    let a = build("decimal(10,3)", &[ColumnData::Numeric(Some(n))]).unwrap();
    assert_eq!(
        a.as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap()
            .value(0),
        -123450
    );
    let too_fine = Numeric::new_with_scale(12345, 4);
    assert!(build("decimal(10,2)", &[ColumnData::Numeric(Some(too_fine))]).is_err());
    let too_big = Numeric::new_with_scale(123456, 0);
    assert!(build("decimal(5,0)", &[ColumnData::Numeric(Some(too_big))]).is_err());
    let m = build(
        "money",
        &[
            ColumnData::F64(Some(922_337_203.580_7)),
            ColumnData::F64(Some(-0.0001)),
        ],
    )
    .unwrap();
    let m = m.as_any().downcast_ref::<Decimal128Array>().unwrap();
    assert_eq!(m.value(0), 9_223_372_035_807);
    assert_eq!(m.value(1), -1);
    assert!(build("money", &[ColumnData::F64(Some(922_337_203_685_477.5))]).is_err());
    assert!(build("int", &[ColumnData::String(Some(Cow::Borrowed("1")))]).is_err());
}

#[test]
fn datetimes_keep_their_precision() {
    // datetime: 1/300 s ticks rounded to the nearest µs.
    let dt = MsDateTime::new(45_000, 2);
    let a = build("datetime", &[ColumnData::DateTime(Some(dt))]).unwrap();
    let v = a
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap()
        .value(0);
    assert_eq!(v % 1_000_000, 6_667);
    // datetime2(7): the 100 ns digit survives in a nanosecond column.
    let t = Time::new(36_000_000_001, 7); // 01:00:00.0000001
    let v2 = DateTime2::new(d2(2024, 1, 15), t);
    let a = build("datetime2(7)", &[ColumnData::DateTime2(Some(v2))]).unwrap();
    let ns = a
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .unwrap()
        .value(0);
    let expect = NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_nano_opt(1, 0, 0, 100)
        .unwrap();
    assert_eq!(ns, expect.and_utc().timestamp_nanos_opt().unwrap());
    // The same value cannot go into a µs column without losing a digit.
    assert!(build("datetime2(6)", &[ColumnData::DateTime2(Some(v2))]).is_err());
    // datetimeoffset: the wire holds UTC; the column is UTC-adjusted.
    let off = DateTimeOffset::new(v2, 120);
    let a = build(
        "datetimeoffset(7)",
        &[ColumnData::DateTimeOffset(Some(off))],
    )
    .unwrap();
    assert_eq!(
        a.as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .unwrap()
            .value(0),
        ns
    );
    assert_eq!(
        datetimeoffset_value(off).to_rfc3339(),
        "2024-01-15T03:00:00.000000100+02:00"
    );
    let a = build("time(7)", &[ColumnData::Time(Some(t))]).unwrap();
    assert_eq!(
        a.as_any()
            .downcast_ref::<Time64NanosecondArray>()
            .unwrap()
            .value(0),
        3_600_000_000_100
    );
    let sd = SmallDateTime::new(1, 61);
    assert_eq!(smalldatetime_value(sd).to_string(), "1900-01-02 01:01:00");
    assert_eq!(
        date_value(d2(1970, 1, 1)),
        NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
    );
}

#[test]
fn cursors_round_trip_through_parameters() {
    let t = Time::new(36_000_000_001, 7);
    let v2 = ColumnData::DateTime2(Some(DateTime2::new(d2(2024, 1, 15), t)));
    let c = cursor_of(&v2, CursorKind::Timestamp).unwrap().unwrap();
    assert_eq!(c.to_text(), "2024-01-15T01:00:00.000000100");
    match param_data(&c, ParamKind::Natural).unwrap() {
        ColumnData::DateTime2(Some(p)) => assert_eq!(p.time().increments(), 36_000_000_001),
        other => panic!("{other:?}"),
    }
    // datetime: every tick survives cursor → parameter.
    for ticks in [0u32, 1, 2, 299, 25_919_999] {
        let dt = ColumnData::DateTime(Some(MsDateTime::new(45_000, ticks)));
        let c = cursor_of(&dt, CursorKind::Timestamp).unwrap().unwrap();
        match param_data(&c, ParamKind::DateTime).unwrap() {
            ColumnData::DateTime(Some(p)) => {
                assert_eq!((p.days(), p.seconds_fragments()), (45_000, ticks));
            }
            other => panic!("{other:?}"),
        }
    }
    let sd = ColumnData::SmallDateTime(Some(SmallDateTime::new(40_000, 1439)));
    let c = cursor_of(&sd, CursorKind::Timestamp).unwrap().unwrap();
    match param_data(&c, ParamKind::SmallDateTime).unwrap() {
        ColumnData::SmallDateTime(Some(p)) => {
            assert_eq!((p.days(), p.seconds_fragments()), (40_000, 1439))
        }
        other => panic!("{other:?}"),
    }
    let off = ColumnData::DateTimeOffset(Some(DateTimeOffset::new(
        DateTime2::new(d2(2024, 1, 15), Time::new(0, 7)),
        -300,
    )));
    let c = cursor_of(&off, CursorKind::TimestampTz).unwrap().unwrap();
    assert_eq!(c.to_text(), "2024-01-14T19:00:00-05:00");
    assert!(matches!(
        param_data(&c, ParamKind::Natural).unwrap(),
        ColumnData::DateTimeOffset(Some(_))
    ));
    assert_eq!(
        cursor_of(&ColumnData::I32(Some(7)), CursorKind::Int).unwrap(),
        Some(CursorValue::Int(7))
    );
    assert_eq!(
        cursor_of(&ColumnData::I32(None), CursorKind::Int).unwrap(),
        None
    );
    assert!(
        cursor_of(
            &ColumnData::String(Some(Cow::Borrowed("x"))),
            CursorKind::Int
        )
        .is_err()
    );
    let d = ColumnData::Date(Some(d2(2020, 2, 29)));
    assert_eq!(
        cursor_of(&d, CursorKind::Date).unwrap().unwrap().to_text(),
        "2020-02-29"
    );
}

#[test]
fn uniqueidentifier_fields_carry_the_uuid_extension_like_postgres() {
    use crate::source::postgres::types::PgKind;
    let f = field("order_guid", "uniqueidentifier").unwrap();
    assert_eq!(
        f,
        PgKind::Uuid.field("order_guid"),
        "same field as a PostgreSQL uuid"
    );
    assert_eq!(f.data_type(), &DataType::FixedSizeBinary(16));
    assert_eq!(
        f.metadata().get("ARROW:extension:name").map(String::as_str),
        Some("arrow.uuid")
    );
    let plain = field("id", "int").unwrap();
    assert!(plain.metadata().is_empty());
    assert!(field("g", "geography").is_none());
}

#[test]
fn decimal_cursors_read_and_bind_as_exact_numerics() {
    let n = Numeric::new_with_scale(123_450, 4); // 12.3450
    let v = cursor_of(&ColumnData::Numeric(Some(n)), CursorKind::Decimal)
        .unwrap()
        .unwrap();
    assert_eq!(v.to_text(), "12.345");
    match param_data(&v, ParamKind::Natural).unwrap() {
        ColumnData::Numeric(Some(p)) => assert_eq!((p.value(), p.scale()), (12_345, 3)),
        other => panic!("{other:?}"),
    }
    let i = cursor_of(&ColumnData::I64(Some(7)), CursorKind::Decimal).unwrap();
    assert_eq!(i.map(|v| v.to_text()), Some("7".into()));
}
