//! `query_timeout_secs`: a statement running longer fails its job with a message naming the
//! timeout and the SQL, and is not retried (it would run as long again).

use crate::support;

fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn mysql_url() -> String {
    std::env::var("INGEST_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

const HEADER: &[&str] = &[
    "job_id",
    "source_type",
    "source_name",
    "source_query",
    "load_type",
    "enabled",
    "target_container",
    "target_folder_path",
    "destination",
];

/// Run one FULL `source_query` job on a source with `query_timeout_secs = 1`.
fn run_slow_query(source_type: &str, url: &str, query: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.db]\ntype = \"{source_type}\"\nurl = \"{url}\"\nquery_timeout_secs = 1\n\
             [destinations.output]\npath = \"out\"\n"
        ),
    )
    .unwrap();
    let row = vec![
        "slow",
        source_type,
        "db",
        query,
        "FULL",
        "Y",
        "raw",
        "lake",
        "output",
    ];
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &[row]);
    let started = std::time::Instant::now();
    let out = support::ingest(
        dir.path(),
        &["run", "--config", "jobs.xlsx", "--retry-backoff", "0.1"],
    );
    let text = support::text(&out);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "stopped at the timeout, not after the query: {text}"
    );
    assert!(
        support::parquet_files(&dir.path().join("out")).is_empty(),
        "nothing of the failed load stays: {text}"
    );
    out
}

fn assert_timed_out(out: &std::process::Output, sql_part: &str) {
    let text = support::text(out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("query_timeout_secs"), "{text}");
    assert!(text.contains(sql_part), "the SQL is named: {text}");
    assert!(
        !text.contains("retrying"),
        "a timeout is not retried: {text}"
    );
}

#[test]
fn postgres_statement_longer_than_query_timeout_fails_naming_it() {
    if !support::admin_sql("PostgreSQL", &pg_url(), "SELECT 1") {
        return;
    }
    let query = "SELECT g AS id FROM generate_series(1, 4) g WHERE pg_sleep(1) IS NOT NULL";
    let out = run_slow_query("postgresql", &pg_url(), query);
    assert_timed_out(&out, "pg_sleep(1)");
}

#[test]
fn mariadb_statement_longer_than_query_timeout_fails_naming_it() {
    if !support::admin_sql("MariaDB", &mysql_url(), "SELECT 1") {
        return;
    }
    let query = "SELECT 1 AS id, SLEEP(4) AS slept";
    let out = run_slow_query("mysql", &mysql_url(), query);
    assert_timed_out(&out, "SLEEP(4)");
}
