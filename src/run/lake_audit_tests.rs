use super::*;
use crate::config::LoadType;
use object_store::memory::InMemory;

fn folder() -> Path {
    audit_folder(&Path::from("lake/db_orders"), "orders")
}

/// A record of `status` ending `days_ago` days ago, for load `load_id`, stored under its name.
async fn put(
    store: &InMemory,
    days_ago: i64,
    status: AuditStatus,
    load_id: Option<&str>,
) -> (Path, AuditRecord) {
    let end = Utc::now() - TimeDelta::days(days_ago);
    let record = AuditRecord {
        run_id: "run".into(),
        job_id: "orders".into(),
        load_id: load_id.map(str::to_string),
        status,
        load_type: LoadType::Incremental,
        rows_extracted: 1,
        rows_written: 1,
        files: 1,
        bytes: 1,
        watermark_from: None,
        watermark_to: None,
        duration_seconds: 1.0,
        start_time: end,
        end_time: end,
        error: None,
        schema_change: None,
        reason: None,
        worker: Some("vm1".into()),
    };
    let path = folder().join(format!("{}.vm1.json", new_load_id(end)));
    let json = serde_json::to_vec(&record).unwrap();
    store.put(&path, PutPayload::from(json)).await.unwrap();
    (path, record)
}

async fn names(store: &InMemory) -> Vec<Path> {
    let mut all: Vec<Path> = store
        .list(Some(&folder()))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    all.sort();
    all
}

#[test]
fn the_time_of_a_record_is_read_from_its_name() {
    let t = record_time(&Path::from(
        "x/_ingest_audit/j/20261122T020358.215282Z.vm-1.2.json",
    ));
    assert_eq!(
        t.map(|t| t.to_rfc3339()),
        Some("2026-11-22T02:03:58.215282+00:00".to_string())
    );
    assert_eq!(record_time(&Path::from("x/other.json")), None);
}

#[tokio::test]
async fn old_records_go_but_the_last_committed_loads_record_stays() {
    let store = InMemory::new();
    // The job's last committed load is 200 days old; later runs failed or found nothing new.
    let (kept, _) = put(&store, 200, AuditStatus::Success, Some("L2")).await;
    put(&store, 300, AuditStatus::Success, Some("L1")).await;
    put(&store, 150, AuditStatus::Failed, None).await;
    put(&store, 120, AuditStatus::Success, None).await;
    let (recent, _) = put(&store, 10, AuditStatus::Skipped, None).await;
    let cutoff = Utc::now() - TimeDelta::days(90);
    let finished = Utc::now() - TimeDelta::days(200) - TimeDelta::seconds(5);
    let removed = prune(&store, &folder(), cutoff, Some(("L2", finished)))
        .await
        .unwrap();
    assert_eq!(removed, 3);
    assert_eq!(names(&store).await, vec![kept, recent]);
    // Pruning again removes nothing; without a load to keep, the old record goes too.
    assert_eq!(
        prune(&store, &folder(), cutoff, Some(("L2", finished)))
            .await
            .unwrap(),
        0
    );
    assert_eq!(prune(&store, &folder(), cutoff, None).await.unwrap(), 1);
}

#[tokio::test]
async fn the_record_of_a_load_is_found_among_those_written_since() {
    let store = InMemory::new();
    put(&store, 30, AuditStatus::Success, Some("L1")).await;
    let (_, want) = put(&store, 20, AuditStatus::Success, Some("L2")).await;
    put(&store, 19, AuditStatus::Failed, Some("L2")).await;
    put(&store, 1, AuditStatus::Success, Some("L3")).await;
    let finished = want.end_time - TimeDelta::seconds(3);
    let found = find_load(&store, &folder(), "L2", finished).await.unwrap();
    assert_eq!(found, Some(want));
    // A record written before the load finished is not read: L1 is not found that way.
    let later = Utc::now() - TimeDelta::days(25);
    assert_eq!(
        find_load(&store, &folder(), "L1", later).await.unwrap(),
        None
    );
}
