//! Delta on Azurite: FULL then append through the destination's own object store, read back
//! by the Python readers over the Blob API.

use super::{expected, insert, python, read, sqlite};
use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::Value;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn azurite() -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], 10000));
    if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
        return true;
    }
    support::service_missing("Azurite", "nothing listens on 127.0.0.1:10000");
    false
}

#[test]
fn full_then_append_on_azurite() {
    let Some(py) = python() else { return };
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let container = format!("delta-{}-{nanos}", std::process::id());
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
    let row = |job: &'static str, load: &'static str, watermark: &'static str| {
        let mut r = job_row(
            job, "SQLite", "db", "", "items", load, watermark, "id", "", "",
        );
        r[7] = container.as_str();
        r[13] = "lake";
        r[8] = job;
        r.push("delta");
        r
    };
    let rows = vec![
        row("az_full", "FULL", ""),
        row("az_incr", "INCREMENTAL", "updated"),
    ];
    support::write_workbook(&p.join("jobs.xlsx"), &header, &rows);
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 8, "a"));
    let run = || {
        let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    };
    run();
    sqlite(&db, &insert(9, 11, "a"));
    run();
    let opts = serde_json::json!({
        "account_name": ACCOUNT,
        "account_key": KEY,
        "use_emulator": "true",
        "allow_http": "true",
    });
    let uri = |job: &str| format!("az://{container}/{job}/db_items");
    let full = read(&py, &uri("az_full"), &opts, None, "az_full");
    assert_eq!(full["version"], 1);
    assert_eq!(full["rows"], Value::from(expected(1, 11, "a")));
    let first = read(&py, &uri("az_full"), &opts, Some(0), "az_full");
    assert_eq!(first["rows"], Value::from(expected(1, 8, "a")));
    let incr = read(&py, &uri("az_incr"), &opts, None, "az_incr");
    assert_eq!(
        (incr["version"].clone(), incr["txn"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(incr["rows"], Value::from(expected(1, 11, "a")));
    assert_eq!(incr["files"], 2, "the append added files, removed none");
}
