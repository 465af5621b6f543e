use super::*;
use crate::config::SourceType;
use arrow::datatypes::Field;
use chrono::Utc;

fn job(keys: &[&str], policy: SchemaChange) -> Job {
    Job {
        job_id: "j".into(),
        row: 2,
        source_type: SourceType::PostgreSql,
        source_name: "db".into(),
        schema_name: None,
        table_name: Some("t".into()),
        source_query: None,
        load_type: LoadType::Incremental,
        enabled: true,
        target_container: "raw".into(),
        target_folder_path: "x".into(),
        watermark_column: Some("c".into()),
        last_watermark: None,
        primary_key: keys.iter().map(|k| k.to_string()).collect(),
        partition_column: None,
        query_filter: None,
        chunk_size: 10,
        parallelism: 1,
        destination: "lake".into(),
        target_format: crate::config::TargetFormat::Parquet,
        write_disposition: crate::config::WriteDisposition::Append,
        schema_change: policy,
        depends_on: Vec::new(),
        variables: Default::default(),
        api: None,
    }
}

fn schema(cols: &[(&str, DataType)]) -> Schema {
    Schema::new(
        cols.iter()
            .map(|(n, t)| Field::new(*n, t.clone(), true))
            .collect::<Vec<_>>(),
    )
}

fn previous(cols: &[(&str, DataType)]) -> Manifest {
    Manifest {
        version: manifest::MANIFEST_VERSION,
        load_id: "20260101T000000.000000Z".into(),
        job_id: "j".into(),
        load_type: LoadType::Incremental,
        source: "db".into(),
        table: "t".into(),
        window: None,
        boundary_keys: Vec::new(),
        files: Vec::new(),
        rows: 1,
        schema: manifest::schema_fields(&schema(cols)),
        started_at: Utc::now(),
        finished_at: Utc::now(),
        boundary_columns: None,
        schema_change: None,
        seq: 0,
        worker: None,
        run_id: None,
    }
}

fn base() -> Vec<(&'static str, DataType)> {
    vec![
        ("id", DataType::Int32),
        ("c", DataType::Int64),
        ("amount", DataType::Decimal128(10, 2)),
        ("note", DataType::Utf8),
    ]
}

#[test]
fn evolve_loads_added_dropped_and_widened_columns() {
    let prev = previous(&base());
    let now = schema(&[
        ("id", DataType::Int64),
        ("c", DataType::Int64),
        ("amount", DataType::Decimal128(12, 2)),
        ("extra", DataType::Utf8),
    ]);
    let j = job(&[], SchemaChange::Evolve);
    let diff = check(&j, LoadType::Incremental, &prev, &now)
        .unwrap()
        .expect("a difference");
    assert_eq!(diff.added.len(), 1);
    assert_eq!(diff.dropped[0].name, "note");
    assert_eq!(diff.changed.len(), 2);
    assert!(diff.changed.iter().all(|c| c.widening));
    assert_eq!(
        check(&j, LoadType::Incremental, &prev, &schema(&base())).unwrap(),
        None
    );
}

#[test]
fn evolve_refuses_a_narrowing_change_naming_column_and_types() {
    let prev = previous(&base());
    let mut cols = base();
    cols[3].1 = DataType::Int32;
    let j = job(&[], SchemaChange::Evolve);
    let e = check(&j, LoadType::Incremental, &prev, &schema(&cols))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("column `note` changed type from Utf8 to Int32"),
        "{e}"
    );
    assert!(e.contains("--full-refresh"), "{e}");
    assert!(e.contains(&prev.load_id), "{e}");
    // A FULL load replaces the table: the change is reported, not refused.
    let diff = check(&j, LoadType::Full, &prev, &schema(&cols)).unwrap();
    assert_eq!(diff.map(|d| d.changed.len()), Some(1));
}

#[test]
fn fail_refuses_any_change_of_columns() {
    let prev = previous(&base());
    let mut cols = base();
    cols.push(("extra", DataType::Int32));
    let j = job(&[], SchemaChange::Fail);
    let e = check(&j, LoadType::Incremental, &prev, &schema(&cols))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("schema_change = fail"), "{e}");
    assert!(
        e.contains("added `extra` (Int32)") && e.contains("--full-refresh"),
        "{e}"
    );
    for full in [LoadType::Full, LoadType::Incremental] {
        let mut widened = base();
        widened[0].1 = DataType::Int64;
        assert!(check(&j, full, &prev, &schema(&widened)).is_err());
    }
    // Nullability alone is reported, never refused.
    let mut relaxed = manifest::schema_fields(&schema(&base()));
    relaxed[0].nullable = false;
    let mut prev_not_null = prev.clone();
    prev_not_null.schema = relaxed;
    let diff = check(&j, LoadType::Incremental, &prev_not_null, &schema(&base())).unwrap();
    assert_eq!(diff.map(|d| d.nullability.len()), Some(1));
}

#[test]
fn a_dropped_key_column_fails_clearly() {
    let prev = previous(&base());
    let now = schema(&[("c", DataType::Int64), ("note", DataType::Utf8)]);
    let e = check(
        &job(&["ID"], SchemaChange::Evolve),
        LoadType::Incremental,
        &prev,
        &now,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("primary_key column `id` was dropped"), "{e}");
}

#[test]
fn boundary_columns_are_the_keys_else_every_column() {
    let s = schema(&base());
    let keyed = boundary_columns(&job(&["ID", "c"], SchemaChange::Evolve), &s).unwrap();
    assert_eq!(keyed, ["id", "c"]);
    let all = boundary_columns(&job(&[], SchemaChange::Evolve), &s).unwrap();
    assert_eq!(all, ["id", "c", "amount", "note"]);
}
