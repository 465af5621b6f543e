use crate::table::delta_schema::delta_schema;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use deltalake::kernel::{DataType as DeltaType, PrimitiveType};

fn field(name: &str, t: DataType) -> Field {
    Field::new(name, t, true)
}

#[test]
fn naive_timestamps_become_timestamp_ntz_and_aware_ones_timestamp() {
    let s = Schema::new(vec![
        field("local", DataType::Timestamp(TimeUnit::Microsecond, None)),
        field(
            "utc",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        field("amount", DataType::Decimal128(38, 9)),
        field("id", DataType::Int64),
    ]);
    let d = delta_schema(&s).unwrap();
    let types: Vec<DeltaType> = d.fields().map(|f| f.data_type().clone()).collect();
    assert_eq!(types[0], DeltaType::Primitive(PrimitiveType::TimestampNtz));
    assert_eq!(types[1], DeltaType::Primitive(PrimitiveType::Timestamp));
    assert_eq!(types[3], DeltaType::Primitive(PrimitiveType::Long));
}

#[test]
fn types_delta_cannot_hold_are_refused_naming_the_column() {
    let cases = [
        (DataType::UInt64, "signed integers"),
        (DataType::UInt8, "signed integers"),
        (DataType::Time64(TimeUnit::Microsecond), "time-of-day"),
        (DataType::Duration(TimeUnit::Microsecond), "interval"),
        (DataType::Decimal256(65, 30), "38 digits"),
        (
            DataType::Timestamp(TimeUnit::Nanosecond, None),
            "microsecond",
        ),
    ];
    for (t, why) in cases {
        let s = Schema::new(vec![
            field("id", DataType::Int64),
            field("bad col", t.clone()),
        ]);
        let e = delta_schema(&s).unwrap_err().to_string();
        assert!(
            e.contains("column `bad col`") && e.contains(why),
            "{t}: {e}"
        );
    }
}

#[test]
fn uuid_columns_are_refused_naming_the_column() {
    let s = Schema::new(vec![field("u", DataType::FixedSizeBinary(16))]);
    let e = delta_schema(&s).unwrap_err().to_string();
    assert!(e.contains("column `u`") && e.contains("UUID"), "{e}");
}

/// A commitInfo written before loads recorded their columns still parses: they are unknown.
#[test]
fn load_info_without_columns_parses_as_unknown() {
    let old = serde_json::json!({
        "job_id": "j", "seq": 3, "load_id": "20260101T000000.000000Z",
        "load_type": "INCREMENTAL", "source": "db", "table": "t",
        "window": {"column": "c", "kind": "int", "from": "1", "to": "2"},
        "boundary_keys": ["00112233aabbccdd"], "rows": 5, "files": 1,
        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z"
    });
    let info: crate::table::delta::LoadInfo = serde_json::from_value(old).unwrap();
    assert_eq!((info.schema, info.boundary_columns), (None, None));
    assert_eq!(info.seq, 3);
}
