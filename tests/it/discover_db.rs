//! `ingest discover` against PostgreSQL (INGEST_TEST_PG_URL) and MariaDB/MySQL
//! (INGEST_TEST_MYSQL_URL): cursors, identities, views and odd names from the real catalogs;
//! the written workbook validates. Objects are named `it_disc*`.

use crate::openpyxl::{by_header, dump, python};
use crate::support::{self, code, ingest, text};
use serde_json::Value;
use std::path::Path;

fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn mysql_url() -> String {
    std::env::var("INGEST_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn discover(dir: &Path, source: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "--secrets",
        "secrets.toml",
        "discover",
        "--source",
        source,
        "--out",
        "jobs.xlsx",
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = ingest(dir, &args);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    doc["proposals"].as_array().expect("proposals").clone()
}

fn find<'a>(ps: &'a [Value], table: &str) -> &'a Value {
    ps.iter()
        .find(|p| p["table_name"] == table)
        .unwrap_or_else(|| panic!("no proposal for {table}: {ps:#?}"))
}

fn pair<'a>(p: &'a Value, a: &str, b: &str) -> (Option<&'a str>, Option<&'a str>) {
    (p[a].as_str(), p[b].as_str())
}

fn validates(dir: &Path, jobs: usize) {
    let out = ingest(dir, &["validate", "--config", "jobs.xlsx"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert!(
        t.contains(&format!("{jobs} jobs (0 enabled)")) && !t.contains("warning"),
        "{t}"
    );
}

#[test]
fn postgres_catalog_becomes_reviewed_rows_that_validate() {
    let setup = r#"
DROP SCHEMA IF EXISTS it_disc CASCADE;
CREATE SCHEMA it_disc;
CREATE TABLE it_disc.orders (id serial PRIMARY KEY, total numeric(10,2), updated_at timestamp NOT NULL DEFAULT now());
INSERT INTO it_disc.orders (total) SELECT g FROM generate_series(1, 30) g;
ANALYZE it_disc.orders;
CREATE TABLE it_disc.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text, modified_at timestamptz);
CREATE TABLE it_disc.codes (code text PRIMARY KEY, label text);
CREATE VIEW it_disc.v_orders AS SELECT id, total FROM it_disc.orders;
CREATE TABLE it_disc."Order Lines" ("Order" int NOT NULL, "Line No" int NOT NULL, PRIMARY KEY ("Order", "Line No"));
CREATE TABLE it_disc."o""q" (x int);
CREATE TABLE it_disc."MixedCase" ("Id" int PRIMARY KEY, "LastChanged" timestamptz NOT NULL);
"#;
    if !support::admin_sql("PostgreSQL", &pg_url(), setup) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.pg]\ntype = \"postgresql\"\nurl = \"{}\"\n",
            pg_url()
        ),
    )
    .unwrap();
    let ps = discover(dir.path(), "pg", &["--schema", "IT_DISC"]);
    assert_eq!(ps.len(), 7, "{ps:#?}");
    let orders = find(&ps, "orders");
    assert_eq!(
        pair(orders, "load_type", "watermark_column"),
        (Some("INCREMENTAL"), Some("updated_at"))
    );
    assert_eq!(
        pair(orders, "primary_key", "partition_column"),
        (Some("id"), Some("id"))
    );
    assert_eq!(orders["rows_estimate"], 30, "reltuples after ANALYZE");
    assert_eq!(
        pair(orders, "job_id", "target_folder_path"),
        (Some("pg_it_disc_orders"), Some("pg/it_disc"))
    );
    assert_eq!(orders["schema_name"], "it_disc");
    let events = find(&ps, "events");
    assert_eq!(
        pair(events, "load_type", "watermark_column"),
        (Some("INCREMENTAL"), Some("id")),
        "nullable modified_at: identity instead"
    );
    assert_eq!(
        events["rows_estimate"],
        Value::Null,
        "never analyzed: unknown"
    );
    assert!(
        events["notes"]
            .as_str()
            .unwrap()
            .contains("row estimate unknown"),
        "{events}"
    );
    assert_eq!(
        pair(find(&ps, "codes"), "load_type", "partition_column"),
        (Some("FULL"), None)
    );
    let view = find(&ps, "v_orders");
    assert_eq!(
        pair(view, "load_type", "kind"),
        (Some("FULL"), Some("view"))
    );
    assert_eq!(
        find(&ps, "\"Order Lines\"")["primary_key"],
        "\"Order\",\"Line No\""
    );
    find(&ps, "\"o\"\"q\"");
    let mixed = find(&ps, "\"MixedCase\"");
    assert_eq!(
        pair(mixed, "watermark_column", "partition_column"),
        (Some("\"LastChanged\""), Some("\"Id\""))
    );
    assert_eq!(mixed["job_id"], "pg_it_disc_MixedCase");
    validates(dir.path(), 7);
    if let Some(py) = python() {
        let rows = by_header(&dump(&py, &dir.path().join("jobs.xlsx")));
        let o = rows
            .iter()
            .find(|r| r["table_name"] == "orders")
            .expect("orders row");
        assert_eq!(
            (
                o["load_type"].as_str(),
                o["enabled"].as_str(),
                o["target_container"].as_str()
            ),
            ("INCREMENTAL", "N", "raw")
        );
    }
}

