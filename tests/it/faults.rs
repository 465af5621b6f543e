//! Transient faults: a source connection terminated mid-extract is retried from the chunk's
//! start into fresh files; every row lands exactly once.

use crate::support::{self, HEADER, job_row};
use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use sqlx::{Connection, Executor, PgConnection};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

const ROWS: i64 = 1_500_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_source_connection_is_retried() {
    let Some((dir, out)) = run_and_terminate("fault_retry", &["--retry-backoff", "0.2"]).await
    else {
        return;
    };
    let text = support::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("retrying the chunk from its start"),
        "the retry is logged: {text}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary[0]["rows"], ROWS);
    let mut ids: Vec<i64> = support::parquet_files(&dir.path().join("out"))
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1..=ROWS).collect::<Vec<_>>(),
        "every row exactly once, no file of the failed attempt left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_the_job_fails_cleanly() {
    let Some((dir, out)) = run_and_terminate("fault_noretry", &["--max-retries", "0"]).await else {
        return;
    };
    let text = support::text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("connection lost"), "{text}");
    assert!(
        support::parquet_files(&dir.path().join("out")).is_empty(),
        "nothing of the failed load stays"
    );
    assert!(
        !dir.path()
            .join("metadata/state/fault_noretry.json")
            .exists()
    );
}

/// Run a FULL job over a 1.5 M-row table and terminate its COPY backend once it streams.
async fn run_and_terminate(
    job: &str,
    args: &[&str],
) -> Option<(tempfile::TempDir, std::process::Output)> {
    let table = format!("it_{job}");
    let mut admin = match PgConnection::connect(&pg_url()).await {
        Ok(c) => c,
        Err(e) => {
            support::service_missing("PostgreSQL", &e.to_string());
            return None;
        }
    };
    admin
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS {table};
             CREATE TABLE {table} (id bigint PRIMARY KEY, note text, amount numeric(12,2));
             INSERT INTO {table} SELECT g, 'note ' || g, g / 100.0 FROM generate_series(1, {ROWS}) g;"
        ))))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.pg]\ntype = \"postgresql\"\nurl = \"{}\"\n[destinations.output]\npath = \"out\"\n",
            pg_url()
        ),
    )
    .unwrap();
    let row = job_row(
        job,
        "PostgreSQL",
        "pg",
        "public",
        &table,
        "FULL",
        "",
        "id",
        "50000",
        "1",
    );
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &[row]);
    let child = Command::new(support::bin())
        .current_dir(dir.path())
        .args(["run", "--config", "jobs.xlsx", "--output", "json"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Terminate the backend serving the COPY once it streams.
    let started = Instant::now();
    let mut terminated = 0i64;
    let pattern = format!("COPY (%{table}%");
    while terminated == 0 && started.elapsed() < Duration::from_secs(60) {
        terminated = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()",
        )
        .bind(&pattern)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        terminated,
        1,
        "the COPY backend was not found: {}",
        support::text(&out)
    );
    Some((dir, out))
}

#[test]
fn retries_can_be_switched_off() {
    let policy = ingest::run::RetryPolicy {
        max_retries: 0,
        backoff: Duration::from_secs(1),
    };
    assert_eq!(policy.delay(1), Duration::from_secs(1));
    let policy = ingest::run::RetryPolicy {
        max_retries: 3,
        backoff: Duration::from_millis(500),
    };
    assert_eq!(policy.delay(3), Duration::from_secs(2));
}
