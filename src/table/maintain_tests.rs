use super::*;
use crate::config::LoadType;
use crate::sink::layout::TableLayout;
use crate::sink::parquet::FileEntry;
use crate::sink::store::Destination;
use arrow::datatypes::{DataType, Field, Schema};
use chrono::Utc;
use std::collections::HashMap;

fn info(seq: i64) -> LoadInfo {
    LoadInfo {
        job_id: "j".into(),
        seq,
        load_id: format!("20260101T0000{seq:02}.000000Z"),
        load_type: LoadType::Incremental,
        source: "db".into(),
        table: "items".into(),
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

/// Every commit of a load runs delta-rs's post-commit hook: a checkpoint each
/// `delta.checkpointInterval` versions, and the job's head is still found from it.
#[tokio::test]
async fn commits_past_the_checkpoint_interval_write_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let dest = Destination::Local {
        name: "out".into(),
        root: dir.path().to_path_buf(),
        compression: crate::sink::compression::default_compression(),
    };
    let store = dest.store("c").unwrap();
    let layout = TableLayout::new("raw", "db", "items").for_job("j");
    let schema = Schema::new(vec![Field::new("id", DataType::Int64, true)]);
    let open = || DeltaTarget::open(&dest, "c", store.clone(), &layout);
    let file = |seq: i64| FileEntry {
        path: format!("raw/db_items/items/{}.j.0-0.parquet", info(seq).load_id),
        rows: 1,
        bytes: 100,
        stats: None,
    };
    let mut t = open().await.unwrap();
    assert_eq!(
        t.commit(&info(1), &schema, &Default::default(), &[file(1)], false)
            .await
            .unwrap(),
        0
    );
    let props = HashMap::from([("delta.checkpointInterval".to_string(), "5".to_string())]);
    t.table()
        .clone()
        .set_tbl_properties()
        .with_properties(props)
        .await
        .unwrap();
    let mut t = open().await.unwrap();
    for seq in 2..=11 {
        t.commit(
            &info(seq),
            &schema,
            &Default::default(),
            &[file(seq)],
            false,
        )
        .await
        .unwrap();
    }
    assert_eq!(t.version(), Some(11));
    let log = dir.path().join("c/raw/db_items/_delta_log");
    for v in [4, 9] {
        let cp = log.join(format!("{v:020}.checkpoint.parquet"));
        assert!(cp.exists(), "{} missing", cp.display());
    }
    assert!(!log.join(format!("{:020}.checkpoint.parquet", 10)).exists());
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(log.join("_last_checkpoint")).unwrap()).unwrap();
    assert_eq!(last["version"], 9);
    let head = open().await.unwrap().head("j").await.unwrap().unwrap();
    assert_eq!((head.version, head.seq), (11, 11));
    assert_eq!(head.info.unwrap().load_id, info(11).load_id);
}

/// More maintenance commits than the head search reads: each carries the last load's record,
/// so the job still finds its head.
#[tokio::test]
async fn the_head_survives_more_maintenance_commits_than_the_search_reads() {
    use crate::table::delta::CARRIED_METADATA_KEY;
    use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
    use deltalake::protocol::DeltaOperation;
    let dir = tempfile::tempdir().unwrap();
    let dest = Destination::Local {
        name: "out".into(),
        root: dir.path().to_path_buf(),
        compression: crate::sink::compression::default_compression(),
    };
    let store = dest.store("c").unwrap();
    let layout = TableLayout::new("raw", "db", "items").for_job("j");
    let schema = Schema::new(vec![Field::new("id", DataType::Int64, true)]);
    let file = FileEntry {
        path: format!("raw/db_items/items/{}.j.0-0.parquet", info(1).load_id),
        rows: 1,
        bytes: 100,
        stats: None,
    };
    let mut t = DeltaTarget::open(&dest, "c", store.clone(), &layout)
        .await
        .unwrap();
    t.commit(&info(1), &schema, &Default::default(), &[file], false)
        .await
        .unwrap();
    let mut table = t.table().clone();
    let carried = serde_json::to_value(info(1)).unwrap();
    for _ in 0..105 {
        let props = CommitProperties::default()
            .with_metadata([(CARRIED_METADATA_KEY.to_string(), carried.clone())]);
        let operation = DeltaOperation::Optimize {
            predicate: None,
            target_size: 1,
        };
        CommitBuilder::from(props)
            .build(
                Some(table.snapshot().unwrap()),
                table.log_store(),
                operation,
            )
            .await
            .unwrap();
        table.update_state().await.unwrap();
    }
    let t = DeltaTarget::open(&dest, "c", store, &layout).await.unwrap();
    let head = t.head("j").await.unwrap().unwrap();
    assert_eq!((head.version, head.seq), (105, 1));
    assert_eq!(head.info.map(|i| i.load_id), Some(info(1).load_id));
}