#[test]
fn mariadb_catalog_becomes_reviewed_rows_that_validate() {
    let setup = r#"
DROP VIEW IF EXISTS it_disc_v;
DROP TABLE IF EXISTS it_disc_orders, it_disc_events, it_disc_codes, `it_disc Order Lines`, `it_disc_o"q`, it_disc_Mixed;
CREATE TABLE it_disc_orders (id int AUTO_INCREMENT PRIMARY KEY, total decimal(10,2), updated_at datetime(6) NOT NULL);
CREATE TABLE it_disc_events (id bigint AUTO_INCREMENT PRIMARY KEY, payload text, modified_at datetime NULL);
CREATE TABLE it_disc_codes (code varchar(10) PRIMARY KEY, label text);
CREATE VIEW it_disc_v AS SELECT id, total FROM it_disc_orders;
CREATE TABLE `it_disc Order Lines` (`Order` int NOT NULL, `Line No` int NOT NULL, PRIMARY KEY (`Order`, `Line No`));
CREATE TABLE `it_disc_o"q` (x int);
CREATE TABLE it_disc_Mixed (Id int PRIMARY KEY, LastChanged timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);
"#;
    if !support::admin_sql("MariaDB/MySQL", &mysql_url(), setup) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.my]\ntype = \"mysql\"\nurl = \"{}\"\n",
            mysql_url()
        ),
    )
    .unwrap();
    let ps = discover(dir.path(), "my", &["--tables", "IT_DISC*"]);
    assert_eq!(ps.len(), 7, "{ps:#?}");
    let db = mysql_url().rsplit('/').next().unwrap().to_string();
    let orders = find(&ps, "it_disc_orders");
    assert_eq!(
        pair(orders, "load_type", "watermark_column"),
        (Some("INCREMENTAL"), Some("updated_at"))
    );
    assert_eq!(
        pair(orders, "primary_key", "partition_column"),
        (Some("id"), Some("id"))
    );
    assert_eq!(orders["schema_name"], db.as_str());
    assert!(
        orders["rows_estimate"].is_u64(),
        "information_schema.tables.table_rows: {orders}"
    );
    assert_eq!(
        pair(find(&ps, "it_disc_events"), "load_type", "watermark_column"),
        (Some("INCREMENTAL"), Some("id"))
    );
    assert_eq!(find(&ps, "it_disc_codes")["load_type"], "FULL");
    assert_eq!(
        pair(find(&ps, "it_disc_v"), "load_type", "kind"),
        (Some("FULL"), Some("view"))
    );
    assert_eq!(
        find(&ps, "\"it_disc Order Lines\"")["primary_key"],
        "Order,\"Line No\""
    );
    find(&ps, "\"it_disc_o\"\"q\"");
    let mixed = find(&ps, "it_disc_Mixed");
    assert_eq!(
        pair(mixed, "watermark_column", "partition_column"),
        (Some("LastChanged"), Some("Id"))
    );
    validates(dir.path(), 7);
}
