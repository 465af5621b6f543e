//! Two jobs' loads in one table folder: a job's cleanup touches only its own.

use super::*;
use crate::sink::manifest::{MANIFEST_VERSION, latest, write};
use crate::sink::parquet::FileEntry;
use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

const OLD: &str = "20260101T000000.000000Z";
const LEFT: &str = "20260101T120000.000000Z";
const OTHER: &str = "20260102T000000.000000Z";
const INFLIGHT: &str = "20260102T060000.000000Z";
const NOW: &str = "20260103T000000.000000Z";
const OTHER_NEWER: &str = "20260104T000000.000000Z";

const SALES: &str = "sales_orders";
const ARCHIVE: &str = "archive_orders";

fn layout(job: Option<&str>) -> TableLayout {
    let l = TableLayout::new("raw", "db", "orders");
    match job {
        Some(j) => l.for_job(j),
        None => l,
    }
}

fn manifest(job: &str, load_id: &str, load_type: LoadType, file_ids: &[&str]) -> Manifest {
    let files: Vec<FileEntry> = file_ids
        .iter()
        .map(|f| FileEntry {
            path: layout(Some(job)).data_path(load_id, f).to_string(),
            rows: 1,
            bytes: 3,
            stats: None,
        })
        .collect();
    Manifest {
        version: MANIFEST_VERSION,
        load_id: load_id.into(),
        job_id: job.into(),
        load_type,
        source: "db".into(),
        table: "orders".into(),
        window: None,
        boundary_keys: Vec::new(),
        boundary_columns: None,
        schema_change: None,
        seq: 0,
        worker: None,
        run_id: None,
        rows: files.len() as u64,
        files,
        schema: Vec::new(),
        started_at: Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap(),
        finished_at: Utc.with_ymd_and_hms(2026, 1, 3, 0, 1, 0).unwrap(),
    }
}

async fn put(store: &InMemory, path: &Path) -> String {
    store
        .put(path, PutPayload::from_static(b"PAR"))
        .await
        .unwrap();
    path.to_string()
}

