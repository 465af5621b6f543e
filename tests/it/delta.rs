//! `target_format = delta`: the table is read back by independent readers, the Python
//! `deltalake` and `polars` packages (`scripts/pyenv.sh` makes `.venv`; `INGEST_TEST_PYTHON`
//! overrides), on the local folder destination and on Azurite.

use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::Value;
use sqlx::{Connection, Executor, SqliteConnection};
use std::path::{Path, PathBuf};

/// Reads a Delta table with deltalake and polars; prints one JSON document.
const READER: &str = r#"
import json, sys
from deltalake import DeltaTable
import polars as pl
uri, opts, version, app = sys.argv[1], json.loads(sys.argv[2]) or None, sys.argv[3], sys.argv[4]
version = int(version) if version else None
dt = DeltaTable(uri, storage_options=opts, version=version)
def plain(rows):
    out = []
    for r in rows:
        out.append({k: v if (v is None or type(v) is int) else str(v) for k, v in r.items()})
    return sorted(out, key=lambda r: r["id"])
print(json.dumps({
    "version": dt.version(),
    "rows": plain(dt.to_pyarrow_table().to_pylist()),
    "polars": plain(pl.read_delta(uri, version=version, storage_options=opts).to_dicts()),
    "txn": dt.transaction_version(app),
    "ingest": [h.get("ingest") for h in dt.history()],
    "schema": {f.name: str(f.type.type) if hasattr(f.type, "type") else str(f.type) for f in dt.schema().fields},
    "files": len(dt.file_uris()),
}))
"#;

/// The Python with deltalake and polars, or `None` after [`support::service_missing`].
pub(crate) fn python() -> Option<PathBuf> {
    let py = std::env::var_os("INGEST_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let venv = support::project_dir().join(".venv");
            if cfg!(windows) {
                venv.join("Scripts").join("python.exe")
            } else {
                venv.join("bin").join("python")
            }
        });
    let ok = std::process::Command::new(&py)
        .args(["-c", "import deltalake, polars, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    support::service_missing(
        "Python with deltalake and polars",
        &format!("{} cannot import them (run scripts/pyenv.sh)", py.display()),
    );
    None
}

/// The table read by both readers at `version` (latest when `None`); their rows must agree.
pub(crate) fn read(py: &Path, uri: &str, opts: &Value, version: Option<i64>, app: &str) -> Value {
    let v = version.map(|v| v.to_string()).unwrap_or_default();
    let out = std::process::Command::new(py)
        .args(["-c", READER, uri, &opts.to_string(), &v, app])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "reader failed: {}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("reader JSON");
    assert_eq!(doc["rows"], doc["polars"], "deltalake and polars disagree");
    doc
}

/// A SQLite `items` table; `sql` runs after it is created.
pub(crate) fn sqlite(db: &Path, sql: &str) {
    let url = format!("sqlite://{}?mode=rwc", db.display());
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(async {
            let mut c = SqliteConnection::connect(&url).await.expect("sqlite opens");
            c.execute(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, \
                 amount DECIMAL(12,2), seen_at TIMESTAMP, updated INTEGER NOT NULL); {sql}"
            )))
            .await
            .expect("sql");
        });
}

/// Rows `from..=to` of the source, as the readers print them.
pub(crate) fn insert(from: i64, to: i64, tag: &str) -> String {
    (from..=to)
        .map(|i| {
            let name = if i % 5 == 0 {
                "NULL".to_string()
            } else {
                format!("'{tag}-{i}'")
            };
            format!(
                "INSERT OR REPLACE INTO items VALUES ({i}, {name}, {i}.25, '2024-01-01 00:00:{:02}', {i});",
                i % 60
            )
        })
        .collect()
}

pub(crate) fn expected(from: i64, to: i64, tag: &str) -> Vec<Value> {
    (from..=to)
        .map(|i| {
            serde_json::json!({
                "id": i,
                "name": if i % 5 == 0 { Value::Null } else { format!("{tag}-{i}").into() },
                "amount": format!("{i}.25"),
                "seen_at": format!("2024-01-01 00:00:{:02}", i % 60),
                "updated": i,
            })
        })
        .collect()
}

/// A scratch folder with `db.sqlite`, a local destination `out` and one job `load_type`.
fn scratch(job: &str, load_type: &str, disposition: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("secrets.toml"),
        "[sources.db]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\n[destinations.output]\npath = \"out\"\n",
    )
    .expect("secrets");
    let watermark = if load_type == "FULL" { "" } else { "updated" };
    let mut row = job_row(
        job, "SQLite", "db", "", "items", load_type, watermark, "id", "", "",
    );
    row.extend(["delta", disposition]);
    let mut header = HEADER.to_vec();
    header.extend(["target_format", "write_disposition"]);
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[row]);
    dir
}

