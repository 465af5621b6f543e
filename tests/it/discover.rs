//! `ingest discover` (issue 14 §1) on SQLite: a new workbook from the template, and rows
//! appended to an existing one, read back with an independent reader (Python openpyxl).

use crate::openpyxl::{by_header, dump, python};
use crate::support::{self, code, ingest, text};
use serde_json::Value;
use sqlx::{Connection, Executor, SqliteConnection};
use std::path::Path;

async fn sqlite(path: &Path, sql: &str) {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let mut c = SqliteConnection::connect_with(&opts).await.expect("sqlite");
    c.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())))
        .await
        .expect("sqlite setup");
}

const ODD_TABLES: &str = r#"
CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL, updated_at TIMESTAMP NOT NULL);
INSERT INTO orders (total, updated_at) VALUES (1.5, '2024-01-01 10:00:00'), (2.5, '2024-01-02 10:00:00');
CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT, created_at TIMESTAMP);
CREATE TABLE codes (code TEXT PRIMARY KEY, label TEXT);
CREATE VIEW v_orders AS SELECT id, total FROM orders;
CREATE TABLE "Order Lines" ("Line No" INTEGER NOT NULL, "Order" INTEGER NOT NULL, PRIMARY KEY ("Order", "Line No"));
CREATE TABLE "o""q" (x INTEGER);
CREATE TABLE "MixedCase" ("Id" INTEGER PRIMARY KEY, "LastModified" DATETIME NOT NULL);
"#;

fn proposals(out: &std::process::Output) -> Vec<Value> {
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)));
    doc["proposals"].as_array().expect("proposals").clone()
}

fn find<'a>(ps: &'a [Value], table: &str) -> &'a Value {
    ps.iter()
        .find(|p| p["table_name"] == table)
        .unwrap_or_else(|| panic!("no proposal for {table}: {ps:#?}"))
}

#[test]
fn sqlite_discover_writes_the_template_with_one_reviewed_row_per_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sqlite(&db, ODD_TABLES));
    std::fs::write(
        dir.path().join("secrets.toml"),
        "[sources.lite]\ntype = \"sqlite\"\npath = \"app.sqlite\"\n",
    )
    .unwrap();
    let args = [
        "--secrets",
        "secrets.toml",
        "discover",
        "--source",
        "lite",
        "--out",
        "jobs.xlsx",
        "--output",
        "json",
    ];
    let out = ingest(dir.path(), &args);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let ps = proposals(&out);
    assert_eq!(ps.len(), 7, "{ps:#?}");
    let orders = find(&ps, "orders");
    assert_eq!(
        (
            orders["load_type"].as_str(),
            orders["watermark_column"].as_str()
        ),
        (Some("INCREMENTAL"), Some("updated_at"))
    );
    assert_eq!(
        (
            orders["primary_key"].as_str(),
            orders["partition_column"].as_str()
        ),
        (Some("id"), Some("id"))
    );
    assert_eq!(orders["rows_estimate"], 2);
    assert_eq!(orders["job_id"], "lite_orders");
    assert_eq!(orders["target_folder_path"], "lite");
    let events = find(&ps, "events");
    assert_eq!(
        (
            events["load_type"].as_str(),
            events["watermark_column"].as_str()
        ),
        (Some("INCREMENTAL"), Some("id")),
        "rowid identity, created_at is nullable"
    );
    assert!(
        events["notes"].as_str().unwrap().contains("identity"),
        "{events}"
    );
    let codes = find(&ps, "codes");
    assert_eq!(
        (
            codes["load_type"].as_str(),
            codes["partition_column"].as_str()
        ),
        (Some("FULL"), None)
    );
    assert!(
        codes["notes"]
            .as_str()
            .unwrap()
            .contains("FULL: no cursor column"),
        "{codes}"
    );
    let view = find(&ps, "v_orders");
    assert_eq!(
        (
            view["load_type"].as_str(),
            view["kind"].as_str(),
            view["primary_key"].as_str()
        ),
        (Some("FULL"), Some("view"), None)
    );
    let lines = find(&ps, "\"Order Lines\"");
    // Generated SQL always quotes: a reserved word needs no quotes in the workbook.
    assert_eq!(lines["primary_key"], "Order,\"Line No\"");
    assert_eq!(lines["job_id"], "lite_Order_Lines");
    find(&ps, "\"o\"\"q\"");
    let mixed = find(&ps, "MixedCase");
    assert_eq!(mixed["watermark_column"], "LastModified");
    assert!(ps.iter().all(|p| p["enabled"] == "N"));

    // The written workbook is the template, and it validates.
    let out = ingest(dir.path(), &["validate", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("7 jobs (0 enabled)") && !text(&out).contains("warning"),
        "{}",
        text(&out)
    );
    if let Some(py) = python() {
        let d = dump(&py, &dir.path().join("jobs.xlsx"));
        let header = &d["rows"][0];
        assert!(
            header
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["bold"] == true && c["note"].is_string()),
            "{header}"
        );
        assert_eq!(d["freeze"], "A2");
        assert!(d["validations"].as_array().unwrap().len() >= 4, "{d}");
        let rows = by_header(&d);
        assert_eq!(rows.len(), 7);
        let o = rows.iter().find(|r| r["table_name"] == "orders").unwrap();
        assert_eq!(o["chunk_size"], "100000");
        assert!(o["notes"].starts_with("INCREMENTAL on updated_at"), "{o:?}");
    }
    // Never overwritten without --force.
    let before = std::fs::read(dir.path().join("jobs.xlsx")).unwrap();
    let out = ingest(dir.path(), &args[..7]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(std::fs::read(dir.path().join("jobs.xlsx")).unwrap(), before);
    let mut forced = args[..7].to_vec();
    forced.push("--force");
    assert_eq!(code(&ingest(dir.path(), &forced)), 0);
}

