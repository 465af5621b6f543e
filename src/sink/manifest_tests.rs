use super::*;
use arrow::datatypes::{DataType, Field, TimeUnit};
use chrono::TimeZone;
use object_store::memory::InMemory;

const A: &str = "20260101T000000.000000Z";
const LEFT: &str = "20260101T120000.000000Z";
const B: &str = "20260102T000000.000000Z";
const C: &str = "20260103T000000.000000Z";
const NEWER: &str = "20260104T000000.000000Z";

fn layout() -> TableLayout {
    TableLayout::new("raw", "db", "orders")
}

fn manifest(load_id: &str, load_type: LoadType, file_ids: &[&str]) -> Manifest {
    let l = layout();
    let files: Vec<FileEntry> = file_ids
        .iter()
        .map(|f| FileEntry {
            path: l.data_path(load_id, f).to_string(),
            rows: 5,
            bytes: 3,
            stats: None,
        })
        .collect();
    Manifest {
        version: MANIFEST_VERSION,
        load_id: load_id.into(),
        job_id: "orders_job".into(),
        load_type,
        source: "db".into(),
        table: "orders".into(),
        window: (load_type == LoadType::Incremental).then(|| ManifestWindow {
            column: "updated_at".into(),
            kind: CursorKind::Timestamp,
            from: Some("2026-01-01T00:00:00".into()),
            to: Some("2026-01-02T00:00:00.123456".into()),
        }),
        boundary_keys: vec!["k1".into()],
        rows: 5 * files.len() as u64,
        files,
        schema: vec![FieldInfo {
            name: "id".into(),
            data_type: "Int64".into(),
            nullable: false,
        }],
        started_at: Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap(),
        finished_at: Utc.with_ymd_and_hms(2026, 1, 3, 0, 1, 0).unwrap(),
        boundary_columns: Some(vec!["id".into()]),
        schema_change: None,
        seq: 0,
        worker: None,
        run_id: None,
    }
}

#[test]
fn manifests_without_drift_fields_still_parse() {
    let m = manifest(A, LoadType::Incremental, &["0-0"]);
    let mut value = serde_json::to_value(&m).unwrap();
    let object = value.as_object_mut().unwrap();
    assert!(object.remove("boundary_columns").is_some());
    assert!(object.remove("schema_change").is_some());
    let bytes = serde_json::to_vec(&value).unwrap();
    let old = parse(&layout().manifest_path(A), &bytes).unwrap();
    assert_eq!(old.boundary_columns, None);
    assert_eq!(old.schema_change, None);
    assert_eq!(old.boundary_keys, m.boundary_keys);
}

async fn put_data(store: &InMemory, load_id: &str, file_id: &str) -> String {
    let path = layout().data_path(load_id, file_id);
    store
        .put(&path, PutPayload::from_static(b"PAR"))
        .await
        .unwrap();
    path.to_string()
}

/// Data files and manifests of an old load A, a failed run LEFT (no manifest), an
/// incremental load B, the committed load C and a concurrent NEWER writer.
async fn populate(store: &InMemory, committed: &Manifest, b_type: LoadType) -> Vec<String> {
    let a = manifest(A, committed.load_type, &["0-0", "1-0"]);
    let b = manifest(B, b_type, &["0-0"]);
    for m in [&a, &b, committed] {
        write(store, &layout(), m).await.unwrap();
        for f in &m.files {
            store
                .put(
                    &Path::from(f.path.as_str()),
                    PutPayload::from_static(b"PAR"),
                )
                .await
                .unwrap();
        }
    }
    vec![
        put_data(store, LEFT, "0-0").await,
        put_data(store, C, "9-9").await,
        put_data(store, NEWER, "0-0").await,
    ]
}

async fn all_paths(store: &InMemory) -> Vec<String> {
    let mut v: Vec<String> = store
        .list(None)
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    v.sort();
    v
}

#[tokio::test]
async fn write_read_list_latest() {
    let store = InMemory::new();
    let l = layout();
    assert_eq!(latest(&store, &l, "orders_job").await.unwrap(), None);
    let m1 = manifest(B, LoadType::Incremental, &["0-0"]);
    let m0 = manifest(A, LoadType::Full, &["0-0", "0-1"]);
    write(&store, &l, &m1).await.unwrap();
    write(&store, &l, &m0).await.unwrap();
    assert_eq!(list_load_ids(&store, &l).await.unwrap(), vec![A, B]);
    assert_eq!(read(&store, &l, A).await.unwrap(), m0);
    assert_eq!(latest(&store, &l, "orders_job").await.unwrap(), Some(m1));

    let raw = store
        .get(&l.manifest_path(B))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(json["load_type"], "INCREMENTAL");
    assert_eq!(json["window"]["kind"], "timestamp");
    assert_eq!(json["files"][0]["rows"], 5);
    assert_eq!(json["version"], 1);
    assert!(
        std::str::from_utf8(&raw)
            .unwrap()
            .contains("\n  \"load_id\""),
        "pretty JSON"
    );
}

#[tokio::test]
async fn broken_or_future_manifest_is_an_error_naming_its_path() {
    let store = InMemory::new();
    let l = layout();
    write(&store, &l, &manifest(A, LoadType::Full, &[]))
        .await
        .unwrap();
    store
        .put(&l.manifest_path(B), PutPayload::from_static(b"{ not json"))
        .await
        .unwrap();
    let m = latest(&store, &l, "orders_job")
        .await
        .unwrap_err()
        .to_string();
    assert!(m.contains(&l.manifest_path(B).to_string()), "{m}");
    let mut future = manifest(C, LoadType::Full, &[]);
    future.version = 2;
    write(&store, &l, &future).await.unwrap();
    let m = read(&store, &l, C).await.unwrap_err().to_string();
    assert!(m.contains("version 2"), "{m}");
    let m = read(&store, &l, NEWER).await.unwrap_err().to_string();
    assert!(m.contains("not found"), "{m}");
}