fn run(p: &Path) -> Value {
    let out = ingest(p, &["run", "--config", "jobs.xlsx", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    summary[0].clone()
}

fn table_uri(p: &Path) -> String {
    p.join("out/raw/lake/db_items").display().to_string()
}

#[test]
fn full_loads_replace_the_table_in_one_commit_each_and_time_travel() {
    let Some(py) = python() else { return };
    let dir = scratch("delta_full", "FULL", "");
    let p = dir.path();
    sqlite(&p.join("db.sqlite"), &insert(1, 12, "a"));
    assert_eq!(run(p)["rows"], 12);
    let uri = table_uri(p);
    let first = read(&py, &uri, &Value::Null, None, "delta_full");
    assert_eq!(first["version"], 0, "the first load creates the table");
    assert_eq!(first["rows"], Value::from(expected(1, 12, "a")));
    assert_eq!(first["schema"]["seen_at"], "timestamp_ntz");
    assert_eq!(first["schema"]["amount"], "decimal(12,2)");

    sqlite(
        &p.join("db.sqlite"),
        &format!("DELETE FROM items WHERE id <= 4; {}", insert(10, 15, "b")),
    );
    assert_eq!(run(p)["rows"], 11);
    let second = read(&py, &uri, &Value::Null, None, "delta_full");
    assert_eq!(second["version"], 1, "one commit per load");
    let mut want = expected(5, 9, "a");
    want.extend(expected(10, 15, "b"));
    assert_eq!(second["rows"], Value::from(want), "only the second load");
    assert_eq!(second["txn"], 2, "txn version = the job's load sequence");
    let info = &second["ingest"][0];
    assert_eq!(
        (info["seq"].clone(), info["rows"].clone()),
        (2.into(), 11.into())
    );
    assert_eq!(info["job_id"], "delta_full");
    assert_eq!(info["load_type"], "FULL");
    let back = read(&py, &uri, &Value::Null, Some(0), "delta_full");
    assert_eq!(back["rows"], first["rows"], "time travel to version 0");
    assert_eq!(back["txn"], 1);
}

#[test]
fn incremental_appends_new_rows_once_even_when_local_state_is_lost() {
    let Some(py) = python() else { return };
    let job = "delta_incr";
    let dir = scratch(job, "INCREMENTAL", "append");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 10, "a"));
    assert_eq!(run(p)["rows"], 10);
    sqlite(&db, &insert(11, 15, "a"));
    assert_eq!(run(p)["rows"], 5, "only the new rows");
    let uri = table_uri(p);
    let doc = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(
        (doc["version"].clone(), doc["txn"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(doc["rows"], Value::from(expected(1, 15, "a")));
    assert_eq!(doc["ingest"][0]["window"]["to"], "15");

    // The crash: load 3 commits, its state write never happens (an older state file).
    let state_file = p.join(format!("metadata/state/{job}.json"));
    let saved = std::fs::read(&state_file).expect("state");
    sqlite(&db, &insert(16, 18, "a"));
    assert_eq!(run(p)["rows"], 3);
    std::fs::write(&state_file, saved).expect("restore old state");
    let out = ingest(p, &["run", "--config", "jobs.xlsx", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("adopting load"), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary");
    assert_eq!(
        summary[0]["rows"], 0,
        "the committed window is not loaded again"
    );
    // Deleting metadata/ loses nothing: the table says where the job stands.
    std::fs::remove_dir_all(p.join("metadata")).expect("remove metadata");
    assert_eq!(run(p)["rows"], 0);
    sqlite(&db, &insert(19, 20, "a"));
    assert_eq!(run(p)["rows"], 2);
    let doc = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(doc["version"], 3, "four loads with rows, four commits");
    assert_eq!(doc["txn"], 4);
    assert_eq!(
        doc["rows"],
        Value::from(expected(1, 20, "a")),
        "each row once"
    );
}

#[test]
fn a_column_delta_cannot_hold_fails_the_job_naming_it() {
    let dir = scratch("delta_types", "FULL", "");
    let p = dir.path();
    sqlite(
        &p.join("db.sqlite"),
        "CREATE TABLE clocks (id INTEGER PRIMARY KEY, opens TIME); INSERT INTO clocks VALUES (1, '08:30:00');",
    );
    let mut row = job_row(
        "delta_types",
        "SQLite",
        "db",
        "",
        "clocks",
        "FULL",
        "",
        "",
        "",
        "",
    );
    row.push("delta");
    let mut header = HEADER.to_vec();
    header.push("target_format");
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[row]);
    let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("column `opens`") && t.contains("time-of-day"),
        "{t}"
    );
    assert!(
        !p.join("out/raw/lake/db_clocks/_delta_log").exists(),
        "no table"
    );
}

#[path = "delta_azure.rs"]
mod azure;

#[path = "delta_merge.rs"]
mod merge;

#[path = "delta_evolve.rs"]
mod evolve;

#[path = "delta_drift.rs"]
mod drift;

#[path = "delta_maintain.rs"]
mod maintain;

#[path = "delta_crash.rs"]
mod crash;

#[path = "delta_types.rs"]
mod types;

#[path = "delta_compression.rs"]
mod compression;
