//! Keyless INCREMENTAL appends into a Delta table across schema changes, on PostgreSQL and
//! MariaDB: the rows sharing the watermark were told apart by a hash of the whole row, and a
//! change of columns must not load them twice. The table is read back by deltalake and polars.
//! Tables are named `it_ddrift_*`.

use super::{python, read};
use crate::drift::{Db, rows_at_one};
use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::Value;
use std::path::Path;

/// A scratch folder: secrets (source `db`, destination `output` = ./out) and one keyless
/// INCREMENTAL job on `c` into a Delta table (`append`, `schema_change` left to its default).
fn scratch(db: Db, table: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.db]\ntype = \"{}\"\nurl = \"{}\"\n\n[destinations.output]\npath = \"out\"\n",
            db.source_type(),
            db.url()
        ),
    )
    .expect("secrets");
    let schema = match db {
        Db::Pg => "public",
        Db::My => "",
    };
    let mut header = HEADER.to_vec();
    header.extend(["target_format", "write_disposition"]);
    let mut row = job_row(
        "ddrift",
        db.source_type(),
        "db",
        schema,
        table,
        "INCREMENTAL",
        "c",
        "",
        "1000",
        "1",
    );
    row.extend(["delta", "append"]);
    support::write_workbook(&dir.path().join("jobs.xlsx"), &header, &[row]);
    dir
}

/// Create `table` (`id int NOT NULL, c int, {columns}`, no key) with `rows`.
fn create(db: Db, table: &str, columns: &str, rows: &str) -> bool {
    db.sql(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int NOT NULL, c int, {columns}); INSERT INTO {table} VALUES {rows};"
    ))
}

/// Run the job; its output.
fn run(p: &Path) -> std::process::Output {
    ingest(p, &["run", "--config", "jobs.xlsx"])
}

fn ok(p: &Path) -> String {
    let out = run(p);
    assert_eq!(code(&out), 0, "{}", text(&out));
    text(&out)
}

/// The table as both readers see it.
fn table(py: &Path, p: &Path, name: &str) -> Value {
    let uri = p.join(format!("out/raw/lake/db_{name}"));
    read(py, &uri.display().to_string(), &Value::Null, None, "ddrift")
}

/// Every `id` in the table, sorted (a row loaded twice shows twice).
fn ids(doc: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    v.sort_unstable();
    v
}

fn add_column(db: Db) {
    let Some(py) = python() else { return };
    let t = "it_ddrift_add";
    if !create(
        db,
        t,
        "v text",
        &rows_at_one(1..=100, |g| format!("'v{g}'")),
    ) {
        return;
    }
    let dir = scratch(db, t);
    let p = dir.path();
    ok(p);
    assert_eq!(ids(&table(&py, p, t)), (1..=100).collect::<Vec<_>>());
    db.sql(&format!(
        "ALTER TABLE {t} ADD COLUMN extra int; INSERT INTO {t} VALUES (101, 1, 'at the watermark', 7), (102, 2, 'after', NULL), (103, 2, 'after', 8);"
    ));
    let log = ok(p);
    assert!(log.contains("extra"), "the change is reported: {log}");
    let doc = table(&py, p, t);
    assert_eq!(
        ids(&doc),
        (1..=103).collect::<Vec<_>>(),
        "the 100 rows at the watermark are not loaded again, the new row at it is"
    );
    assert_eq!(doc["schema"]["extra"], "integer", "{doc}");
    db.sql(&format!(
        "INSERT INTO {t} VALUES (104, 2, 'same watermark', 9);"
    ));
    ok(p);
    assert_eq!(ids(&table(&py, p, t)), (1..=104).collect::<Vec<_>>());
}

fn drop_column(db: Db) {
    let Some(py) = python() else { return };
    let t = "it_ddrift_drop";
    let rows = rows_at_one(1..=100, |g| format!("'v{}', 'w{g}'", g % 3));
    if !create(db, t, "v text, w text", &rows) {
        return;
    }
    let dir = scratch(db, t);
    let p = dir.path();
    ok(p);
    db.sql(&format!(
        "ALTER TABLE {t} DROP COLUMN w; INSERT INTO {t} VALUES (101, 1, 'v1'), (102, 2, 'v2');"
    ));
    let log = ok(p);
    let doc = table(&py, p, t);
    assert_eq!(
        ids(&doc),
        (1..=102).collect::<Vec<_>>(),
        "rows at the watermark whose hashed column `w` is gone are not loaded again"
    );
    assert!(
        log.contains("read back"),
        "rows at the watermark read back: {log}"
    );
    assert!(doc["schema"].get("w").is_some(), "a dropped column stays");
    db.sql(&format!("INSERT INTO {t} VALUES (103, 2, 'v0');"));
    ok(p);
    assert_eq!(ids(&table(&py, p, t)), (1..=103).collect::<Vec<_>>());
}