#[test]
fn tables_glob_selects_ignoring_case() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.sqlite");
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sqlite(&db, ODD_TABLES));
    std::fs::write(
        dir.path().join("secrets.toml"),
        "[sources.lite]\ntype = \"sqlite\"\npath = \"app.sqlite\"\n",
    )
    .unwrap();
    let out = ingest(
        dir.path(),
        &[
            "--secrets",
            "secrets.toml",
            "discover",
            "--source",
            "lite",
            "--tables",
            "ORD*,mixed?ase",
            "--output",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let mut names: Vec<String> = proposals(&out)
        .iter()
        .map(|p| p["table_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["\"Order Lines\"", "MixedCase", "orders"]);
    let out = ingest(
        dir.path(),
        &[
            "--secrets",
            "secrets.toml",
            "discover",
            "--source",
            "lite",
            "--tables",
            "nothing*",
        ],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let out = ingest(
        dir.path(),
        &["--secrets", "secrets.toml", "discover", "--source", "nope"],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no [sources.nope]"), "{}", text(&out));
}

/// Every zip entry of an .xlsx, by name.
fn parts(path: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            (e.name().unwrap().to_string(), b)
        })
        .collect()
}

#[test]
fn append_adds_rows_below_and_keeps_existing_rows_and_formatting() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(dir.path(), &["generate-sample", "--dir", "cfg"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let book = dir.path().join("cfg").join("ingestion_config.xlsx");
    // The sample's demo source gains tables; customers and orders are already in the workbook.
    tokio::runtime::Runtime::new().unwrap().block_on(sqlite(
        &dir.path().join("cfg").join("demo.sqlite"),
        r#"CREATE TABLE "Order Lines" (id INTEGER PRIMARY KEY, "Modified At" TIMESTAMP NOT NULL);
           CREATE TABLE Customers_Archive (customer_id INTEGER, name TEXT);"#,
    ));
    let before = dump(&py, &book);
    let parts_before = parts(&book);
    let out = ingest(
        dir.path(),
        &[
            "discover",
            "--source",
            "DEMO",
            "--append-to",
            "cfg/ingestion_config.xlsx",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("skipped customers: already in the workbook")
            && t.contains("skipped orders: already in the workbook"),
        "{t}"
    );
    let after = dump(&py, &book);
    let (b, a) = (
        before["rows"].as_array().unwrap(),
        after["rows"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len() + 2, "two rows appended: {after}");
    assert_eq!(
        &a[..b.len()],
        &b[..],
        "existing rows: values, bold, number formats and notes unchanged"
    );
    assert_eq!(after["freeze"], before["freeze"]);
    assert_eq!(after["validations"], before["validations"]);
    assert_eq!(after["sheets"], before["sheets"]);
    let rows = by_header(&after);
    let new: Vec<_> = rows[rows.len() - 2..].to_vec();
    assert_eq!(new[0]["table_name"], "Customers_Archive");
    assert_eq!(new[0]["load_type"], "FULL");
    assert_eq!(new[1]["table_name"], "\"Order Lines\"");
    assert_eq!(new[1]["watermark_column"], "\"Modified At\"");
    assert_eq!(new[1]["enabled"], "N");
    // Only the sheet's part changed; every other part is byte for byte the same.
    let parts_after = parts(&book);
    assert_eq!(
        parts_after.keys().collect::<Vec<_>>(),
        parts_before.keys().collect::<Vec<_>>()
    );
    let changed: Vec<_> = parts_after
        .iter()
        .filter(|(k, v)| parts_before[*k] != **v)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(changed, ["xl/worksheets/sheet1.xml"]);
    let out = ingest(
        dir.path(),
        &["validate", "--config", "cfg/ingestion_config.xlsx"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Again: everything is in the workbook now, nothing changes.
    let bytes = std::fs::read(&book).unwrap();
    let out = ingest(
        dir.path(),
        &[
            "discover",
            "--source",
            "demo",
            "--append-to",
            "cfg/ingestion_config.xlsx",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("0 rows written"), "{}", text(&out));
    assert_eq!(std::fs::read(&book).unwrap(), bytes);
}

#[test]
fn append_to_a_workbook_without_a_notes_column_adds_it_to_the_header() {
    let dir = tempfile::tempdir().unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sqlite(&dir.path().join("app.sqlite"), ODD_TABLES));
    std::fs::write(dir.path().join("secrets.toml"), "[sources.lite]\ntype = \"sqlite\"\npath = \"app.sqlite\"\n\n[destinations.output]\npath = \"out\"\n").unwrap();
    let existing = support::job_row(
        "lite_orders",
        "SQLite",
        "lite",
        "",
        "ORDERS",
        "FULL",
        "",
        "",
        "",
        "",
    );
    support::write_workbook(&dir.path().join("jobs.xlsx"), support::HEADER, &[existing]);
    let out = ingest(
        dir.path(),
        &[
            "discover",
            "--source",
            "lite",
            "--append-to",
            "jobs.xlsx",
            "--tables",
            "orders,codes",
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("skipped orders: already in the workbook"),
        "{}",
        text(&out)
    );
    let out = ingest(dir.path(), &["validate", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("2 jobs (1 enabled)"), "{}", text(&out));
    if let Some(py) = python() {
        let rows = by_header(&dump(&py, &dir.path().join("jobs.xlsx")));
        assert_eq!(rows[0]["job_id"], "lite_orders");
        assert_eq!(rows[1]["job_id"], "lite_codes");
        assert!(rows[1]["notes"].contains("FULL"), "{:?}", rows[1]);
        assert!(
            !rows[1].contains_key("partition_column"),
            "a text key: {:?}",
            rows[1]
        );
    }
}
