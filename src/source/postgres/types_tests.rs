use super::*;

fn base(oid: u32, name: &str, typmod: i32) -> BaseType<'_> {
    BaseType {
        oid,
        name,
        typtype: "b",
        typmod,
    }
}

fn typmod(p: i32, s: i32) -> i32 {
    ((p << 16) | (s & 0x7ff)) + 4
}

#[test]
fn base_types_map_exactly() {
    let o = PgOptions::default();
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    type Case<'a> = (u32, &'a str, i32, Option<(DataType, bool)>);
    let cases: Vec<Case> = vec![
        (16, "bool", -1, Some((DataType::Boolean, false))),
        (21, "int2", -1, Some((DataType::Int16, false))),
        (23, "int4", -1, Some((DataType::Int32, false))),
        (20, "int8", -1, Some((DataType::Int64, false))),
        (26, "oid", -1, Some((DataType::UInt32, false))),
        (700, "float4", -1, Some((DataType::Float32, false))),
        (701, "float8", -1, Some((DataType::Float64, false))),
        (
            1700,
            "numeric",
            typmod(18, 4),
            Some((DataType::Decimal128(18, 4), false)),
        ),
        (
            1700,
            "numeric",
            typmod(50, 10),
            Some((DataType::Decimal256(50, 10), false)),
        ),
        (
            1700,
            "numeric",
            typmod(5, -3),
            Some((DataType::Decimal128(8, 0), false)),
        ),
        (
            1700,
            "numeric",
            typmod(2, 5),
            Some((DataType::Decimal128(5, 5), false)),
        ),
        (
            1700,
            "numeric",
            -1,
            Some((DataType::Decimal128(38, 9), false)),
        ),
        (1700, "numeric", typmod(1000, 0), None),
        (25, "text", -1, Some((DataType::Utf8, false))),
        (1043, "varchar", 24, Some((DataType::Utf8, false))),
        (1042, "bpchar", 9, Some((DataType::Utf8, false))),
        (19, "name", -1, Some((DataType::Utf8, false))),
        (114, "json", -1, Some((DataType::Utf8, false))),
        (3802, "jsonb", -1, Some((DataType::Utf8, false))),
        (869, "inet", -1, Some((DataType::Utf8, true))),
        (650, "cidr", -1, Some((DataType::Utf8, true))),
        (829, "macaddr", -1, Some((DataType::Utf8, true))),
        (142, "xml", -1, Some((DataType::Utf8, true))),
        (1266, "timetz", -1, Some((DataType::Utf8, true))),
        (17, "bytea", -1, Some((DataType::Binary, false))),
        (
            2950,
            "uuid",
            -1,
            Some((DataType::FixedSizeBinary(16), false)),
        ),
        (1082, "date", -1, Some((DataType::Date32, false))),
        (
            1083,
            "time",
            -1,
            Some((DataType::Time64(TimeUnit::Microsecond), false)),
        ),
        (
            1114,
            "timestamp",
            -1,
            Some((DataType::Timestamp(TimeUnit::Microsecond, None), false)),
        ),
        (1184, "timestamptz", -1, Some((utc, false))),
        (
            1186,
            "interval",
            -1,
            Some((DataType::Struct(interval_fields()), false)),
        ),
        (98765, "citext", -1, Some((DataType::Utf8, false))),
        (790, "money", -1, None),
        (600, "point", -1, None),
        (98766, "geometry", -1, None),
    ];
    for (oid, name, tm, expected) in cases {
        let got = map_base(base(oid, name, tm), &o).map(|(k, c)| (k.data_type(), c));
        assert_eq!(got, expected, "{name} ({oid}, typmod {tm})");
    }
    let e = BaseType {
        oid: 99999,
        name: "mood",
        typtype: "e",
        typmod: -1,
    };
    assert_eq!(map_base(e, &o), Some((PgKind::Text, false)));
}

#[test]
fn options_parse_and_reject() {
    let o = PgOptions::parse(Some("20, 4"), Some("NULL")).unwrap();
    assert_eq!(o.numeric_default, (20, 4));
    assert_eq!(o.infinity, Infinity::Null);
    let got = map_base(base(1700, "numeric", -1), &o).map(|(k, _)| k.data_type());
    assert_eq!(got, Some(DataType::Decimal128(20, 4)));
    assert!(PgOptions::parse(Some("20"), None).is_err());
    assert!(PgOptions::parse(Some("0,0"), None).is_err());
    assert!(PgOptions::parse(Some("77,2"), None).is_err());
    assert!(PgOptions::parse(None, Some("zero")).is_err());
    assert_eq!(PgOptions::parse(None, None).unwrap(), PgOptions::default());
}

#[test]
fn list_and_uuid_fields() {
    let k = PgKind::List(Box::new(PgKind::I32));
    assert_eq!(
        k.data_type(),
        DataType::List(Arc::new(Field::new("item", DataType::Int32, true)))
    );
    let f = PgKind::Uuid.field("id");
    assert_eq!(
        f.metadata().get(EXTENSION_KEY).map(String::as_str),
        Some(UUID_EXTENSION)
    );
    assert_eq!(PgKind::from_data_type(&k.data_type()), Some(k));
    assert_eq!(numeric_typmod(-1), None);
    assert_eq!(numeric_typmod(typmod(10, -2)), Some((10, -2)));
}