async fn commit(store: &InMemory, m: &Manifest) {
    for f in &m.files {
        put(store, &Path::from(f.path.as_str())).await;
    }
    write(store, &layout(None), m).await.unwrap();
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

/// The folder of the issue: `archive_orders` committed a load (and has a leftover and a load
/// in flight); `sales_orders` has an older load, a leftover, and now commits `sales_now`.
/// Returns the paths that belong to `archive_orders` or to nobody known.
async fn shared_folder(store: &InMemory, sales_now: &Manifest) -> Vec<String> {
    let archive = manifest(ARCHIVE, OTHER, LoadType::Full, &["0-0"]);
    commit(store, &archive).await;
    commit(store, &manifest(SALES, OLD, sales_now.load_type, &["0-0"])).await;
    commit(store, sales_now).await;
    let mut others = vec![
        layout(None).manifest_path(OTHER).to_string(),
        archive.files[0].path.clone(),
        put(store, &layout(Some(ARCHIVE)).data_path(LEFT, "0-0")).await,
        put(store, &layout(Some(ARCHIVE)).data_path(INFLIGHT, "1-0")).await,
        // Named before file names carried a job id: whose it is cannot be told.
        put(store, &layout(None).data_path(LEFT, "5-0")).await,
    ];
    others.sort();
    others
}

#[tokio::test]
async fn full_retirement_never_touches_another_jobs_manifest_or_files() {
    let store = InMemory::new();
    let now = manifest(SALES, NOW, LoadType::Full, &["0-0", "1-0"]);
    let others = shared_folder(&store, &now).await;
    let sales_left = put(&store, &layout(Some(SALES)).data_path(LEFT, "0-0")).await;
    let report = cleanup(&store, &layout(Some(SALES)), &now).await.unwrap();

    let mut removed = report.removed_files.clone();
    removed.sort();
    let mut expected = vec![
        layout(Some(SALES)).data_path(OLD, "0-0").to_string(),
        sales_left,
    ];
    expected.sort();
    assert_eq!(removed, expected);
    assert_eq!(
        report.removed_manifests,
        vec![layout(None).manifest_path(OLD).to_string()]
    );
    assert_eq!(
        report.foreign_manifests,
        vec![(
            ARCHIVE.to_string(),
            layout(None).manifest_path(OTHER).to_string()
        )]
    );
    assert_eq!(report.foreign_jobs(), vec![ARCHIVE]);
    let mut left = others.clone();
    left.extend(now.files.iter().map(|f| f.path.clone()));
    left.push(layout(None).manifest_path(NOW).to_string());
    left.sort();
    assert_eq!(all_paths(&store).await, left);
}

#[tokio::test]
async fn incremental_leftovers_are_only_this_jobs() {
    let store = InMemory::new();
    let now = manifest(SALES, NOW, LoadType::Incremental, &["0-0"]);
    let others = shared_folder(&store, &now).await;
    let sales_left = put(&store, &layout(Some(SALES)).data_path(LEFT, "3-0")).await;
    let before = all_paths(&store).await;
    let report = remove_leftovers(&store, &layout(Some(SALES)), SALES, NOW)
        .await
        .unwrap();
    assert_eq!(report.removed_files, vec![sales_left.clone()]);
    assert!(report.removed_manifests.is_empty());
    assert_eq!(report.foreign_jobs(), vec![ARCHIVE]);
    let after = all_paths(&store).await;
    let expected: Vec<String> = before.into_iter().filter(|p| *p != sales_left).collect();
    assert_eq!(after, expected);
    assert!(others.iter().all(|p| after.contains(p)));
    // The same through `cleanup` of an incremental commit.
    let report = cleanup(&store, &layout(Some(SALES)), &now).await.unwrap();
    assert!(report.removed_files.is_empty(), "{report:?}");
    assert_eq!(all_paths(&store).await, after);
}

#[tokio::test]
async fn alone_in_its_folder_a_job_also_removes_files_named_without_a_job_id() {
    let store = InMemory::new();
    let now = manifest(SALES, NOW, LoadType::Full, &["0-0"]);
    commit(&store, &now).await;
    let legacy = put(&store, &layout(None).data_path(LEFT, "0-0")).await;
    let report = cleanup(&store, &layout(Some(SALES)), &now).await.unwrap();
    assert_eq!(report.removed_files, vec![legacy]);
    assert!(report.foreign_manifests.is_empty());
}

#[tokio::test]
async fn latest_is_the_newest_load_of_this_job() {
    let store = InMemory::new();
    let now = manifest(SALES, NOW, LoadType::Full, &["0-0"]);
    shared_folder(&store, &now).await;
    commit(
        &store,
        &manifest(ARCHIVE, OTHER_NEWER, LoadType::Full, &["0-0"]),
    )
    .await;
    let l = layout(None);
    assert_eq!(latest(&store, &l, SALES).await.unwrap(), Some(now.clone()));
    let mixed_case = latest(&store, &l, "SALES_ORDERS").await.unwrap();
    assert_eq!(mixed_case.map(|m| m.load_id), Some(NOW.to_string()));
    let archive = latest(&store, &l, ARCHIVE).await.unwrap();
    assert_eq!(archive.map(|m| m.load_id), Some(OTHER_NEWER.to_string()));
    assert_eq!(latest(&store, &l, "nobody").await.unwrap(), None);
}

#[tokio::test]
async fn a_commit_never_replaces_another_jobs_manifest() {
    let store = InMemory::new();
    let l = layout(None);
    let archive = manifest(ARCHIVE, NOW, LoadType::Full, &["0-0"]);
    commit(&store, &archive).await;
    let sales = manifest(SALES, NOW, LoadType::Full, &["0-0"]);
    let e = write(&store, &l, &sales).await.unwrap_err().to_string();
    assert!(e.contains(ARCHIVE) && e.contains("two jobs"), "{e}");
    assert_eq!(
        crate::sink::manifest::read(&store, &l, NOW).await.unwrap(),
        archive
    );
    // Writing the same manifest again (a retried request that had succeeded) is fine.
    write(&store, &l, &archive).await.unwrap();
}

#[test]
fn staging_files_are_owned_by_name() {
    let l = layout(Some(SALES));
    let mine = format!("{NOW}.{SALES}.0-0.parquet#1");
    let theirs = format!("{NOW}.{ARCHIVE}.0-0.parquet#1");
    let legacy = format!("{NOW}.0-0.parquet#2");
    let manifest = format!("{NOW}.json#1");
    for alone in [true, false] {
        assert!(owns_staging(&l, SALES, alone, &mine));
        assert!(!owns_staging(&l, SALES, alone, &theirs));
        assert_eq!(owns_staging(&l, SALES, alone, &legacy), alone);
        assert_eq!(owns_staging(&l, SALES, alone, &manifest), alone);
        assert!(!owns_staging(&l, SALES, alone, "notes.txt#1"));
        assert!(!owns_staging(&l, SALES, alone, &format!("{NOW}.json")));
    }
}
