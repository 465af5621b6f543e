//! Crashes and concurrent writers on a Delta table, through the debug-build test seam
//! (`INGEST_TEST_ABORT_AT`, `INGEST_TEST_PAUSE_AT`; see src/fault.rs). The table is read back
//! by the Python readers.

use super::{expected, insert, python, read, run, scratch, sqlite, table_uri};
use crate::support::{self, HEADER, bin, code, ingest_env, job_row, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The base names of the files the table's current version references.
fn referenced(py: &Path, uri: &str) -> Vec<String> {
    let code_text = "import sys, os, json\nfrom deltalake import DeltaTable\nprint(json.dumps(sorted(os.path.basename(u) for u in DeltaTable(sys.argv[1]).file_uris())))";
    let out = Command::new(py)
        .args(["-c", code_text, uri])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("file list")
}

/// Every file (finished or an upload's staging file) in the table's data folder and root.
fn on_disk(uri: &str) -> Vec<String> {
    let mut names = Vec::new();
    for dir in [PathBuf::from(uri), Path::new(uri).join("items")] {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_file() {
                names.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    names
}

/// The crash leaves the table as before; the next clean run loads the window exactly once and
/// removes the files the crashed load left.
#[test]
fn a_load_killed_at_each_moment_is_loaded_exactly_once_by_the_next_run() {
    let Some(py) = python() else { return };
    for (point, committed) in [
        ("writing", false),
        ("delta-before-commit", false),
        ("delta-after-commit", true),
    ] {
        let job = "delta_crash";
        let dir = scratch(job, "INCREMENTAL", "append");
        let p = dir.path();
        // Batches of 4 rows: several per load, so `writing` falls between two of them.
        let mut row = job_row(
            job,
            "SQLite",
            "db",
            "",
            "items",
            "INCREMENTAL",
            "updated",
            "id",
            "4",
            "",
        );
        row.extend(["delta", "append"]);
        let mut header = HEADER.to_vec();
        header.extend(["target_format", "write_disposition"]);
        support::write_workbook(&p.join("jobs.xlsx"), &header, &[row]);
        let db = p.join("db.sqlite");
        sqlite(&db, &insert(1, 10, "a"));
        assert_eq!(run(p)["rows"], 10);
        sqlite(&db, &insert(11, 40, "a"));
        let out = ingest_env(
            p,
            &["run", "--config", "jobs.xlsx"],
            &[("INGEST_TEST_ABORT_AT", point)],
        );
        assert!(
            out.status.code().is_none(),
            "{point}: the run must die by the signal: {}",
            text(&out)
        );
        let uri = table_uri(p);
        let doc = read(&py, &uri, &Value::Null, None, job);
        let (rows, txn) = if committed { (40, 2) } else { (10, 1) };
        assert_eq!(doc["rows"], Value::from(expected(1, rows, "a")), "{point}");
        assert_eq!(doc["txn"], txn, "{point}");
        // `writing` may die before the writer flushed a byte; before the commit every file is
        // durable and none is referenced.
        if point == "delta-before-commit" {
            assert!(
                on_disk(&uri).len() > referenced(&py, &uri).len(),
                "{point}: the killed load left files: {:?}",
                on_disk(&uri)
            );
        }

        let summary = run(p);
        assert_eq!(
            summary["rows"],
            if committed { 0 } else { 30 },
            "{point}: {summary}"
        );
        let doc = read(&py, &uri, &Value::Null, None, job);
        assert_eq!(
            doc["rows"],
            Value::from(expected(1, 40, "a")),
            "{point}: each row exactly once"
        );
        assert_eq!(doc["txn"], 2, "{point}: one commit for the window");
        assert_eq!(
            on_disk(&uri),
            referenced(&py, &uri),
            "{point}: no file the table does not reference"
        );
    }
}

/// Start `ingest run` paused at `point`; returns the child and the file that releases it.
fn paused_run(p: &Path, state_dir: &str, point: &str) -> (Child, PathBuf) {
    let release = p.join(format!("release-{state_dir}"));
    let child = Command::new(bin())
        .current_dir(p)
        .args([
            "run",
            "--config",
            "jobs.xlsx",
            "--state-dir",
            state_dir,
            "--output",
            "json",
        ])
        .env("INGEST_TEST_PAUSE_AT", point)
        .env("INGEST_TEST_PAUSE_FILE", &release)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts");
    let mut reached = release.clone().into_os_string();
    reached.push(".reached");
    let started = Instant::now();
    while !Path::new(&reached).exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never reached {point}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, release)
}

/// Release a paused run and wait for it.
fn finish(child: Child, release: &Path) -> std::process::Output {
    std::fs::write(release, "go").expect("release");
    child.wait_with_output().expect("ingest ends")
}

/// A second writer (the Python deltalake package) appends rows `from..=to` with tag `py`.
fn python_append(py: &Path, uri: &str, from: i64, to: i64) {
    let code_text = r#"
import sys, decimal, datetime
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
uri, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
schema = DeltaTable(uri).schema().to_arrow()
ids = list(range(lo, hi + 1))
cols = {
    "id": ids,
    "name": [None if i % 5 == 0 else f"py-{i}" for i in ids],
    "amount": [decimal.Decimal(f"{i}.25") for i in ids],
    "seen_at": [datetime.datetime(2024, 1, 1, 0, 0, i % 60) for i in ids],
    "updated": ids,
}
t = pa.table({f.name: pa.array(cols[f.name], type=pa.field(f).type) for f in schema})
write_deltalake(uri, t, mode="append")
"#;
    let out = Command::new(py)
        .args(["-c", code_text, uri, &from.to_string(), &to.to_string()])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "python append failed: {}", text(&out));
}

#[test]
fn an_append_racing_another_writer_is_retried_and_lands_once() {
    let Some(py) = python() else { return };
    let job = "delta_race";
    let dir = scratch(job, "INCREMENTAL", "append");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 10, "a"));
    assert_eq!(run(p)["rows"], 10);
    let uri = table_uri(p);
    sqlite(&db, &insert(11, 15, "a"));
    let (child, release) = paused_run(p, "metadata", "delta-before-commit");
    python_append(&py, &uri, 1001, 1003);
    let out = finish(child, &release);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc = read(&py, &uri, &Value::Null, None, job);
    let mut want = expected(1, 15, "a");
    want.extend(expected(1001, 1003, "py"));
    assert_eq!(doc["rows"], Value::from(want), "both appends, each once");
    assert_eq!(doc["version"], 2, "ingest committed after the other writer");
    assert_eq!(doc["txn"], 2);
}

