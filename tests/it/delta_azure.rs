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

/// Every object under `prefix` in `container`, by an object_store client of the test's own.
fn blobs(container: &str, prefix: &str) -> Vec<String> {
    use futures::TryStreamExt;
    use object_store::ObjectStore;
    let client = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account(ACCOUNT)
        .with_access_key(KEY)
        .with_endpoint(format!("http://127.0.0.1:10000/{ACCOUNT}"))
        .with_container_name(container)
        .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
        .build()
        .expect("test client");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let p = object_store::path::Path::from(prefix);
        let found: Vec<_> = client.list(Some(&p)).try_collect().await.expect("list");
        found.into_iter().map(|m| m.location.to_string()).collect()
    })
}

/// Put a small blob (a staged file a killed load left behind).
fn put(container: &str, path: &str) {
    use object_store::ObjectStoreExt;
    let client = object_store::azure::MicrosoftAzureBuilder::new()
        .with_account(ACCOUNT)
        .with_access_key(KEY)
        .with_endpoint(format!("http://127.0.0.1:10000/{ACCOUNT}"))
        .with_container_name(container)
        .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
        .build()
        .expect("test client");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        client
            .put(&path.into(), bytes::Bytes::from_static(b"PAR1").into())
            .await
            .expect("put");
    });
}

#[test]
fn merge_on_azurite_upserts_and_removes_only_its_own_staged_files() {
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
    let container = format!("delta-merge-{}-{nanos}", std::process::id());
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
    header.extend(["target_format", "write_disposition"]);
    let mut row = job_row(
        "az_merge",
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
    row[8] = "m";
    row[13] = "lake";
    row.extend(["delta", "merge"]);
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[row]);
    let db = p.join("db.sqlite");
    let run = || {
        let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    };
    sqlite(&db, &insert(1, 8, "a"));
    run();
    // A killed load of this job and one of another job left staged files behind.
    let staging = "m/db_items/_ingest_staging";
    let mine =
        format!("{staging}/20260101T000000.000000Z/20260101T000000.000000Z.az_merge.0-0.parquet");
    let theirs =
        format!("{staging}/20260101T000000.000000Z/20260101T000000.000000Z.other.0-0.parquet");
    put(&container, &mine);
    put(&container, &theirs);
    // Rows 3 and 5 change (a newer cursor), 9 and 10 are new.
    sqlite(
        &db,
        &format!(
            "{} {}",
            insert(9, 10, "a"),
            "UPDATE items SET name = 'u', updated = 20 WHERE id IN (3, 5);"
        ),
    );
    run();
    let opts = serde_json::json!({
        "account_name": ACCOUNT,
        "account_key": KEY,
        "use_emulator": "true",
        "allow_http": "true",
    });
    let uri = format!("az://{container}/m/db_items");
    let doc = read(&py, &uri, &opts, None, "az_merge");
    assert_eq!(
        (doc["version"].clone(), doc["txn"].clone()),
        (1.into(), 2.into())
    );
    let mut want = expected(1, 10, "a");
    for i in [2, 4] {
        want[i]["name"] = "u".into();
        want[i]["updated"] = 20.into();
    }
    assert_eq!(
        doc["rows"],
        Value::from(want),
        "updated in place, new rows inserted"
    );
    let first = read(&py, &uri, &opts, Some(0), "az_merge");
    assert_eq!(first["rows"], Value::from(expected(1, 8, "a")));
    assert_eq!(
        blobs(&container, staging),
        vec![theirs],
        "this job's staged files are gone, another job's stay"
    );
}
