use super::*;
use arrow::array::{Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{LogicalType, TimeUnit as PqTimeUnit, ZstdLevel};

const ID: &str = "20260122T031500.123456Z";

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new(
            "ts_utc",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new(
            "ts_local",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
    ]))
}

fn batch(start: i64, n: i64) -> RecordBatch {
    let ids: Vec<i64> = (start..start + n).collect();
    let names: Vec<Option<String>> = ids
        .iter()
        .map(|i| (i % 3 != 0).then(|| format!("name-{i}")))
        .collect();
    let ts: Vec<i64> = ids.iter().map(|i| 1_700_000_000_000_000 + i).collect();
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(names)),
            Arc::new(TimestampMicrosecondArray::from(ts.clone()).with_timezone("UTC")),
            Arc::new(TimestampMicrosecondArray::from(ts)),
        ],
    )
    .unwrap()
}

fn opts(row_group_rows: usize, rollover_bytes: u64) -> WriterOptions {
    WriterOptions {
        row_group_rows,
        rollover_bytes,
        part_size: 5 * 1024 * 1024,
        ..Default::default()
    }
}

fn writer(store: &Arc<dyn ObjectStore>, chunk: usize, o: WriterOptions) -> ChunkWriter {
    let layout = TableLayout::new("raw", "db", "orders");
    ChunkWriter::new(Arc::clone(store), layout, ID.into(), chunk, schema(), o)
}

async fn write_all(w: &mut ChunkWriter, batches: &[RecordBatch]) {
    for b in batches {
        w.write(b).await.unwrap();
    }
}

async fn read(store: &Arc<dyn ObjectStore>, path: &str) -> (Bytes, Vec<RecordBatch>) {
    let bytes = store
        .get(&Path::from(path))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
        .unwrap()
        .build()
        .unwrap();
    let batches = reader.collect::<Result<Vec<_>, _>>().unwrap();
    (bytes, batches)
}

fn concat(batches: &[RecordBatch]) -> RecordBatch {
    arrow::compute::concat_batches(&schema(), batches).unwrap()
}

async fn three_batches_round_trip(store: Arc<dyn ObjectStore>) {
    let input = vec![batch(0, 10), batch(10, 10), batch(20, 10)];
    let mut w = writer(&store, 2, opts(10, DEFAULT_ROLLOVER_BYTES));
    write_all(&mut w, &input).await;
    let files = w.finish().await.unwrap();
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert_eq!(f.path, format!("raw/db_orders/orders/{ID}.2-0.parquet"));
    assert_eq!(f.rows, 30);
    let meta = store.head(&Path::from(f.path.as_str())).await.unwrap();
    assert_eq!(f.bytes, meta.size, "FileEntry.bytes is the object size");
    let nulls = |c: &str, n: u64| (c.to_string(), n);
    assert_eq!(
        f.stats.as_ref().map(|s| s.null_counts.clone()),
        Some(vec![
            nulls("id", 0),
            nulls("name", 10),
            nulls("ts_utc", 0),
            nulls("ts_local", 0)
        ]),
        "NULL counts summed over the three row groups, from the footer"
    );

    let (bytes, out) = read(&store, &f.path).await;
    assert_eq!(concat(&out), concat(&input));
    let md = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .metadata()
        .clone();
    assert_eq!(md.num_row_groups(), 3, "one row group per 10 rows");
    assert!(md.row_groups().iter().all(|rg| rg.num_rows() == 10));
    let col = md.row_group(0).column(0);
    // The level is not stored in the file; the codec is.
    assert!(matches!(col.compression(), Compression::ZSTD(_)));
}

#[tokio::test]
async fn every_codec_is_written_to_the_footer_and_reads_back() {
    let input = vec![batch(0, 10), batch(10, 10)];
    for text in ["zstd(9)", "snappy", "lz4", "gzip", "none"] {
        let codec = crate::sink::compression::parse(text).unwrap();
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let mut w = writer(
            &store,
            0,
            WriterOptions {
                compression: codec,
                ..opts(10, DEFAULT_ROLLOVER_BYTES)
            },
        );
        write_all(&mut w, &input).await;
        let files = w.finish().await.unwrap();
        let (bytes, out) = read(&store, &files[0].path).await;
        assert_eq!(concat(&out), concat(&input), "{text}");
        let md = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .metadata()
            .clone();
        for rg in md.row_groups() {
            for col in rg.columns() {
                // The footer keeps the codec, not the level.
                let stored = match (col.compression(), codec) {
                    (Compression::ZSTD(_), Compression::ZSTD(_))
                    | (Compression::GZIP(_), Compression::GZIP(_)) => true,
                    (got, want) => got == want,
                };
                assert!(stored, "{text}: {:?}", col.compression());
            }
        }
    }
}

