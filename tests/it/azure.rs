//! ADLS Gen2 destination against Azurite (127.0.0.1:10000, started by `scripts/azurite.sh`).
//! Each test uses its own container; the mid-run failure test starts its own Azurite.

#[path = "azure_faults.rs"]
mod faults;
#[path = "azure_helpers.rs"]
mod helpers;

use crate::support;
use helpers::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn shipped_sample_writes_the_same_objects_as_the_local_run() {
    if !azurite() {
        return;
    }
    let local = tempfile::tempdir().unwrap();
    for f in ["demo.sqlite", "ingestion_config.xlsx", "secrets.toml"] {
        std::fs::copy(
            support::project_dir().join("samples").join(f),
            local.path().join(f),
        )
        .unwrap();
    }
    // One worker id for both runs: it names their audit records in the lake.
    let out = run(local.path(), &["--worker-id", "w"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let root = local.path().join("output").join("raw");
    let mut local_names = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                local_names.push(modulo_load_id(&rel));
            }
        }
    }
    local_names.sort();
    let local_rows: usize = support::parquet_rows(&support::parquet_files(&root));

    let az = tempfile::tempdir().unwrap();
    let c = container("sample");
    sample_on_azurite(az.path(), &c, PORT, "");
    let out = run(az.path(), &["--worker-id", "w"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let remote_names: Vec<String> = list(PORT, &c).keys().map(|p| modulo_load_id(p)).collect();
    assert_eq!(remote_names, local_names);
    let rows = rows_by_table(PORT, &c, az.path());
    assert_eq!(rows.get("customers"), Some(&2000), "{rows:?}");
    assert_eq!(rows.get("orders"), Some(&120000), "{rows:?}");
    assert_eq!(rows.values().sum::<usize>(), local_rows);
    assert!(
        !az.path().join("output").exists(),
        "nothing written locally"
    );
}

#[test]
fn incremental_loads_into_azurite() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("incr");
    sample_on_azurite(dir.path(), &c, PORT, "");
    let jobs = ["--jobs", "demo_orders_incr"];
    let out = run(dir.path(), &jobs);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    rt().block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
        for id in 1..=5 {
            sqlx::query(
                "INSERT INTO orders (order_id, customer_id, status, order_date, updated_at) \
                 VALUES (?, 1, 'new', '2025-01-01', '2025-01-01 00:00:00')",
            )
            .bind(900_000 + id)
            .execute(&mut conn)
            .await
            .expect("insert");
        }
    });
    let out = run(dir.path(), &jobs);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let mut loads = manifests(PORT, &c, "demo_orders");
    loads.sort_by_key(|m| m["load_id"].as_str().unwrap_or_default().to_string());
    assert_eq!(loads.len(), 2, "{loads:?}");
    assert_eq!(loads[0]["rows"], 120000);
    assert_eq!(loads[1]["rows"], 5);
    assert_eq!(loads[1]["window"]["from"], "2024-01-20T08:19:54");
    assert_eq!(loads[1]["window"]["to"], "2025-01-01T00:00:00");
    let rows = rows_by_table(PORT, &c, dir.path());
    assert_eq!(rows.get("orders"), Some(&120005), "{rows:?}");
}

#[test]
fn missing_container_is_a_clear_error_with_exit_1() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("missing");
    sample_on_azurite(dir.path(), &c, PORT, "");
    let secrets = std::fs::read_to_string(dir.path().join("secrets.toml")).unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        secrets.replace("create_container = true", "create_container = false"),
    )
    .unwrap();
    let out = run(dir.path(), &["--jobs", "demo_customers_full"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains(&format!("container `{c}` does not exist")),
        "{text}"
    );
    assert!(
        text.contains(&format!("storage account `{ACCOUNT}`")),
        "{text}"
    );
    assert!(text.contains("auth: emulator"), "{text}");
    assert!(text.contains("create_container = true"), "{text}");
    let out = support::ingest(
        dir.path(),
        &["validate", "--config", "ingestion_config.xlsx", "--connect"],
    );
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains(&format!("container `{c}` does not exist")),
        "{text}"
    );
    assert!(list(PORT, &c).is_empty(), "nothing created");
}

#[test]
fn wrong_key_is_a_clear_error_and_the_key_appears_nowhere() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("wrongkey");
    sample_on_azurite(dir.path(), &c, PORT, "");
    let wrong = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk=";
    let secrets = format!(
        "[sources.demo]\ntype = \"sqlite\"\npath = \"demo.sqlite\"\n\n\
         [destinations.lake]\nstorage_account_name = \"{ACCOUNT}\"\n\
         storage_account_key = \"{wrong}\"\nendpoint = \"{}/{ACCOUNT}\"\ncreate_container = true\n",
        endpoint(PORT)
    );
    std::fs::write(dir.path().join("secrets.toml"), secrets).unwrap();
    let out = run(dir.path(), &[]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(text.contains("destination `lake`"), "{text}");
    assert!(text.contains("auth: account key"), "{text}");
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    for sub in ["metadata", "logs"] {
        for f in support_files(&dir.path().join(sub)) {
            let content = std::fs::read_to_string(&f).unwrap_or_default();
            assert!(!content.contains(wrong), "{} leaks the key", f.display());
            assert!(
                !content.contains("V3JvbmdLZXl"),
                "{} leaks the key",
                f.display()
            );
        }
    }
    assert!(list(PORT, &c).is_empty(), "no container, no objects");
}

#[test]
fn a_file_of_several_upload_parts_round_trips() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("parts");
    sample_on_azurite(
        dir.path(),
        &c,
        PORT,
        "part_size_mib = 1\nupload_concurrency = 2\n",
    );
    // One FULL job of all orders in a single file.
    let mut header = support::HEADER.to_vec();
    header.push("source_query");
    let row = vec![
        "orders_one_file",
        "SQLite",
        "demo",
        "",
        "",
        "FULL",
        "Y",
        c.as_str(),
        "big",
        "",
        "",
        "200000",
        "1",
        "lake",
        "SELECT * FROM orders ORDER BY order_id",
    ];
    support::write_workbook(&dir.path().join("ingestion_config.xlsx"), &header, &[row]);
    let out = run(dir.path(), &[]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let objects = list(PORT, &c);
    let (path, size) = objects
        .iter()
        .filter(|(p, _)| p.ends_with(".parquet"))
        .max_by_key(|(_, s)| **s)
        .expect("a parquet file");
    // More than two 1 MiB parts: the upload took at least three blocks.
    assert!(
        *size > 2 * 1024 * 1024,
        "{path} is only {size} bytes: {objects:?}"
    );
    let file = download(PORT, &c, path, dir.path());
    assert_eq!(std::fs::metadata(&file).unwrap().len(), *size);
    let batches = support::read_parquet(&file);
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 120000);
    let ids = batches
        .iter()
        .map(|b| {
            let col = b.column(0);
            let ints = col
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .expect("order_id is Int64");
            ints.iter().map(|v| v.unwrap_or(0)).sum::<i64>()
        })
        .sum::<i64>();
    assert_eq!(ids, (1..=120000i64).sum::<i64>());
}