#[tokio::test]
async fn full_cleanup_keeps_only_the_committed_load_and_newer_files() {
    let store = InMemory::new();
    let l = layout();
    let c = manifest(C, LoadType::Full, &["0-0", "1-0"]);
    let extra = populate(&store, &c, LoadType::Full).await;
    store
        .put(
            &Path::from("raw/db_orders/orders/notes.txt"),
            PutPayload::from_static(b"x"),
        )
        .await
        .unwrap();
    let report = cleanup(&store, &l, &c).await.unwrap();

    let mut expected_files = vec![
        l.data_path(A, "0-0").to_string(),
        l.data_path(A, "1-0").to_string(),
        l.data_path(B, "0-0").to_string(),
        extra[0].clone(),
        extra[1].clone(),
    ];
    expected_files.sort();
    let mut removed = report.removed_files.clone();
    removed.sort();
    assert_eq!(removed, expected_files);
    assert_eq!(
        report.removed_manifests,
        vec![
            l.manifest_path(A).to_string(),
            l.manifest_path(B).to_string()
        ]
    );
    let mut left = vec![
        l.data_path(C, "0-0").to_string(),
        l.data_path(C, "1-0").to_string(),
        extra[2].clone(),
        "raw/db_orders/orders/notes.txt".to_string(),
        l.manifest_path(C).to_string(),
    ];
    left.sort();
    assert_eq!(all_paths(&store).await, left);
}

#[tokio::test]
async fn incremental_cleanup_removes_only_unlisted_leftovers() {
    let store = InMemory::new();
    let l = layout();
    let c = manifest(C, LoadType::Incremental, &["0-0"]);
    let extra = populate(&store, &c, LoadType::Incremental).await;
    let before = all_paths(&store).await;
    let report = cleanup(&store, &l, &c).await.unwrap();

    let mut removed = report.removed_files.clone();
    removed.sort();
    assert_eq!(removed, vec![extra[0].clone(), extra[1].clone()]);
    assert!(report.removed_manifests.is_empty());
    let after = all_paths(&store).await;
    let expected: Vec<String> = before
        .into_iter()
        .filter(|p| !removed.contains(p))
        .collect();
    assert_eq!(after, expected);
    assert!(after.contains(&extra[2]), "newer load untouched");
    assert!(after.contains(&l.data_path(A, "1-0").to_string()));
    assert_eq!(list_load_ids(&store, &l).await.unwrap(), vec![A, B, C]);
}

#[tokio::test]
async fn incremental_cleanup_stops_on_a_broken_manifest() {
    let store = InMemory::new();
    let l = layout();
    let c = manifest(C, LoadType::Incremental, &["0-0"]);
    let extra = populate(&store, &c, LoadType::Incremental).await;
    store
        .put(&l.manifest_path(B), PutPayload::from_static(b"[]"))
        .await
        .unwrap();
    let before = all_paths(&store).await;
    let m = cleanup(&store, &l, &c).await.unwrap_err().to_string();
    assert!(m.contains(&l.manifest_path(B).to_string()), "{m}");
    assert_eq!(all_paths(&store).await, before);
    assert!(before.contains(&extra[0]));
}

#[test]
fn schema_fields_use_arrow_display() {
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("amount", DataType::Decimal128(38, 9), true),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
    ]);
    let f = schema_fields(&schema);
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].data_type, "Int64");
    assert!(!f[0].nullable);
    assert_eq!(f[1].data_type, "Decimal128(38, 9)");
    assert!(
        f[2].data_type.starts_with("Timestamp("),
        "{}",
        f[2].data_type
    );
    assert!(f[2].nullable);
}

#[tokio::test]
async fn a_second_commit_of_the_same_sequence_is_refused_and_its_files_tidied_later() {
    let store = InMemory::new();
    let l = layout().for_job("orders_job");
    let mut first = manifest(B, LoadType::Incremental, &["0-0"]);
    (first.seq, first.worker) = (3, Some("w1".into()));
    // A stale worker planned from the same head (load 2) and wrote its files meanwhile.
    let stale_file = put_data(&store, A, "0-0").await;
    let mut stale = manifest(A, LoadType::Incremental, &["0-0"]);
    (stale.seq, stale.worker) = (3, Some("w2".into()));
    write(&store, &l, &first).await.unwrap();
    let err = write(&store, &l, &stale).await.unwrap_err().to_string();
    assert!(
        err.contains("committed first by worker w1") && err.contains("s000000000003.orders_job"),
        "{err}"
    );
    // A retried request of the winner is not a conflict.
    write(&store, &l, &first).await.unwrap();
    assert_eq!(latest(&store, &l, "orders_job").await.unwrap(), Some(first));
    // The job's next successful run removes the refused load's files.
    let report = remove_leftovers(&store, &l, "orders_job", C).await.unwrap();
    assert_eq!(report.removed_files, vec![stale_file]);
}

#[tokio::test]
async fn sequenced_manifests_come_after_manifests_named_by_load_id() {
    let store = InMemory::new();
    let l = layout().for_job("orders_job");
    let old = manifest(C, LoadType::Incremental, &["0-0"]);
    let mut new = manifest(A, LoadType::Incremental, &["0-1"]);
    new.seq = 1;
    write(&store, &l, &old).await.unwrap();
    write(&store, &l, &new).await.unwrap();
    assert_eq!(
        list_load_ids(&store, &l).await.unwrap(),
        vec![C.to_string(), "s000000000001.orders_job".to_string()]
    );
    assert_eq!(latest(&store, &l, "orders_job").await.unwrap(), Some(new));
}
