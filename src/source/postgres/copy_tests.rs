use super::*;
use arrow::array::{
    Array, AsArray, Decimal128Array, FixedSizeBinaryArray, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{Int32Type, Schema};
use proptest::prelude::*;
use std::sync::Arc;

/// A binary COPY stream: header, rows of optional fields, trailer.
fn stream(rows: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
    let mut v = SIGNATURE.to_vec();
    v.extend(0i32.to_be_bytes());
    v.extend(4i32.to_be_bytes()); // a header extension of 4 bytes, to be skipped
    v.extend([9, 9, 9, 9]);
    for r in rows {
        v.extend((r.len() as i16).to_be_bytes());
        for f in r {
            match f {
                None => v.extend((-1i32).to_be_bytes()),
                Some(b) => {
                    v.extend((b.len() as i32).to_be_bytes());
                    v.extend(b);
                }
            }
        }
    }
    v.extend((-1i16).to_be_bytes());
    v
}

fn int_array(items: &[Option<i32>]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(1i32.to_be_bytes());
    v.extend(1i32.to_be_bytes());
    v.extend(23u32.to_be_bytes());
    v.extend((items.len() as i32).to_be_bytes());
    v.extend(1i32.to_be_bytes());
    for i in items {
        match i {
            Some(x) => {
                v.extend(4i32.to_be_bytes());
                v.extend(x.to_be_bytes());
            }
            None => v.extend((-1i32).to_be_bytes()),
        }
    }
    v
}

fn kinds() -> Vec<PgKind> {
    vec![
        PgKind::I32,
        PgKind::Text,
        PgKind::Jsonb,
        PgKind::Numeric { p: 18, s: 4 },
        PgKind::TimestampTz,
        PgKind::List(Box::new(PgKind::I32)),
        PgKind::Uuid,
        PgKind::Interval,
        PgKind::I64,
    ]
}

fn schema(kinds: &[PgKind]) -> SchemaRef {
    Arc::new(Schema::new(
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| k.field(&format!("c{i}")))
            .collect::<Vec<_>>(),
    ))
}

