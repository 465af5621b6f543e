use super::*;
use arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Int64Type, Schema};
use deltalake::datafusion::prelude::SessionContext;

/// `(key, cursor, name)` rows through [`newest_per_key`], sorted by key.
async fn dedup(
    rows: &[(i64, Option<i64>, Option<&str>)],
) -> Vec<(i64, Option<i64>, Option<String>)> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("Key", DataType::Int64, false),
        Field::new("at", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2))),
        ],
    )
    .unwrap();
    let ctx = SessionContext::new();
    let df = ctx.read_batch(batch).unwrap();
    let out = newest_per_key(df, &["Key".to_string()], "at")
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut got = Vec::new();
    for b in &out {
        assert_eq!(b.num_columns(), 3, "the rank column is dropped");
        let (k, at, n) = (
            b.column(0).as_primitive::<Int64Type>(),
            b.column(1).as_primitive::<Int64Type>(),
            b.column(2).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            got.push((
                k.value(i),
                (!at.is_null(i)).then(|| at.value(i)),
                (!n.is_null(i)).then(|| n.value(i).to_string()),
            ));
        }
    }
    got.sort();
    got
}

#[tokio::test]
async fn the_newest_row_of_each_key_wins() {
    let got = dedup(&[
        (1, Some(5), Some("old")),
        (2, Some(1), Some("only")),
        (1, Some(9), Some("new")),
        (1, Some(7), Some("middle")),
        (3, None, Some("no cursor")),
        (3, Some(0), Some("zero")),
    ])
    .await;
    assert_eq!(
        got,
        vec![
            (1, Some(9), Some("new".into())),
            (2, Some(1), Some("only".into())),
            (3, Some(0), Some("zero".into())),
        ],
        "a NULL cursor counts as oldest"
    );
}

#[tokio::test]
async fn ties_are_broken_by_the_other_columns_whatever_the_input_order() {
    let rows = [
        (1, Some(5), Some("b")),
        (1, Some(5), None),
        (1, Some(5), Some("a")),
    ];
    let want = vec![(1, Some(5), Some("a".to_string()))];
    assert_eq!(dedup(&rows).await, want);
    let mut reversed = rows;
    reversed.reverse();
    assert_eq!(dedup(&reversed).await, want);
}

#[test]
fn only_this_jobs_staged_files_are_recognised() {
    let layout = TableLayout::new("raw", "db", "t").for_job("j1");
    let id = "20260122T031500.123456Z";
    let mine = layout.staging(id).data_path(id, "0-0");
    assert!(is_staged_by(&layout, &mine, "j1"));
    assert!(is_staged_by(&layout, &mine, "J1"), "job ids ignore case");
    let other = TableLayout::new("raw", "db", "t")
        .for_job("j2")
        .staging(id)
        .data_path(id, "0-0");
    assert!(!is_staged_by(&layout, &other, "j1"));
    let table_file = layout.data_path(id, "0-0");
    assert!(
        !is_staged_by(&layout, &table_file, "j1"),
        "table files are never staged files"
    );
    assert!(!is_staged_by(
        &layout,
        &Path::from("raw/db_t/_ingest_staging/x"),
        "j1"
    ));
}

#[tokio::test]
async fn remove_staged_removes_this_jobs_files_only() {
    let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let layout = TableLayout::new("raw", "db", "t").for_job("j1");
    let (a, b) = ("20260122T031500.123456Z", "20260122T031501.000000Z");
    let other = TableLayout::new("raw", "db", "t").for_job("j2");
    let paths = [
        layout.staging(a).data_path(a, "0-0"),
        layout.staging(b).data_path(b, "1-0"),
        other.staging(a).data_path(a, "0-0"),
        layout.data_path(a, "0-0"),
    ];
    for p in &paths {
        store
            .put(p, bytes::Bytes::from_static(b"x").into())
            .await
            .unwrap();
    }
    assert_eq!(
        remove_staged(&store, &layout, "j1", Some(b)).await,
        1,
        "one load's"
    );
    assert!(store.head(&paths[1]).await.is_err());
    assert_eq!(
        remove_staged(&store, &layout, "j1", None).await,
        1,
        "every load's"
    );
    assert!(store.head(&paths[0]).await.is_err());
    assert!(
        store.head(&paths[2]).await.is_ok(),
        "another job's staged file stays"
    );
    assert!(store.head(&paths[3]).await.is_ok(), "a table file stays");
}
