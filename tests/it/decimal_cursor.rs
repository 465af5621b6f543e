//! A decimal column (MariaDB `DECIMAL(20,4)`, like Oracle's `NUMBER` without precision) as
//! watermark and partition column: parallel chunks split its range, every row loads once.

use crate::support;
use arrow::array::AsArray;
use arrow::datatypes::Int64Type;

fn mysql_url() -> String {
    std::env::var("INGEST_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

const HEADER: &[&str] = &[
    "job_id",
    "source_type",
    "source_name",
    "table_name",
    "load_type",
    "enabled",
    "target_container",
    "target_folder_path",
    "watermark_column",
    "primary_key",
    "partition_column",
    "parallelism",
    "destination",
];

fn ids(dir: &std::path::Path) -> Vec<i64> {
    let mut ids: Vec<i64> = support::parquet_files(&dir.join("out"))
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .flat_map(|b| {
            let id = arrow::compute::cast(
                b.column_by_name("id").expect("id"),
                &arrow::datatypes::DataType::Int64,
            )
            .expect("cast");
            id.as_primitive::<Int64Type>().values().to_vec()
        })
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn mariadb_decimal_watermark_and_partition_column_load_each_row_once() {
    let url = mysql_url();
    let setup = "DROP TABLE IF EXISTS it_dec_cursor;
        CREATE TABLE it_dec_cursor (id INT PRIMARY KEY, amt DECIMAL(20,4) NOT NULL, v VARCHAR(5));
        INSERT INTO it_dec_cursor VALUES (1, 0.5, 'a'), (2, 10.25, 'b'), (3, 33.3333, 'c'),
          (4, 99.9999, 'd'), (5, 99.9999, 'e');";
    if !support::admin_sql("MariaDB", &url, setup) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!("[sources.db]\ntype = \"mysql\"\nurl = \"{url}\"\n[destinations.output]\npath = \"out\"\n"),
    )
    .unwrap();
    let row = vec![
        "dec",
        "mysql",
        "db",
        "it_dec_cursor",
        "INCREMENTAL",
        "Y",
        "raw",
        "lake",
        "amt",
        "id",
        "amt",
        "3",
        "output",
    ];
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &[row]);
    let run = || support::ingest(dir.path(), &["run", "--config", "jobs.xlsx"]);
    let out = run();
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(ids(dir.path()), vec![1, 2, 3, 4, 5]);
    let state = std::fs::read_to_string(dir.path().join("metadata/state/dec.json")).unwrap();
    assert!(
        state.contains("\"kind\": \"decimal\"") || state.contains("\"kind\":\"decimal\""),
        "{state}"
    );
    assert!(state.contains("\"99.9999\""), "exact watermark: {state}");
    // One more row at the watermark (boundary) and one past it.
    support::admin_sql(
        "MariaDB",
        &url,
        "INSERT INTO it_dec_cursor VALUES (6, 99.9999, 'f'), (7, 100.0001, 'g');",
    );
    let out = run();
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(
        ids(dir.path()),
        vec![1, 2, 3, 4, 5, 6, 7],
        "each row exactly once"
    );
    support::admin_sql("MariaDB", &url, "DROP TABLE IF EXISTS it_dec_cursor");
}
