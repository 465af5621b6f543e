//! Two writers of one Delta table on the local folder: a MERGE whose snapshot is stale fails
//! with [`DeltaError::Conflict`] naming the table, and nothing of it is applied.

use crate::config::LoadType;
use crate::sink::layout::TableLayout;
use crate::sink::parquet::{ChunkWriter, WriterOptions};
use crate::sink::store::Destination;
use crate::table::delta::{DeltaError, DeltaTarget, LoadInfo};
use crate::table::delta_merge::MergeLoad;
use crate::table::delta_schema::SchemaPlan;
use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::Utc;
use std::sync::Arc;

struct Fixture {
    dest: Destination,
    store: Arc<dyn object_store::ObjectStore>,
    layout: TableLayout,
    schema: SchemaRef,
}

impl Fixture {
    fn new(root: &std::path::Path) -> Fixture {
        let dest = Destination::Local {
            name: "out".into(),
            root: root.to_path_buf(),
            compression: crate::sink::compression::default_compression(),
        };
        let store = dest.store("c").unwrap();
        Fixture {
            dest,
            store,
            layout: TableLayout::new("f", "s", "t").for_job("j"),
            schema: Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int64, false),
                Field::new("v", DataType::Utf8, true),
                Field::new("at", DataType::Int64, false),
            ])),
        }
    }

    async fn open(&self) -> DeltaTarget {
        DeltaTarget::open(&self.dest, "c", self.store.clone(), &self.layout)
            .await
            .unwrap()
    }

    /// Stage rows `ids` (value `tag`, cursor `at`) as load `seq`; its LoadInfo.
    async fn stage(&self, seq: i64, ids: &[i64], tag: &str, at: i64) -> LoadInfo {
        let load_id = format!("20260101T00000{seq}.000000Z");
        let batch = RecordBatch::try_new(
            self.schema.clone(),
            vec![
                Arc::new(Int64Array::from(ids.to_vec())),
                Arc::new(StringArray::from(vec![tag; ids.len()])),
                Arc::new(Int64Array::from(vec![at; ids.len()])),
            ],
        )
        .unwrap();
        let mut w = ChunkWriter::new(
            self.store.clone(),
            self.layout.staging(&load_id),
            load_id.clone(),
            0,
            self.schema.clone(),
            WriterOptions::default(),
        );
        w.write(&batch).await.unwrap();
        let files = w.finish().await.unwrap();
        LoadInfo {
            job_id: "j".into(),
            seq,
            load_id,
            load_type: LoadType::Incremental,
            source: "s".into(),
            table: "t".into(),
            window: None,
            boundary_keys: Vec::new(),
            rows: ids.len() as u64,
            files: files.len(),
            started_at: Utc::now(),
            finished_at: Utc::now(),
            schema: None,
            boundary_columns: None,
        }
    }

    fn load<'a>(
        &self,
        info: &'a LoadInfo,
        columns: &'a SchemaPlan,
        keys: &'a [String],
    ) -> MergeLoad<'a> {
        MergeLoad {
            info,
            schema: self.schema.clone(),
            columns,
            keys,
            cursor: "at",
            replace: false,
        }
    }
}

#[tokio::test]
async fn a_merge_on_a_stale_snapshot_fails_as_a_conflict_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture::new(dir.path());
    let (columns, keys) = (SchemaPlan::default(), vec!["id".to_string()]);
    let first = f.stage(1, &[1, 2, 3], "a", 1).await;
    let mut creator = f.open().await;
    assert_eq!(
        creator
            .merge(f.load(&first, &columns, &keys))
            .await
            .unwrap(),
        0
    );

    // Two writers read version 0; the first merge wins.
    let mut winner = f.open().await;
    let mut loser = f.open().await;
    let second = f.stage(2, &[2, 4], "b", 2).await;
    assert_eq!(
        winner
            .merge(f.load(&second, &columns, &keys))
            .await
            .unwrap(),
        1
    );
    let third = f.stage(3, &[3, 5], "c", 3).await;
    let e = loser
        .merge(f.load(&third, &columns, &keys))
        .await
        .unwrap_err();
    match &e {
        DeltaError::Conflict { table, .. } => assert_eq!(table, "c/f/s_t"),
        other => panic!("not a conflict: {other}"),
    }
    assert!(e.to_string().contains("nothing was committed"), "{e}");
    let after = f.open().await;
    assert_eq!(
        after.version(),
        Some(1),
        "the losing merge added no version"
    );
    let head = after.head("j").await.unwrap().unwrap();
    assert_eq!(head.seq, 2);
}
