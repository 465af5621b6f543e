use super::*;
use arrow::datatypes::DataType::*;

fn field(name: &str, data_type: &DataType, nullable: bool) -> FieldInfo {
    FieldInfo {
        name: name.into(),
        data_type: data_type.to_string(),
        nullable,
    }
}

#[test]
fn widening_rules() {
    let yes = [
        (Int8, Int16),
        (Int8, Int64),
        (Int16, Int32),
        (Int32, Int64),
        (UInt8, UInt16),
        (UInt32, UInt64),
        (UInt16, Int32),
        (UInt32, Int64),
        (Float32, Float64),
        (Decimal128(10, 2), Decimal128(12, 2)),
        (Decimal128(10, 2), Decimal128(12, 4)),
        (Decimal128(10, 2), Decimal256(40, 2)),
        (Decimal256(40, 2), Decimal256(50, 3)),
        (Utf8, LargeUtf8),
        (Binary, LargeBinary),
    ];
    for (a, b) in &yes {
        assert!(widens(a, b), "{a} → {b} widens");
        assert!(
            widens_text(&a.to_string(), &b.to_string()),
            "{a} → {b} as text"
        );
    }
    let no = [
        (Int64, Int32),
        (Int32, Int32),
        (Int32, UInt64),
        (UInt64, Int64),
        (Int64, Float64),
        (Float64, Float32),
        (Utf8, Int32),
        (Int32, Utf8),
        (LargeUtf8, Utf8),
        (Decimal128(12, 2), Decimal128(10, 2)),
        // One more decimal place but no more precision: loses an integer digit.
        (Decimal128(10, 2), Decimal128(10, 3)),
        (Decimal128(10, 2), Decimal128(12, 1)),
        (Decimal256(40, 2), Decimal128(38, 2)),
        (Int32, Decimal128(12, 0)),
        (
            Date32,
            Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        ),
    ];
    for (a, b) in &no {
        assert!(!widens(a, b), "{a} → {b} does not widen");
    }
    assert!(!widens_text("Int32", "NoSuchType"));
}

#[test]
fn diff_lists_added_dropped_changed_and_nullability() {
    let old = vec![
        field("id", &Int32, false),
        field("gone", &Utf8, true),
        field("amount", &Decimal128(10, 2), true),
        field("code", &Utf8, true),
        field("note", &Utf8, false),
    ];
    let new = vec![
        field("id", &Int64, false),
        field("amount", &Decimal128(12, 2), true),
        field("code", &Int32, true),
        field("note", &Utf8, true),
        field("extra", &Date32, true),
    ];
    let d = SchemaDiff::between(&old, &new);
    assert_eq!(d.added, vec![field("extra", &Date32, true)]);
    assert_eq!(d.dropped, vec![field("gone", &Utf8, true)]);
    let changed: Vec<(&str, &str, &str, bool)> = d
        .changed
        .iter()
        .map(|c| {
            (
                c.column.as_str(),
                c.from.as_str(),
                c.to.as_str(),
                c.widening,
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("id", "Int32", "Int64", true),
            ("amount", "Decimal128(10, 2)", "Decimal128(12, 2)", true),
            ("code", "Utf8", "Int32", false),
        ]
    );
    assert_eq!(
        d.nullability,
        [NullabilityChange {
            column: "note".into(),
            nullable: true
        }]
    );
    assert!(d.columns_changed() && !d.is_empty());
    assert_eq!(d.first_narrowing().map(|c| c.column.as_str()), Some("code"));
    let text = d.to_string();
    assert_eq!(
        text,
        "added `extra` (Date32); dropped `gone` (Utf8); widened `id` from Int32 to Int64; \
         widened `amount` from Decimal128(10, 2) to Decimal128(12, 2); changed `code` from Utf8 \
         to Int32; `note` is now nullable"
    );
    let same = SchemaDiff::between(&old, &old);
    assert!(same.is_empty() && !same.columns_changed());
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(serde_json::from_str::<SchemaDiff>(&json).unwrap(), d);
}