#[tokio::test]
async fn encoding_threads_change_no_byte_of_a_multipart_file() {
    // 200k rows in row groups of 20k: big enough for the parallel path and several parts.
    let input: Vec<RecordBatch> = (0..10).map(|i| batch(i * 20_000, 20_000)).collect();
    let mut files = Vec::new();
    for threads in [1, 3] {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let mut w = writer(
            &store,
            0,
            WriterOptions {
                encode_threads: threads,
                part_size: 64 * 1024,
                ..opts(20_000, DEFAULT_ROLLOVER_BYTES)
            },
        );
        write_all(&mut w, &input).await;
        let entries = w.finish().await.unwrap();
        assert_eq!(entries.len(), 1);
        let (bytes, out) = read(&store, &entries[0].path).await;
        assert_eq!(concat(&out), concat(&input), "{threads} threads");
        assert_eq!(bytes.len() as u64, entries[0].bytes);
        assert!(entries[0].bytes > 2 * 64 * 1024, "a multipart upload");
        files.push((bytes, entries[0].clone()));
    }
    assert_eq!(files[0], files[1], "the same file and statistics");
}

#[tokio::test]
async fn three_batches_in_memory() {
    three_batches_round_trip(Arc::new(InMemory::new())).await;
}

#[tokio::test]
async fn three_batches_on_local_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    three_batches_round_trip(Arc::clone(&store)).await;
    let file = dir
        .path()
        .join("raw/db_orders/orders")
        .join(format!("{ID}.2-0.parquet"));
    assert!(file.is_file(), "{}", file.display());
}

#[tokio::test]
async fn row_groups_follow_row_group_rows_not_batches() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut w = writer(&store, 0, opts(15, DEFAULT_ROLLOVER_BYTES));
    write_all(&mut w, &[batch(0, 10), batch(10, 10), batch(20, 10)]).await;
    let files = w.finish().await.unwrap();
    let (bytes, _) = read(&store, &files[0].path).await;
    let md = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .metadata()
        .clone();
    let sizes: Vec<i64> = md.row_groups().iter().map(|rg| rg.num_rows()).collect();
    assert_eq!(sizes, vec![15, 15]);
}

#[tokio::test]
async fn tiny_rollover_makes_several_contiguous_files() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut w = writer(&store, 1, opts(10, 1));
    let input = vec![batch(0, 10), batch(10, 10), batch(20, 10)];
    write_all(&mut w, &input).await;
    assert_eq!(w.finished_files().len(), 3);
    let files = w.finish().await.unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        vec![
            format!("{ID}.1-0.parquet"),
            format!("{ID}.1-1.parquet"),
            format!("{ID}.1-2.parquet")
        ]
    );
    let mut all = Vec::new();
    for f in &files {
        assert_eq!(f.rows, 10);
        let (_, out) = read(&store, &f.path).await;
        all.extend(out);
    }
    let ids = concat(&all);
    let ids = ids.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(ids.values().to_vec(), (0..30).collect::<Vec<i64>>());
}

#[tokio::test]
async fn zero_batches_or_empty_batches_write_no_file() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let w = writer(&store, 0, opts(10, DEFAULT_ROLLOVER_BYTES));
    assert!(w.finish().await.unwrap().is_empty());
    let mut w = writer(&store, 0, opts(10, DEFAULT_ROLLOVER_BYTES));
    w.write(&batch(0, 0)).await.unwrap();
    assert!(w.finish().await.unwrap().is_empty());
    let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn timestamps_with_zone_are_utc_adjusted_and_without_are_not() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut w = writer(&store, 0, opts(10, DEFAULT_ROLLOVER_BYTES));
    w.write(&batch(0, 5)).await.unwrap();
    let files = w.finish().await.unwrap();
    let (bytes, out) = read(&store, &files[0].path).await;
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    let descr = builder.metadata().file_metadata().schema_descr();
    assert_eq!(
        descr.column(2).logical_type_ref(),
        Some(&LogicalType::timestamp(true, PqTimeUnit::MICROS))
    );
    assert_eq!(
        descr.column(3).logical_type_ref(),
        Some(&LogicalType::timestamp(false, PqTimeUnit::MICROS))
    );
    assert_eq!(
        out[0].schema().field(2).data_type(),
        schema().field(2).data_type()
    );
    assert_eq!(
        out[0].column(3).data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    assert_eq!(out[0].column(1).null_count(), 2);
}

#[tokio::test]
async fn abort_removes_open_and_finished_files() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut w = writer(&store, 0, opts(10, 1));
    write_all(&mut w, &[batch(0, 10), batch(10, 10)]).await;
    let mut w2 = writer(&store, 1, opts(10, DEFAULT_ROLLOVER_BYTES));
    w2.write(&batch(20, 10)).await.unwrap();
    w.abort().await;
    w2.abort().await;
    let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}

#[test]
fn options_take_the_destination_settings() {
    let dest = crate::sink::store::Destination::Local {
        name: "local".into(),
        root: "out".into(),
        compression: crate::sink::compression::default_compression(),
    };
    let o = WriterOptions::for_destination(&dest, 5000);
    assert_eq!(o.row_group_rows, 5000);
    assert_eq!(o.part_size, dest.part_size());
    assert_eq!(o.upload_concurrency, dest.upload_concurrency());
    assert_eq!(o.rollover_bytes, 256 * 1024 * 1024);
    assert_eq!(
        o.compression,
        Compression::ZSTD(ZstdLevel::try_new(1).unwrap())
    );
    let snappy = crate::sink::store::Destination::Local {
        name: "local".into(),
        root: "out".into(),
        compression: Compression::SNAPPY,
    };
    assert_eq!(
        WriterOptions::for_destination(&snappy, 5000).compression,
        Compression::SNAPPY
    );
}