#[test]
fn an_overwrite_racing_another_writer_fails_cleanly_and_the_next_run_replaces_all() {
    let Some(py) = python() else { return };
    let job = "delta_race_full";
    let dir = scratch(job, "FULL", "");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 10, "a"));
    assert_eq!(run(p)["rows"], 10);
    let uri = table_uri(p);
    let (child, release) = paused_run(p, "metadata", "delta-before-commit");
    python_append(&py, &uri, 1001, 1003);
    let out = finish(child, &release);
    assert_eq!(
        code(&out),
        1,
        "a conflicting overwrite fails: {}",
        text(&out)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary");
    let error = summary[0]["error"].as_str().unwrap_or("");
    assert!(
        error.contains("another writer changed the table")
            && error.contains("nothing was committed"),
        "{error}"
    );
    let doc = read(&py, &uri, &Value::Null, None, job);
    let mut want = expected(1, 10, "a");
    want.extend(expected(1001, 1003, "py"));
    assert_eq!(
        doc["rows"],
        Value::from(want),
        "the failed overwrite changed nothing"
    );
    // The next run replaces everything, the other writer's rows included.
    assert_eq!(run(p)["rows"], 10);
    let doc = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(doc["rows"], Value::from(expected(1, 10, "a")));
    assert_eq!(doc["txn"], 2);
}

/// Two `ingest run` processes of the same job (separate state folders, as on two machines):
/// the one that holds the job's lease loads the window, the other skips the job, and the
/// window is in the table once. (The Delta txn that refuses a stale commit of the same load
/// sequence is proven by `table::delta_fence_tests` and `workers::a_paused_worker_…`.)
#[test]
fn two_runs_of_one_job_commit_the_window_once() {
    let Some(py) = python() else { return };
    let job = "delta_twice";
    let dir = scratch(job, "INCREMENTAL", "append");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 10, "a"));
    assert_eq!(run(p)["rows"], 10);
    std::fs::create_dir_all(p.join("other")).expect("state dir");
    sqlite(&db, &insert(11, 20, "a"));
    let (child, release) = paused_run(p, "other", "delta-before-commit");
    let skipped = run(p);
    assert_eq!(skipped["status"], "SKIPPED", "the lease is held: {skipped}");
    assert_eq!(skipped["rows"], 0, "{skipped}");
    let out = finish(child, &release);
    assert_eq!(code(&out), 0, "the lease holder commits: {}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary");
    assert_eq!(summary[0]["rows"], 10, "{summary}");
    let uri = table_uri(p);
    let doc = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(
        doc["rows"],
        Value::from(expected(1, 20, "a")),
        "each row once"
    );
    assert_eq!(doc["txn"], 2);
    // The skipped worker's next run adopts the table's head and loads nothing again.
    assert_eq!(run(p)["rows"], 0);
    assert_eq!(on_disk(&uri), referenced(&py, &uri), "no leftover files");
}
