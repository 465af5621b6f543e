use super::*;
use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, StringArray, StructArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use std::sync::Arc;

/// Flat and nested columns (a struct and a list give several leaves per field), with NULLs.
fn schema() -> SchemaRef {
    let point = DataType::Struct(
        vec![
            Field::new("x", DataType::Int64, true),
            Field::new("label", DataType::Utf8, true),
        ]
        .into(),
    );
    let list = DataType::List(Arc::new(Field::new("item", DataType::Int32, true)));
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("point", point, true),
        Field::new("tags", list, true),
        Field::new("flag", DataType::Boolean, true),
    ]))
}

fn batch(start: i64, n: usize) -> RecordBatch {
    let ids: Vec<i64> = (start..start + n as i64).collect();
    let name: ArrayRef = Arc::new(StringArray::from_iter(
        ids.iter()
            .map(|i| (i % 7 != 0).then(|| format!("name-{}", i % 500))),
    ));
    let amount: ArrayRef = Arc::new(Float64Array::from_iter(
        ids.iter().map(|i| (i % 3 != 0).then_some(*i as f64 / 8.0)),
    ));
    let point: ArrayRef = Arc::new(StructArray::from(vec![
        (
            Arc::new(Field::new("x", DataType::Int64, true)),
            Arc::new(Int64Array::from_iter(ids.iter().map(|i| Some(i * 2)))) as ArrayRef,
        ),
        (
            Arc::new(Field::new("label", DataType::Utf8, true)),
            Arc::new(StringArray::from_iter(
                ids.iter().map(|i| (i % 5 != 0).then(|| format!("p{i}"))),
            )) as ArrayRef,
        ),
    ]));
    let tags: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(
        ids.iter()
            .map(|i| (i % 4 != 0).then(|| (0..(i % 3) as i32).map(Some).collect::<Vec<_>>())),
    ));
    let flag: ArrayRef = Arc::new(BooleanArray::from_iter(
        ids.iter().map(|i| (i % 11 != 0).then_some(i % 2 == 0)),
    ));
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from(ids)),
            name,
            amount,
            point,
            tags,
            flag,
        ],
    )
    .unwrap()
}

fn props(rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(rows))
        .set_data_page_row_count_limit(1000)
        .build()
}

/// The bytes ArrowWriter writes for the batches.
fn reference(batches: &[RecordBatch], rows: usize) -> Vec<u8> {
    let mut w = ArrowWriter::try_new(Vec::new(), schema(), Some(props(rows))).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.into_inner().unwrap()
}

/// The bytes of the encoder, drained after every completed row group, and the flush count.
fn encoded(batches: &[RecordBatch], rows: usize, threads: usize) -> (Vec<u8>, usize) {
    let mut e = FileEncoder::try_new(schema(), props(rows), threads).unwrap();
    let mut out = Vec::new();
    let mut flushes = 0;
    for b in batches {
        if e.write(b).unwrap() {
            flushes += 1;
            out.extend(e.take_buffer());
            // The file writer keeps up to 8 KiB in its own buffer until the footer, as it
            // does under AsyncArrowWriter.
            let pending = e.bytes_written() - out.len();
            assert!(pending <= 8192, "{pending} bytes not drained");
        }
    }
    let meta = e.finish().unwrap();
    out.extend(e.take_buffer());
    assert_eq!(out.len(), e.bytes_written());
    let rows_in_meta: i64 = meta.row_groups().iter().map(|g| g.num_rows()).sum();
    let want: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows_in_meta, want as i64);
    (out, flushes)
}

#[test]
fn the_same_bytes_as_arrow_writer_on_any_thread_count() {
    // Batches that fill row groups exactly, span two, and leave a partial last one.
    let batches = vec![
        batch(0, 10_000),
        batch(10_000, 7_000),
        batch(17_000, 9_000),
        batch(26_000, 100),
        batch(26_100, 0),
        batch(26_100, 5_000),
    ];
    let want = reference(&batches, 10_000);
    for threads in [1, 2, 3, 16] {
        let (got, flushes) = encoded(&batches, 10_000, threads);
        assert_eq!(got, want, "{threads} threads: byte for byte");
        assert_eq!(flushes, 3, "row groups completed at 10k, 20k and 30k rows");
    }
    let rows = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(want))
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect::<Vec<_>>();
    let all = arrow::compute::concat_batches(&schema(), &rows).unwrap();
    let input = arrow::compute::concat_batches(&schema(), &batches).unwrap();
    assert_eq!(all, input, "and it reads back as written");
}

#[test]
fn sizes_follow_the_open_row_group() {
    let mut e = FileEncoder::try_new(schema(), props(50_000), 2).unwrap();
    assert_eq!(e.in_progress_size(), 0);
    assert_eq!(e.bytes_written(), 4, "the magic number");
    assert!(
        !e.write(&batch(0, 10_000)).unwrap(),
        "no row group complete yet"
    );
    let open = e.in_progress_size();
    assert!(open > 0);
    assert!(!e.write(&batch(10_000, 10_000)).unwrap());
    assert!(e.in_progress_size() > open);
    e.flush().unwrap();
    assert_eq!(e.in_progress_size(), 0);
    assert!(e.bytes_written() > open, "the row group went to the file");
}

#[test]
fn byte_limited_row_groups_are_refused() {
    let props = WriterProperties::builder()
        .set_max_row_group_bytes(Some(1 << 20))
        .build();
    assert!(FileEncoder::try_new(schema(), props, 2).is_err());
}

#[test]
fn errors_of_any_thread_come_back() {
    let mut items = vec![0u32; 40];
    let r = in_parallel(&mut items, 4, |x| {
        *x += 1;
        Ok(())
    });
    assert!(r.is_ok());
    assert!(items.iter().all(|x| *x == 1), "each item once");
    let r = in_parallel(&mut (0..40).collect::<Vec<u32>>(), 4, |x| {
        if *x == 33 {
            Err(ParquetError::General("column 33 failed".into()))
        } else {
            Ok(())
        }
    });
    assert!(r.unwrap_err().to_string().contains("column 33"));
}
