//! `ingest maintain` and checkpoints on a local Delta table, read back by the Python readers.

use super::{expected, insert, python, read, run, scratch, sqlite, table_uri};
use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::Value;
use std::path::Path;

/// Run Python code with the table URI as `sys.argv[1]`.
fn py_run(py: &Path, code_text: &str, uri: &str) {
    let out = std::process::Command::new(py)
        .args(["-c", code_text, uri])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "python failed: {}", text(&out));
}

/// The data files on disk directly in the table root or its data folder.
fn parquet_on_disk(uri: &str) -> usize {
    let mut n = 0;
    for dir in [Path::new(uri).to_path_buf(), Path::new(uri).join("items")] {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().ends_with(".parquet") {
                n += 1;
            }
        }
    }
    n
}

fn maintain(p: &Path, extra: &[&str]) -> (u8, Value) {
    let mut args = vec!["maintain", "--config", "jobs.xlsx", "--output", "json"];
    args.extend(extra);
    let out = ingest(p, &args);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code(&out) as u8, doc)
}

#[test]
fn checkpoints_then_optimize_and_vacuum_keep_the_rows_and_the_jobs_head() {
    let Some(py) = python() else { return };
    let job = "delta_maint";
    let dir = scratch(job, "INCREMENTAL", "append");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 10, "a"));
    assert_eq!(run(p)["rows"], 10);
    let uri = table_uri(p);
    // A small checkpoint interval and no deleted-file retention, as table properties.
    py_run(
        &py,
        "import sys\nfrom deltalake import DeltaTable\nDeltaTable(sys.argv[1]).alter.set_table_properties({'delta.checkpointInterval': '3', 'delta.deletedFileRetentionDuration': 'interval 0 seconds'})",
        &uri,
    );
    for (from, to) in [(11, 15), (16, 18), (19, 20)] {
        sqlite(&db, &insert(from, to, "a"));
        assert_eq!(run(p)["rows"], to - from + 1);
    }
    let log = Path::new(&uri).join("_delta_log");
    assert!(
        log.join(format!("{:020}.checkpoint.parquet", 2)).exists(),
        "the load committed as version 2 wrote a checkpoint"
    );
    assert!(log.join("_last_checkpoint").exists());
    let before = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(before["version"], 4);
    assert_eq!(before["files"], 4, "one small file per load");
    assert_eq!(before["rows"], Value::from(expected(1, 20, "a")));

    let (rc, doc) = maintain(p, &[]);
    assert_eq!(rc, 0, "{doc}");
    let r = &doc[0];
    assert_eq!(r["status"], "SUCCESS", "{doc}");
    assert_eq!(
        (r["files_compacted"].clone(), r["files_written"].clone()),
        (4.into(), 1.into()),
        "{doc}"
    );
    assert_eq!(
        r["files_vacuumed"], 4,
        "retention 0: the compacted files go: {doc}"
    );
    assert!(r["bytes_vacuumed"].as_u64().unwrap_or(0) > 0, "{doc}");
    assert_eq!(r["version_before"], 4);
    let after = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(after["rows"], before["rows"], "OPTIMIZE changes no row");
    assert_eq!(after["files"], 1);
    assert_eq!(parquet_on_disk(&uri), 1, "VACUUM deleted the small files");
    assert_eq!(after["txn"], 4, "the job's txn is untouched");
    assert!(
        log.join(format!("{:020}.checkpoint.parquet", 5)).exists(),
        "OPTIMIZE's commit (version 5) wrote a checkpoint too"
    );

    // The job keeps its head: the newest commits are maintenance, local state is gone.
    std::fs::remove_dir_all(p.join("metadata")).expect("remove metadata");
    assert_eq!(
        run(p)["rows"],
        0,
        "nothing is loaded twice after maintenance"
    );
    sqlite(&db, &insert(21, 22, "a"));
    assert_eq!(run(p)["rows"], 2);
    let last = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(
        last["rows"],
        Value::from(expected(1, 22, "a")),
        "each row once"
    );
    assert_eq!(last["txn"], 5);

    // Nothing left to compact or delete: a second maintenance changes nothing.
    let (rc, doc) = maintain(p, &["--vacuum-hours", "1"]);
    assert_eq!(rc, 0, "{doc}");
    assert_eq!(doc[0]["files_vacuumed"], 0, "{doc}");
}

