//! Tests of the SQLite type mapping and text formats.
use super::*;

#[test]
fn declared_types_map_exactly() {
    let cases: &[(&str, Option<DataType>)] = &[
        ("INTEGER", Some(DataType::Int64)),
        ("BIGINT", Some(DataType::Int64)),
        ("BOOLEAN", Some(DataType::Boolean)),
        ("DECIMAL(12,2)", Some(DataType::Decimal128(12, 2))),
        ("numeric", Some(DataType::Decimal128(38, 9))),
        ("NUMERIC(10)", Some(DataType::Decimal128(10, 0))),
        ("DECIMAL(50,2)", None),
        ("REAL", Some(DataType::Float64)),
        ("DOUBLE PRECISION", Some(DataType::Float64)),
        ("VARCHAR(20)", Some(DataType::Utf8)),
        ("TEXT", Some(DataType::Utf8)),
        ("BLOB", Some(DataType::Binary)),
        ("DATE", Some(DataType::Date32)),
        (
            "DATETIME",
            Some(DataType::Timestamp(TimeUnit::Microsecond, None)),
        ),
        (
            "TIMESTAMP",
            Some(DataType::Timestamp(TimeUnit::Microsecond, None)),
        ),
        (
            "TIMESTAMPTZ",
            Some(DataType::Timestamp(
                TimeUnit::Microsecond,
                Some("UTC".into()),
            )),
        ),
        ("TIME", Some(DataType::Time64(TimeUnit::Microsecond))),
        ("GEOMETRY", None),
    ];
    for (declared, expected) in cases {
        assert_eq!(&map_declared_type(declared), expected, "{declared}");
    }
}

#[test]
fn text_formats_are_learned_and_used() {
    let f = learn_format("2024-01-15 10:00:00");
    assert_eq!(f, TextFormat { sep: ' ', frac: 0 });
    let f2 = learn_format("2024-01-15T10:00:00.123");
    assert_eq!(f2, TextFormat { sep: 'T', frac: 3 });
    let t = chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_micro_opt(10, 0, 0, 500_000)
        .unwrap();
    assert_eq!(format_ts(t, f), "2024-01-15 10:00:00.5");
    assert_eq!(format_ts(t, f2), "2024-01-15T10:00:00.500");
}
