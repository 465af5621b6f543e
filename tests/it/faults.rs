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

/// SIGKILL at pseudo-random moments of incremental PostgreSQL runs (parallelism 2) while another
/// connection keeps inserting; then a clean run. Committed loads hold every source row exactly
/// once, state files always parse, and nothing uncommitted is left.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_incremental_runs_under_inserts_lose_and_duplicate_nothing() {
    let mut admin = match PgConnection::connect(&pg_url()).await {
        Ok(c) => c,
        Err(e) => return support::service_missing("PostgreSQL", &e.to_string()),
    };
    admin
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(
            "DROP TABLE IF EXISTS it_crash_orders;
             CREATE TABLE it_crash_orders (id bigserial PRIMARY KEY, v text NOT NULL);
             INSERT INTO it_crash_orders (v) SELECT 'row ' || g FROM generate_series(1, 300000) g;"
                .to_string(),
        )))
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
        "crash_incr",
        "PostgreSQL",
        "pg",
        "public",
        "it_crash_orders",
        "INCREMENTAL",
        "id",
        "id",
        "20000",
        "2",
    );
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &[row]);
    // One serial inserter: ids become visible in order, so an id window never misses a row.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inserter = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut c = PgConnection::connect(&pg_url()).await.unwrap();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                sqlx::query("INSERT INTO it_crash_orders (v) SELECT 'late ' || g FROM generate_series(1, 200) g")
                    .execute(&mut c)
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let table_dir = dir.path().join("out/raw/lake/pg_it_crash_orders");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut killed_while_running = 0;
    for _ in 0..10 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(100 + seed % 1500);
        let mut child = Command::new(support::bin())
            .current_dir(dir.path())
            .args(["run", "--config", "jobs.xlsx"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(delay).await;
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let state = dir.path().join("metadata/state/crash_incr.json");
        if state.exists() {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&state).unwrap()).expect("state parses");
            assert_eq!(v["job_id"], "crash_incr");
        }
    }
    assert!(
        killed_while_running >= 5,
        "only {killed_while_running} of 10 kills hit a running process"
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    inserter.await.unwrap();
    let out = support::ingest(dir.path(), &["run", "--config", "jobs.xlsx"]);
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    let (files, rows) = crate::e2e::committed(&table_dir);
    let mut ids: Vec<i64> = files
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids.len() as u64,
        rows,
        "manifests count what their files hold"
    );
    let source: Vec<i64> = sqlx::query_scalar("SELECT id FROM it_crash_orders ORDER BY id")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert_eq!(
        ids.len(),
        source.len(),
        "every source row in exactly one committed load"
    );
    assert_eq!(ids, source);
    assert_eq!(
        support::parquet_files(&table_dir),
        files,
        "no uncommitted file is left"
    );
}