#[test]
fn parquet_jobs_are_skipped_and_bad_selections_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("secrets.toml"),
        "[sources.db]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\n[destinations.output]\npath = \"out\"\n",
    )
    .expect("secrets");
    sqlite(&p.join("db.sqlite"), &insert(1, 3, "a"));
    let mut header = HEADER.to_vec();
    header.push("target_format");
    let mut delta = job_row("d", "SQLite", "db", "", "items", "FULL", "", "", "", "");
    delta.push("delta");
    let mut plain = job_row("pq", "SQLite", "db", "", "items", "FULL", "", "", "", "");
    plain[8] = "plain";
    plain.push("parquet");
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[delta, plain]);

    let (rc, doc) = maintain(p, &[]);
    assert_eq!(rc, 0, "{doc}");
    assert_eq!(doc[0]["status"], "SKIPPED", "no table yet: {doc}");
    assert_eq!(doc[1]["status"], "SKIPPED");
    assert!(
        doc[1]["reason"].as_str().unwrap_or("").contains("parquet"),
        "{doc}"
    );
    let out = ingest(p, &["maintain", "--config", "jobs.xlsx", "--jobs", "nope"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no job `nope`"), "{}", text(&out));
    let out = ingest(
        p,
        &["maintain", "--config", "jobs.xlsx", "--vacuum-hours", "0"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));

    // A table whose log cannot be read fails its job (exit 1), the others still run.
    std::fs::create_dir_all(p.join("out/raw/lake/db_items/_delta_log")).expect("log dir");
    std::fs::write(
        p.join("out/raw/lake/db_items/_delta_log/00000000000000000000.json"),
        "not json",
    )
    .expect("broken log");
    let out = ingest(p, &["maintain", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("FAILED"), "{}", text(&out));
    assert!(text(&out).contains("SKIPPED"), "{}", text(&out));
}

/// The lake audit records of one job (local folder destination), sorted by name.
fn audit_records(p: &Path, folder: &str, job: &str) -> Vec<std::path::PathBuf> {
    let dir = p.join(format!("out/raw/{folder}/db_items/_ingest_audit/{job}"));
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    all.sort();
    all
}

/// `ingest maintain` deletes lake audit records older than `--keep-audit-days` for Delta and
/// Parquet jobs, and keeps the record of each job's last committed load, from which
/// `ingest status` names the worker of a Delta load.
#[test]
fn maintain_prunes_old_lake_audit_records_but_keeps_the_last_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("secrets.toml"),
        "[sources.db]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\n[destinations.output]\npath = \"out\"\n",
    )
    .expect("secrets");
    let mut header = HEADER.to_vec();
    header.push("target_format");
    let row = |id| {
        job_row(
            id,
            "SQLite",
            "db",
            "",
            "items",
            "INCREMENTAL",
            "updated",
            "id",
            "",
            "",
        )
    };
    let mut delta = row("d");
    delta.push("delta");
    let mut plain = row("pq");
    plain[8] = "plain";
    plain.push("parquet");
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[delta, plain]);
    let db = p.join("db.sqlite");
    let ingest_ok = |args: &[&str]| {
        let out = ingest(p, args);
        assert_eq!(code(&out), 0, "{}", text(&out));
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON")
    };
    let run_all = || {
        ingest_ok(&[
            "run",
            "--config",
            "jobs.xlsx",
            "--worker-id",
            "vm7",
            "--output",
            "json",
        ])
    };
    sqlite(&db, &insert(1, 10, "a"));
    run_all();
    sqlite(&db, &insert(11, 12, "a"));
    run_all();
    run_all(); // nothing new: a SUCCESS without a load
    let jobs = [("d", "lake"), ("pq", "plain")];
    for (job, folder) in jobs {
        let records = audit_records(p, folder, job);
        assert_eq!(records.len(), 3, "{job}: {records:?}");
        // Two records of a year ago (named by their end time, as the product names them).
        let body = std::fs::read(&records[0]).expect("record");
        for name in [
            "20251101T010203.000001Z.vm1.json",
            "20251102T010203.000002Z.vm2.json",
        ] {
            let old = records[0].with_file_name(name);
            std::fs::write(old, &body).expect("old record");
        }
    }
    let doc = ingest_ok(&["maintain", "--config", "jobs.xlsx", "--output", "json"]);
    for (i, (job, folder)) in jobs.iter().enumerate() {
        assert_eq!(doc[i]["audit_records_removed"], 2, "{job}: {doc}");
        assert_eq!(
            audit_records(p, folder, job).len(),
            3,
            "{job}: recent records stay"
        );
    }
    // Keep nothing but each job's last committed load.
    let doc = ingest_ok(&[
        "maintain",
        "--config",
        "jobs.xlsx",
        "--keep-audit-days",
        "0",
        "--output",
        "json",
    ]);
    let status = ingest_ok(&["status", "--config", "jobs.xlsx", "--output", "json"]);
    for (i, (job, folder)) in jobs.iter().enumerate() {
        assert_eq!(doc[i]["audit_records_removed"], 2, "{job}: {doc}");
        let left = audit_records(p, folder, job);
        assert_eq!(left.len(), 1, "{job}: {left:?}");
        let record: Value = serde_json::from_slice(&std::fs::read(&left[0]).unwrap()).unwrap();
        let last = &status[i]["last_load"];
        assert_eq!(record["status"], "SUCCESS", "{job}: {record}");
        assert_eq!(record["load_id"], last["load_id"], "{job}: {record} {last}");
        assert_eq!(last["worker"], "vm7", "{job}: {last}");
    }
    let out = ingest(
        p,
        &[
            "maintain",
            "--config",
            "jobs.xlsx",
            "--keep-audit-days",
            "x",
        ],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
}

