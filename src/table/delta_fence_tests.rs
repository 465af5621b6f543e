//! Fencing of Delta commits between workers: the txn version (appId = job id) makes a stale
//! worker's commit of a load sequence another worker already committed fail, even for an
//! append that delta-rs would otherwise rebase onto the newer version.

use super::delta::{DeltaTarget, LoadInfo};
use crate::config::LoadType;
use crate::sink::layout::TableLayout;
use crate::sink::parquet::FileEntry;
use crate::sink::store::Destination;
use arrow::datatypes::{DataType, Field, Schema};
use chrono::Utc;
use object_store::{ObjectStoreExt, PutPayload};

fn info(seq: i64, load_id: &str) -> LoadInfo {
    LoadInfo {
        job_id: "orders".into(),
        seq,
        load_id: load_id.into(),
        load_type: LoadType::Incremental,
        source: "db".into(),
        table: "orders".into(),
        window: None,
        boundary_keys: Vec::new(),
        rows: 1,
        files: 1,
        started_at: Utc::now(),
        finished_at: Utc::now(),
        schema: None,
        boundary_columns: None,
    }
}

fn file(layout: &TableLayout, load_id: &str) -> Vec<FileEntry> {
    vec![FileEntry {
        path: layout.data_path(load_id, "0-0").to_string(),
        rows: 1,
        bytes: 10,
        stats: None,
    }]
}

#[tokio::test]
async fn a_stale_append_of_a_committed_sequence_fails() {
    let dir = tempfile::tempdir().unwrap();
    let dest = Destination::Local {
        name: "lake".into(),
        root: dir.path().to_path_buf(),
        compression: crate::sink::compression::default_compression(),
    };
    let store = dest.store("raw").unwrap();
    let layout = TableLayout::new("lake", "db", "orders").for_job("orders");
    let schema = Schema::new(vec![Field::new("id", DataType::Int64, true)]);
    let open = || DeltaTarget::open(&dest, "raw", store.clone(), &layout);
    let (l1, l2, l3) = (
        "20260101T000000.000000Z",
        "20260102T000000.000000Z",
        "20260102T000001.000000Z",
    );
    let mut first = open().await.unwrap();
    first
        .commit(
            &info(1, l1),
            &schema,
            &Default::default(),
            &file(&layout, l1),
            false,
        )
        .await
        .unwrap();
    // Two workers read the table at version 0, both plan load 2.
    let mut a = open().await.unwrap();
    let mut stale = open().await.unwrap();
    assert_eq!(
        a.commit(
            &info(2, l2),
            &schema,
            &Default::default(),
            &file(&layout, l2),
            false
        )
        .await
        .unwrap(),
        1
    );
    let err = stale
        .commit(
            &info(2, l3),
            &schema,
            &Default::default(),
            &file(&layout, l3),
            false,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("another writer changed the table") && err.contains("Concurrent transaction"),
        "{err}"
    );
    let now = open().await.unwrap();
    assert_eq!(now.version(), Some(1), "the stale commit added no version");
    let head = now.head("orders").await.unwrap().unwrap();
    assert_eq!(
        (head.seq, head.info.map(|i| i.load_id)),
        (2, Some(l2.to_string()))
    );
    // The data files exist; the stale load's is tidied after the job's next commit.
    for l in [l1, l2, l3] {
        let path = object_store::path::Path::from(file(&layout, l)[0].path.as_str());
        store
            .put(&path, PutPayload::from_static(b"PAR1"))
            .await
            .unwrap();
    }
    let l4 = "20260103T000000.000000Z";
    let mut next = open().await.unwrap();
    next.commit(
        &info(3, l4),
        &schema,
        &Default::default(),
        &file(&layout, l4),
        false,
    )
    .await
    .unwrap();
    let committed = crate::table::tidy::committed_load_ids(&next).await.unwrap();
    let leftovers = crate::table::tidy::Leftovers {
        layout: &layout,
        job_id: "orders",
        until: l4,
        committed: &committed,
    };
    let removed = crate::table::tidy::remove_leftovers(&next, store.as_ref(), &leftovers)
        .await
        .unwrap();
    assert_eq!(removed, vec![file(&layout, l3)[0].path.clone()]);
    for l in [l1, l2] {
        let path = object_store::path::Path::from(file(&layout, l)[0].path.as_str());
        assert!(
            store.head(&path).await.is_ok(),
            "{l} is committed and stays"
        );
    }
}