fn widen_is_refused(db: Db) {
    let Some(py) = python() else { return };
    let t = "it_ddrift_widen";
    if !create(db, t, "v text", &rows_at_one(1..=30, |g| format!("'v{g}'"))) {
        return;
    }
    let dir = scratch(db, t);
    let p = dir.path();
    ok(p);
    db.sql(&format!(
        "ALTER TABLE {t} {}; INSERT INTO {t} VALUES (31, 1, 'v31'), (32, 2, 'v32');",
        db.retype("id", "bigint")
    ));
    let out = run(p);
    let log = text(&out);
    assert_eq!(code(&out), 1, "{log}");
    assert!(
        log.contains("column `id` changed type from integer to long")
            && log.contains("--full-refresh"),
        "{log}"
    );
    let doc = table(&py, p, t);
    assert_eq!(doc["version"], 0, "nothing committed");
    assert_eq!(ids(&doc), (1..=30).collect::<Vec<_>>());
}

/// A table whose last commit was written before commits recorded the columns their boundary
/// keys were hashed over: the rows at the watermark are read back from the table.
fn legacy_commit(db: Db) {
    let Some(py) = python() else { return };
    let t = "it_ddrift_legacy";
    if !create(
        db,
        t,
        "v text",
        &rows_at_one(1..=100, |g| format!("'v{g}'")),
    ) {
        return;
    }
    let dir = scratch(db, t);
    let p = dir.path();
    ok(p);
    let log0 = p.join(format!(
        "out/raw/lake/db_{t}/_delta_log/00000000000000000000.json"
    ));
    let lines: Vec<String> = std::fs::read_to_string(&log0)
        .expect("log")
        .lines()
        .map(|line| {
            let mut action: Value = serde_json::from_str(line).expect("action");
            if let Some(info) = action["commitInfo"]["ingest"].as_object_mut() {
                let hashed = info.remove("boundary_columns");
                assert_eq!(hashed, Some(serde_json::json!(["id", "c", "v"])));
                let schema = info
                    .remove("schema")
                    .expect("the commit records its columns");
                assert_eq!(schema[2]["name"], "v", "{schema}");
            }
            action.to_string()
        })
        .collect();
    std::fs::write(&log0, lines.join("\n") + "\n").expect("log written");
    db.sql(&format!(
        "ALTER TABLE {t} ADD COLUMN extra int DEFAULT 5; INSERT INTO {t} VALUES (101, 1, 'at the watermark', 7), (102, 2, 'after', 8);"
    ));
    let log = ok(p);
    assert_eq!(
        ids(&table(&py, p, t)),
        (1..=102).collect::<Vec<_>>(),
        "an older commit: the rows at the watermark are read back, not loaded again"
    );
    assert!(
        log.contains("does not record which columns"),
        "read back for want of a record: {log}"
    );
}

/// After `ingest maintain` compacted the loads at the watermark into a file delta-rs wrote,
/// the rows read back from that file still match.
fn drop_after_maintain(db: Db) {
    let Some(py) = python() else { return };
    let t = "it_ddrift_optimized";
    let rows = |r| rows_at_one(r, |g| format!("'v{}', 'w{g}'", g % 3));
    if !create(db, t, "v text, w text", &rows(1..=50)) {
        return;
    }
    let dir = scratch(db, t);
    let p = dir.path();
    ok(p);
    db.sql(&format!("INSERT INTO {t} VALUES {};", rows(51..=100)));
    ok(p);
    let out = ingest(p, &["maintain", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc = table(&py, p, t);
    assert_eq!(
        doc["files"], 1,
        "the two loads compacted into one file: {doc}"
    );
    db.sql(&format!(
        "ALTER TABLE {t} DROP COLUMN w; INSERT INTO {t} VALUES (101, 1, 'v1'), (102, 2, 'v2');"
    ));
    ok(p);
    assert_eq!(ids(&table(&py, p, t)), (1..=102).collect::<Vec<_>>());
}

macro_rules! both {
    ($($name:ident => $body:expr;)*) => {
        mod postgres {
            use super::*;
            $(#[test] fn $name() { $body(Db::Pg) })*
        }
        mod mysql {
            use super::*;
            $(#[test] fn $name() { $body(Db::My) })*
        }
    };
}

both! {
    keyless_add_column_loads_the_rows_at_the_watermark_once => add_column;
    keyless_drop_column_loads_the_rows_at_the_watermark_once => drop_column;
    widening_a_column_is_refused => widen_is_refused;
    an_older_commit_without_boundary_columns_reads_the_rows_back => legacy_commit;
    a_drop_after_maintain_reads_the_compacted_file_back => drop_after_maintain;
}