/// Maintenance through the destination's own object store on Azurite.
#[test]
fn maintain_compacts_on_azurite() {
    let Some(py) = python() else { return };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 10000));
    if std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)).is_err() {
        support::service_missing("Azurite", "nothing listens on 127.0.0.1:10000");
        return;
    }
    const ACCOUNT: &str = "devstoreaccount1";
    const KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let container = format!("maint-{}-{nanos}", std::process::id());
    std::fs::write(
        p.join("secrets.toml"),
        format!(
            "[sources.db]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\n\
             [destinations.lake]\nuse_emulator = true\nstorage_account_name = \"{ACCOUNT}\"\n\
             endpoint = \"http://127.0.0.1:10000\"\ncreate_container = true\n"
        ),
    )
    .expect("secrets");
    let mut header = HEADER.to_vec();
    header.push("target_format");
    let mut row = job_row(
        "az_maint",
        "SQLite",
        "db",
        "",
        "items",
        "INCREMENTAL",
        "updated",
        "id",
        "",
        "",
    );
    row[7] = container.as_str();
    row[13] = "lake";
    row[8] = "az_maint";
    row.push("delta");
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[row]);
    let db = p.join("db.sqlite");
    for (from, to) in [(1, 5), (6, 8), (9, 12)] {
        sqlite(&db, &insert(from, to, "a"));
        let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    let (rc, doc) = maintain(p, &["--vacuum-hours", "1"]);
    assert_eq!(rc, 0, "{doc}");
    assert_eq!(doc[0]["status"], "SUCCESS", "{doc}");
    assert_eq!(
        (
            doc[0]["files_compacted"].clone(),
            doc[0]["files_written"].clone()
        ),
        (3.into(), 1.into()),
        "{doc}"
    );
    assert_eq!(doc[0]["files_vacuumed"], 0, "removed minutes ago: kept");
    let opts = serde_json::json!({
        "account_name": ACCOUNT,
        "account_key": KEY,
        "use_emulator": "true",
        "allow_http": "true",
    });
    let uri = format!("az://{container}/az_maint/db_items");
    let doc = read(&py, &uri, &opts, None, "az_maint");
    assert_eq!(doc["rows"], Value::from(expected(1, 12, "a")));
    assert_eq!(doc["files"], 1);
    assert_eq!(doc["txn"], 3);
}