fn sample_rows() -> Vec<Vec<Option<Vec<u8>>>> {
    let mut interval = Vec::new();
    interval.extend(1_500_000i64.to_be_bytes());
    interval.extend(3i32.to_be_bytes());
    interval.extend((-2i32).to_be_bytes());
    (0..7)
        .map(|i: i32| {
            if i == 3 {
                return vec![None; 9];
            }
            vec![
                Some(i.to_be_bytes().to_vec()),
                Some(format!("ünï{i}").into_bytes()),
                Some([&[1u8][..], br#"{"a":1}"#].concat()),
                Some(crate::source::postgres::numeric::tests_encode(&format!(
                    "{i}.25"
                ))),
                Some((i as i64 * 1_000_001).to_be_bytes().to_vec()),
                Some(int_array(&[Some(i), None, Some(-i)])),
                Some([i as u8; 16].to_vec()),
                Some(interval.clone()),
                Some(i64::MIN.to_be_bytes().to_vec()),
            ]
        })
        .collect()
}

fn decode_split(bytes: &[u8], cuts: &[usize], batch_rows: usize) -> Vec<RecordBatch> {
    let k = kinds();
    let mut d = CopyDecoder::new(schema(&k), &k, batch_rows, Infinity::Error, vec![0]);
    let mut out = Vec::new();
    let mut at = 0;
    for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let c = c.clamp(at, bytes.len());
        d.feed(&bytes[at..c], &mut out).unwrap();
        at = c;
    }
    out.extend(d.finish().unwrap());
    out
}

fn check(batches: &[RecordBatch]) {
    let batch = arrow::compute::concat_batches(&batches[0].schema(), batches).unwrap();
    assert_eq!(batch.num_rows(), 7);
    let ids = batch
        .column(0)
        .as_any()
        .downcast_ref::<Int32Array>()
        .unwrap();
    assert_eq!(ids.value(6), 6);
    assert!(ids.is_null(3));
    let s = batch
        .column(1)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(s.value(2), "ünï2");
    let j = batch
        .column(2)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(j.value(0), r#"{"a":1}"#);
    let n = batch
        .column(3)
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    assert_eq!(n.value(5), 52500);
    let t = batch
        .column(4)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    assert_eq!(t.value(1), EPOCH_MICROS + 1_000_001);
    let l = batch.column(5).as_list::<i32>();
    let inner = l.value(2);
    let inner = inner.as_primitive::<Int32Type>();
    assert_eq!(inner.len(), 3);
    assert_eq!(
        (inner.value(0), inner.is_null(1), inner.value(2)),
        (2, true, -2)
    );
    assert!(l.is_null(3));
    let u = batch
        .column(6)
        .as_any()
        .downcast_ref::<FixedSizeBinaryArray>()
        .unwrap();
    assert_eq!(u.value(4), &[4u8; 16]);
    let iv = batch.column(7).as_struct();
    assert_eq!(iv.column(0).as_primitive::<Int32Type>().value(0), -2);
    assert_eq!(iv.column(1).as_primitive::<Int32Type>().value(0), 3);
    assert_eq!(
        iv.column(2)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        1_500_000
    );
    assert!(iv.is_null(3));
    let big = batch
        .column(8)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(big.value(0), i64::MIN);
}

#[test]
fn decodes_whole_and_byte_by_byte() {
    let bytes = stream(&sample_rows());
    check(&decode_split(&bytes, &[], 1000));
    let every: Vec<usize> = (1..bytes.len()).collect();
    let batches = decode_split(&bytes, &every, 3);
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    check(&batches);
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_batches(mut cuts in proptest::collection::vec(0usize..2000, 0..40), rows in 1usize..9) {
        let bytes = stream(&sample_rows());
        cuts.sort_unstable();
        let batches = decode_split(&bytes, &cuts, rows);
        prop_assert!(batches.iter().all(|b| b.num_rows() <= rows));
        check(&batches);
    }
}

#[test]
fn bad_values_name_column_and_key() {
    let k = vec![PgKind::I64, PgKind::Numeric { p: 5, s: 2 }, PgKind::Date];
    let rows = vec![vec![
        Some(42i64.to_be_bytes().to_vec()),
        Some(crate::source::postgres::numeric::tests_encode("1234.5")),
        Some(1i32.to_be_bytes().to_vec()),
    ]];
    let mut d = CopyDecoder::new(schema(&k), &k, 10, Infinity::Error, vec![0]);
    let err = d
        .feed(&stream(&rows), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("c1") && err.contains("1234.5") && err.contains("row key 42"),
        "{err}"
    );

    let inf = vec![vec![
        Some(1i64.to_be_bytes().to_vec()),
        None,
        Some(i32::MAX.to_be_bytes().to_vec()),
    ]];
    let mut d = CopyDecoder::new(schema(&k), &k, 10, Infinity::Error, vec![]);
    let err = d
        .feed(&stream(&inf), &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("c2") && err.contains("infinity"), "{err}");
    for (mode, expect_null) in [(Infinity::Null, true), (Infinity::Clamp, false)] {
        let mut d = CopyDecoder::new(schema(&k), &k, 10, mode, vec![]);
        let mut out = Vec::new();
        d.feed(&stream(&inf), &mut out).unwrap();
        let b = d.finish().unwrap().unwrap();
        assert_eq!(b.column(2).is_null(0), expect_null);
        if !expect_null {
            assert_eq!(
                b.column(2)
                    .as_primitive::<arrow::datatypes::Date32Type>()
                    .value(0),
                DATE_MAX + EPOCH_DAYS
            );
        }
    }
}

#[test]
fn truncated_and_foreign_streams_fail() {
    let bytes = stream(&sample_rows());
    let k = kinds();
    let mut d = CopyDecoder::new(schema(&k), &k, 10, Infinity::Error, vec![]);
    d.feed(&bytes[..bytes.len() - 5], &mut Vec::new()).unwrap();
    assert!(d.finish().is_err());
    let mut d = CopyDecoder::new(schema(&k), &k, 10, Infinity::Error, vec![]);
    assert!(
        d.feed(b"id,name\n1,2\n0123456789", &mut Vec::new())
            .is_err()
    );
    let k2 = vec![PgKind::I32];
    let mut d = CopyDecoder::new(schema(&k2), &k2, 10, Infinity::Error, vec![]);
    assert!(
        d.feed(&bytes, &mut Vec::new()).is_err(),
        "field count mismatch"
    );
}

#[test]
fn timestamps_in_errors_are_shown_as_dates_even_beyond_arrow() {
    assert_eq!(timestamp_text(0), "2000-01-01 00:00:00");
    assert_eq!(timestamp_text(-1), "1999-12-31 23:59:59.999999");
    assert_eq!(timestamp_text(-EPOCH_MICROS), "1970-01-01 00:00:00");
    // 2024-02-29 12:34:56.5, leap day.
    assert_eq!(
        timestamp_text(762_525_296_500_000),
        "2024-02-29 12:34:56.500000"
    );
    // PostgreSQL's last timestamp, beyond chrono and Arrow µs: 294276-12-31 23:59:59.999999.
    assert_eq!(
        timestamp_text(9_223_371_331_199_999_999),
        "294276-12-31 23:59:59.999999"
    );
    assert_eq!(
        timestamp_text(-211_813_488_000_000_000),
        "-4713-11-24 00:00:00"
    );
}
