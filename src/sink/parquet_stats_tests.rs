use super::*;
use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array,
    StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::Field;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde_json::json;
use std::sync::Arc;

/// Write `batches` as one file with a row group per batch; return its bounds by column.
fn bounds_of(batches: &[RecordBatch]) -> serde_json::Map<String, Value> {
    let schema = batches[0].schema();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(batches[0].num_rows()))
        .build();
    let mut w = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props)).unwrap();
    for b in batches {
        w.write(b).unwrap();
        w.flush().unwrap();
    }
    let meta = w.close().unwrap();
    assert_eq!(meta.num_row_groups(), batches.len());
    column_bounds(&meta, &schema)
        .into_iter()
        .map(|(c, lo, hi)| (c, json!([lo, hi])))
        .collect()
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("i", DataType::Int32, true),
        Field::new("l", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("small", DataType::Decimal128(12, 2), true),
        Field::new("wide", DataType::Decimal128(38, 9), true),
        Field::new("s", DataType::Utf8, true),
        Field::new("d", DataType::Date32, true),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new(
            "ntz",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
        Field::new("b", DataType::Boolean, true),
        Field::new("nulls", DataType::Int64, true),
    ]))
}

#[allow(clippy::too_many_arguments)]
fn batch(
    i: [Option<i32>; 2],
    l: [i64; 2],
    f: [f64; 2],
    small: [i128; 2],
    wide: [i128; 2],
    s: [&str; 2],
    d: [i32; 2],
    ts: [i64; 2],
) -> RecordBatch {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(i.to_vec())),
        Arc::new(Int64Array::from(l.to_vec())),
        Arc::new(Float64Array::from(f.to_vec())),
        Arc::new(
            Decimal128Array::from(small.to_vec())
                .with_precision_and_scale(12, 2)
                .unwrap(),
        ),
        Arc::new(
            Decimal128Array::from(wide.to_vec())
                .with_precision_and_scale(38, 9)
                .unwrap(),
        ),
        Arc::new(StringArray::from(s.to_vec())),
        Arc::new(Date32Array::from(d.to_vec())),
        Arc::new(TimestampMicrosecondArray::from(ts.to_vec()).with_timezone("UTC")),
        Arc::new(TimestampMicrosecondArray::from(ts.to_vec())),
        Arc::new(BooleanArray::from(vec![true, false])),
        Arc::new(Int64Array::from(vec![None::<i64>, None])),
    ];
    RecordBatch::try_new(schema(), cols).unwrap()
}

#[test]
fn bounds_span_row_groups_in_delta_json_format() {
    let long = "x".repeat(40);
    let a = batch(
        [Some(5), None],
        [-7, 3],
        [1.5, -2.25],
        [1225, -50],
        [1, 2],
        ["m", "b"],
        [0, 19_723],
        [1_704_067_200_000_000, 1_704_067_200_123_456],
    );
    let b = batch(
        [Some(-1), Some(9)],
        [10, 0],
        [0.0, 8.0],
        [99, 3],
        [10i128.pow(20), 5],
        ["a", &long],
        [1, 2],
        [1_704_067_201_000_001, 0],
    );
    let got = bounds_of(&[a, b]);
    assert_eq!(got["i"], json!([-1, 9]), "NULLs do not count");
    assert_eq!(got["l"], json!([-7, 10]));
    assert_eq!(got["f"], json!([-2.25, 8.0]));
    assert_eq!(got["small"], json!([-0.5, 12.25]));
    assert!(
        !got.contains_key("wide"),
        "a decimal with more digits than a double holds gets no bounds"
    );
    assert!(
        !got.contains_key("s"),
        "a maximum over 32 characters is skipped: {got:?}"
    );
    assert_eq!(got["d"], json!(["1970-01-01", "2024-01-01"]));
    // Milliseconds, rounded outwards: the bounds still hold every value.
    assert_eq!(
        got["ts"],
        json!(["1970-01-01T00:00:00.000Z", "2024-01-01T00:00:01.001Z"])
    );
    assert_eq!(
        got["ntz"],
        json!(["1970-01-01 00:00:00.000", "2024-01-01 00:00:01.001"])
    );
    assert!(!got.contains_key("b"), "booleans get no bounds");
    assert!(
        !got.contains_key("nulls"),
        "a column of NULLs has no bounds"
    );
}

#[test]
fn long_minimum_strings_keep_a_prefix() {
    let long = format!("{}tail", "a".repeat(40));
    let a = batch(
        [Some(1), Some(2)],
        [1, 2],
        [1.0, 2.0],
        [1, 2],
        [1, 2],
        [&long, "zz"],
        [1, 2],
        [1, 2],
    );
    let got = bounds_of(&[a]);
    assert_eq!(got["s"], json!(["a".repeat(32), "zz"]));
    assert_eq!(got["i"], json!([1, 2]));
}

#[test]
fn decimals_and_timestamps_convert_exactly() {
    assert_eq!(
        decimal(123_456_789_012_345, 2),
        Some(json!(1_234_567_890_123.45))
    );
    assert_eq!(decimal(1_234_567_890_123_456, 2), None, "16 digits");
    assert_eq!(decimal(-5, 0), Some(json!(-5)));
    assert_eq!(decimal(7, -2), Some(json!(700)));
    assert_eq!(
        timestamp(-1, TimeUnit::Microsecond, true, false),
        Some(json!("1969-12-31T23:59:59.999Z")),
        "before 1970 the minimum rounds down too"
    );
    assert_eq!(
        timestamp(-1, TimeUnit::Microsecond, true, true),
        Some(json!("1970-01-01T00:00:00.000Z"))
    );
    assert_eq!(
        timestamp(2, TimeUnit::Second, false, true),
        Some(json!("1970-01-01 00:00:02.000"))
    );
    assert_eq!(be_i128(&[0xff, 0xfe]), Some(-2));
    assert_eq!(be_i128(&[0x01, 0x00]), Some(256));
    assert_eq!(be_i128(&[]), None);
}
