//! End to end on the shipped sample (SQLite → local folder): values, incremental windows,
//! full refresh, failures that leave state alone, the lock.

use crate::support::{code, ingest, parquet_files, project_dir, read_parquet, text};
use arrow::array::AsArray;
use arrow::datatypes::{Decimal128Type, Int64Type, TimestampMicrosecondType};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use sqlx::{Connection, Row, SqliteConnection};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// A scratch copy of `samples/`, run from its own working directory.
pub struct Sample {
    /// Holds the folder.
    pub dir: tempfile::TempDir,
}

impl Sample {
    /// Copy the shipped sample.
    pub fn new() -> Sample {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("cfg")).unwrap();
        for f in ["ingestion_config.xlsx", "secrets.toml", "demo.sqlite"] {
            fs::copy(
                project_dir().join("samples").join(f),
                dir.path().join("cfg").join(f),
            )
            .unwrap();
        }
        Sample { dir }
    }
    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    /// `ingest run --config cfg/ingestion_config.xlsx` plus `args`, from the scratch folder.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["run", "--config", "cfg/ingestion_config.xlsx"];
        all.extend_from_slice(args);
        ingest(self.path(), &all)
    }
    /// The orders table's output folder.
    pub fn orders_dir(&self) -> PathBuf {
        self.path().join("cfg/output/raw/demo/demo_orders")
    }
    /// A connection to the scratch demo database.
    pub async fn db(&self) -> SqliteConnection {
        SqliteConnection::connect(&format!(
            "sqlite://{}",
            self.path().join("cfg/demo.sqlite").display()
        ))
        .await
        .unwrap()
    }
    /// The state document of a job.
    pub fn state(&self, job: &str) -> serde_json::Value {
        let raw = fs::read_to_string(
            self.path()
                .join("metadata/state")
                .join(format!("{job}.json")),
        )
        .unwrap();
        serde_json::from_str(&raw).unwrap()
    }
    /// The audit lines of a job.
    pub fn audit(&self, job: &str) -> Vec<serde_json::Value> {
        let raw =
            fs::read_to_string(self.path().join("metadata/audit_log.jsonl")).unwrap_or_default();
        raw.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["job_id"] == job)
            .collect()
    }
}

/// Files listed by the manifests of a table folder, and their total rows.
pub fn committed(table_dir: &Path) -> (Vec<PathBuf>, u64) {
    let container = table_dir.parent().unwrap().parent().unwrap();
    let mut files = Vec::new();
    let mut rows = 0;
    let Ok(entries) = fs::read_dir(table_dir.join("_ingest_loads")) else {
        return (files, 0);
    };
    for e in entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
    {
        let m: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(e.path()).unwrap()).unwrap();
        rows += m["rows"].as_u64().unwrap();
        for f in m["files"].as_array().unwrap() {
            files.push(container.join(f["path"].as_str().unwrap()));
        }
    }
    files.sort();
    (files, rows)
}

/// order_id of every row in these files, sorted.
pub fn order_ids(files: &[PathBuf]) -> Vec<i64> {
    let mut ids: Vec<i64> = files
        .iter()
        .flat_map(|f| read_parquet(f))
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn sample_run_copies_every_value() {
    let s = Sample::new();
    let out = s.run(&[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let (files, rows) = committed(&s.orders_dir());
    assert_eq!(rows, 120_000);
    assert_eq!(
        parquet_files(&s.orders_dir()),
        files,
        "every file on disk is committed"
    );
    // Read the Parquet back and compare with SQLite, row by row.
    let mut parquet: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let opts = FormatOptions::default().with_null("NULL");
    for f in &files {
        for b in read_parquet(f) {
            let ids = b.column(0).as_primitive::<Int64Type>();
            let fmts: Vec<_> = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap())
                .collect();
            for r in 0..b.num_rows() {
                parquet.insert(
                    ids.value(r),
                    fmts.iter().map(|f| f.value(r).to_string()).collect(),
                );
            }
            // Types are exact: decimals keep their scale, timestamps are microseconds.
            assert_eq!(b.column(5).as_primitive::<Decimal128Type>().scale(), 2);
            assert!(
                b.column(10)
                    .as_primitive_opt::<TimestampMicrosecondType>()
                    .is_some()
            );
        }
    }
    let mut db = s.db().await;
    let sql = "SELECT order_id, customer_id, status, quantity, printf('%.2f', unit_price), printf('%.2f', amount), \
               discount, notes, order_date, replace(shipped_at, ' ', 'T'), replace(updated_at, ' ', 'T') FROM orders";
    let rows = sqlx::query(sql).fetch_all(&mut db).await.unwrap();
    assert_eq!(rows.len(), parquet.len());
    for row in rows {
        let id: i64 = row.get(0);
        let got = &parquet[&id];
        let text = |i: usize| {
            row.try_get::<Option<String>, _>(i)
                .unwrap()
                .unwrap_or_else(|| "NULL".into())
        };
        let int = |i: usize| {
            row.get::<Option<i64>, _>(i)
                .map_or("NULL".into(), |v| v.to_string())
        };
        let expected = vec![
            id.to_string(),
            int(1),
            text(2),
            int(3),
            text(4),
            text(5),
            row.get::<Option<f64>, _>(6)
                .map_or("NULL".into(), |v| format!("{v:?}")),
            text(7),
            text(8),
            text(9),
            text(10),
        ];
        assert_eq!(got, &expected, "order {id}");
    }
    // Customers, a FULL job, too.
    let (cfiles, crows) = committed(&s.path().join("cfg/output/raw/demo/demo_customers"));
    assert_eq!(crows, 2000);
    assert_eq!(cfiles.len(), 1);
    // State, audit and log exist and say the same.
    let st = s.state("demo_orders_incr");
    let max: String = sqlx::query_scalar("SELECT replace(MAX(updated_at), ' ', 'T') FROM orders")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(st["watermark"]["value"], max.as_str());
    assert_eq!(st["watermark"]["kind"], "timestamp");
    assert_eq!(s.audit("demo_orders_incr")[0]["rows_written"], 120_000);
    let logs: Vec<_> = fs::read_dir(s.path().join("logs"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(logs.len(), 1);
    let name = logs[0].file_name().into_string().unwrap();
    assert!(
        name.starts_with("ingestion_") && name.ends_with(".log"),
        "{name}"
    );
    let log = fs::read_to_string(logs[0].path()).unwrap();
    assert!(
        log.contains(" | INFO | demo_orders_incr: SUCCESS 120000 rows"),
        "{log}"
    );
}

#[tokio::test]
async fn incremental_loads_exactly_the_new_rows() {
    let s = Sample::new();
    assert_eq!(code(&s.run(&["--jobs", "demo_orders_incr"])), 0);
    let mut db = s.db().await;
    let max: String = sqlx::query_scalar("SELECT MAX(updated_at) FROM orders")
        .fetch_one(&mut db)
        .await
        .unwrap();
    let at_max: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE updated_at = ?")
        .bind(&max)
        .fetch_one(&mut db)
        .await
        .unwrap();
    // New rows: three at the stored watermark (boundary), two later.
    for (id, ts) in [
        (200_001, max.as_str()),
        (200_002, &max),
        (200_003, &max),
        (200_004, "2030-01-01 00:00:00"),
        (200_005, "2030-01-02 00:00:00"),
    ] {
        sqlx::query("INSERT INTO orders (order_id, customer_id, status, quantity, order_date, updated_at) VALUES (?, 1, 'new', 1, '2030-01-01', ?)")
            .bind(id)
            .bind(ts)
            .execute(&mut db)
            .await
            .unwrap();
    }
    let out = s.run(&["--jobs", "demo_orders_incr", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary[0]["rows"], 5, "{summary}");
    assert_eq!(
        summary[0]["rows_extracted"].as_i64().unwrap(),
        5 + at_max,
        "the boundary rows were read again and dropped"
    );
    assert_eq!(summary[0]["watermark"], "2030-01-02T00:00:00");
    let (files, rows) = committed(&s.orders_dir());
    assert_eq!(rows, 120_005);
    let ids = order_ids(&files);
    let mut dedup = ids.clone();
    dedup.dedup();
    assert_eq!(ids.len(), dedup.len(), "no row loaded twice");
    assert_eq!(ids.len(), 120_005);
    // A third run loads nothing and still writes an audit line.
    let out = s.run(&["--jobs", "demo_orders_incr"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let audit = s.audit("demo_orders_incr");
    assert_eq!(audit.len(), 3);
    assert_eq!(audit[2]["status"], "SUCCESS");
    assert_eq!(audit[2]["rows_written"], 0);
    assert_eq!(committed(&s.orders_dir()).1, 120_005);
    // --full-refresh reloads everything and retires the earlier loads.
    let out = s.run(&["--jobs", "demo_orders_incr", "--full-refresh"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let (files, rows) = committed(&s.orders_dir());
    assert_eq!(rows, 120_005);
    assert_eq!(
        parquet_files(&s.orders_dir()),
        files,
        "earlier loads' files are gone"
    );
    assert_eq!(
        fs::read_dir(s.orders_dir().join("_ingest_loads"))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn a_failing_job_leaves_its_state_and_the_others_run() {
    let s = Sample::new();
    assert_eq!(code(&s.run(&[])), 0);
    let before = fs::read_to_string(s.path().join("metadata/state/demo_orders_incr.json")).unwrap();
    let mut db = s.db().await;
    sqlx::query("UPDATE orders SET updated_at = '2031-01-01 00:00:00' WHERE order_id = 1")
        .execute(&mut db)
        .await
        .unwrap();
    // Make the orders output folder unwritable: replace its data folder with a file.
    let data = s.orders_dir().join("orders");
    fs::remove_dir_all(&data).unwrap();
    fs::write(&data, "not a folder").unwrap();
    let out = s.run(&[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("demo_orders_incr") && t.contains("FAILED"),
        "{t}"
    );
    assert_eq!(
        fs::read_to_string(s.path().join("metadata/state/demo_orders_incr.json")).unwrap(),
        before
    );
    assert_eq!(s.audit("demo_customers_full")[1]["status"], "SUCCESS");
    assert_eq!(s.audit("demo_orders_incr")[1]["status"], "FAILED");
    // Once the folder is fixed, the same window is loaded.
    fs::remove_file(&data).unwrap();
    let out = s.run(&["--jobs", "demo_orders_incr", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary[0]["rows"], 1);
}

#[test]
fn a_held_lock_exits_3_and_a_stale_one_is_taken_over() {
    let s = Sample::new();
    let meta = s.path().join("metadata");
    fs::create_dir_all(&meta).unwrap();
    {
        let _held = ingest::state::lock::DirLock::acquire(&meta).unwrap();
        let out = s.run(&[]);
        assert_eq!(code(&out), 3, "{}", text(&out));
        assert!(text(&out).contains("lock"), "{}", text(&out));
        assert!(!meta.join("state").join("demo_orders_incr.json").exists());
    }
    // A record left by a killed run, with no process holding the lock.
    fs::write(
        meta.join(".ingest.lock"),
        r#"{"pid":999999,"started_at":"2026-01-01T00:00:00Z","host":"old"}"#,
    )
    .unwrap();
    let out = s.run(&["--jobs", "demo_customers_full"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("did not exit cleanly"),
        "{}",
        text(&out)
    );
}

#[test]
fn dry_run_touches_nothing() {
    let s = Sample::new();
    let out = s.run(&["--dry-run"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("SELECT * FROM \"orders\""), "{t}");
    assert!(
        !s.path().join("metadata").exists()
            && !s.path().join("cfg/output").exists()
            && !s.path().join("logs").exists()
    );
}

#[test]
fn state_commands() {
    let s = Sample::new();
    assert_eq!(code(&s.run(&["--jobs", "demo_orders_incr"])), 0);
    let out = ingest(s.path(), &["state", "list"]);
    assert!(text(&out).contains("demo_orders_incr"), "{}", text(&out));
    let out = ingest(s.path(), &["state", "show", "demo_orders_incr"]);
    assert!(text(&out).contains("\"boundary_keys\""), "{}", text(&out));
    let out = ingest(
        s.path(),
        &["state", "set", "demo_orders_incr", "not a time"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = ingest(
        s.path(),
        &["state", "set", "demo_orders_incr", "2024-01-20 00:00:00"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        s.state("demo_orders_incr")["watermark"]["value"],
        "2024-01-20T00:00:00"
    );
    let out = s.run(&["--jobs", "demo_orders_incr", "--output", "json"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary[0]["rows"].as_u64().unwrap() > 0, "{summary}");
    let out = ingest(s.path(), &["state", "reset", "demo_orders_incr"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(s.state("demo_orders_incr")["watermark"].is_null());
}
