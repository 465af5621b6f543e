//! Schema drift between runs (columns added, dropped, widened or changed) on PostgreSQL and
//! MariaDB, keyed and keyless. Tables are named `it_drift_*`; counts are read back from the
//! Parquet files the manifests list.

use crate::support::{self, HEADER, job_row};
use arrow::array::AsArray;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;
use std::path::{Path, PathBuf};

/// The server a test runs on (also used by the Delta drift tests).
#[derive(Clone, Copy)]
pub(crate) enum Db {
    Pg,
    My,
}

impl Db {
    pub(crate) fn url(self) -> String {
        match self {
            Db::Pg => std::env::var("INGEST_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
            Db::My => std::env::var("INGEST_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
        }
    }

    /// Run SQL; false (after `service_missing`) when the server is not reachable.
    pub(crate) fn sql(self, sql: &str) -> bool {
        let name = match self {
            Db::Pg => "PostgreSQL",
            Db::My => "MariaDB/MySQL",
        };
        support::admin_sql(name, &self.url(), sql)
    }

    pub(crate) fn source_type(self) -> &'static str {
        match self {
            Db::Pg => "postgresql",
            Db::My => "mysql",
        }
    }

    /// `ALTER TABLE` clause changing a column's type.
    pub(crate) fn retype(self, column: &str, ty: &str) -> String {
        match self {
            Db::Pg => format!("ALTER COLUMN {column} TYPE {ty} USING {column}::{ty}"),
            Db::My => format!("MODIFY {column} {ty}"),
        }
    }
}

/// A scratch folder: secrets (source `db`, destination `output` = ./out) and a one-job
/// workbook (INCREMENTAL on `c`, key `g` when keyed) with a `schema_change` column.
fn scratch(db: Db, table: &str, keyed: bool, policy: &str) -> tempfile::TempDir {
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
    let mut header = HEADER.to_vec();
    header.push("schema_change");
    let schema = match db {
        Db::Pg => "public",
        Db::My => "",
    };
    let key = if keyed { "g" } else { "" };
    let mut row = job_row(
        "drift",
        db.source_type(),
        "db",
        schema,
        table,
        "INCREMENTAL",
        "c",
        key,
        "1000",
        "1",
    );
    row.push(policy);
    support::write_workbook(&dir.path().join("jobs.xlsx"), &header, &[row]);
    dir
}

fn run(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--config", "jobs.xlsx"];
    args.extend_from_slice(extra);
    support::ingest(dir, &args)
}

fn ok(dir: &Path) -> String {
    let out = run(dir, &[]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 0, "{text}");
    text
}

/// The manifests of the table, parsed, oldest first.
fn manifests(dir: &Path) -> Vec<serde_json::Value> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.join("out")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json")
                && p.parent().is_some_and(|f| f.ends_with("_ingest_loads"))
            {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).expect("manifest")).expect("json"))
        .collect()
}

/// The batches of every file a manifest lists (what a reader of the lake sees).
fn committed(dir: &Path) -> Vec<RecordBatch> {
    manifests(dir)
        .iter()
        .flat_map(|m| {
            m["files"]
                .as_array()
                .expect("files")
                .iter()
                .map(|f| dir.join("out/raw").join(f["path"].as_str().expect("path")))
                .collect::<Vec<_>>()
        })
        .flat_map(|f| support::read_parquet(&f))
        .collect()
}

/// Every committed value of `g` (as i64), sorted.
fn g_values(dir: &Path) -> Vec<i64> {
    let mut v: Vec<i64> = committed(dir)
        .iter()
        .flat_map(|b| {
            let g = cast(b.column_by_name("g").expect("g"), &DataType::Int64).expect("cast");
            let g = g.as_primitive::<Int64Type>().clone();
            (0..g.len()).map(move |i| g.value(i))
        })
        .collect();
    v.sort_unstable();
    v
}

/// Everything a failed run must leave as it was: state, watermarks and every file of the lake
/// (its lease and audit records aside).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("out"), dir.join("metadata/state")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let coordination = p.ends_with("_ingest_leases") || p.ends_with("_ingest_audit");
            if p.is_dir() && !coordination {
                stack.push(p);
            } else if !p.is_dir() {
                out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.push((
        "watermarks".into(),
        std::fs::read(dir.join("metadata/watermarks.json")).unwrap_or_default(),
    ));
    out.sort();
    out
}

fn create(db: Db, table: &str, keyed: bool, columns: &str, rows: &str) -> bool {
    let pk = if keyed { " PRIMARY KEY" } else { "" };
    db.sql(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (g int NOT NULL{pk}, c int, {columns}); INSERT INTO {table} VALUES {rows};"
    ))
}

/// `n` rows `(g, 1, …)` all at the watermark 1: `each(g)` gives the other values.
pub(crate) fn rows_at_one(
    range: std::ops::RangeInclusive<i64>,
    each: impl Fn(i64) -> String,
) -> String {
    range
        .map(|g| format!("({g}, 1, {})", each(g)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn add_column(db: Db, keyed: bool) {
    let t = format!("it_drift_add_{}", if keyed { "k" } else { "n" });
    if !create(
        db,
        &t,
        keyed,
        "v text",
        &rows_at_one(1..=100, |g| format!("'v{g}'")),
    ) {
        return;
    }
    let dir = scratch(db, &t, keyed, "");
    ok(dir.path());
    assert_eq!(g_values(dir.path()), (1..=100).collect::<Vec<_>>());
    db.sql(&format!(
        "ALTER TABLE {t} ADD COLUMN extra int; INSERT INTO {t} VALUES (101, 1, 'at the watermark', 7), (102, 2, 'after', NULL), (103, 2, 'after', 8);"
    ));
    let text = ok(dir.path());
    assert_eq!(
        g_values(dir.path()),
        (1..=103).collect::<Vec<_>>(),
        "the 100 boundary rows are not loaded again, the new row at the watermark is"
    );
    assert!(
        text.contains("added `extra` (Int32)"),
        "one warning: {text}"
    );
    let last = manifests(dir.path()).pop().expect("manifest");
    assert_eq!(last["schema_change"]["added"][0]["name"], "extra", "{last}");
    let audit = std::fs::read_to_string(dir.path().join("metadata/audit_log.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(line["schema_change"]["added"][0]["name"], "extra", "{line}");
    db.sql(&format!(
        "INSERT INTO {t} VALUES (104, 2, 'same watermark', 9);"
    ));
    ok(dir.path());
    assert_eq!(g_values(dir.path()), (1..=104).collect::<Vec<_>>());
}

fn drop_column(db: Db, keyed: bool) {
    let t = format!("it_drift_drop_{}", if keyed { "k" } else { "n" });
    let rows = rows_at_one(1..=50, |g| format!("'v{}', 'w{g}'", g % 3));
    if !create(db, &t, keyed, "v text, w text", &rows) {
        return;
    }
    let dir = scratch(db, &t, keyed, "evolve");
    ok(dir.path());
    db.sql(&format!(
        "ALTER TABLE {t} DROP COLUMN w; INSERT INTO {t} VALUES (51, 1, 'v1'), (52, 2, 'v2');"
    ));
    let text = ok(dir.path());
    assert_eq!(g_values(dir.path()), (1..=52).collect::<Vec<_>>());
    assert!(text.contains("dropped `w` (Utf8)"), "{text}");
}

fn widen(db: Db, keyed: bool) {
    let t = format!("it_drift_widen_{}", if keyed { "k" } else { "n" });
    let rows = rows_at_one(1..=30, |g| format!("{g}.25"));
    if !create(db, &t, keyed, "amount numeric(10,2)", &rows) {
        return;
    }
    let dir = scratch(db, &t, keyed, "");
    ok(dir.path());
    db.sql(&format!(
        "ALTER TABLE {t} {}, {}; INSERT INTO {t} VALUES (31, 1, 31.25), (32, 2, 1234567890.12);",
        db.retype("g", "bigint"),
        db.retype("amount", "numeric(12,2)")
    ));
    let text = ok(dir.path());
    assert!(text.contains("widened `g` from Int32 to Int64"), "{text}");
    assert!(
        text.contains("widened `amount` from Decimal128(10, 2) to Decimal128(12, 2)"),
        "{text}"
    );
    assert_eq!(g_values(dir.path()), (1..=32).collect::<Vec<_>>());
}

fn incompatible(db: Db, keyed: bool) {
    let t = format!("it_drift_incompat_{}", if keyed { "k" } else { "n" });
    if !create(
        db,
        &t,
        keyed,
        "v text",
        &rows_at_one(1..=20, |g| format!("'{g}'")),
    ) {
        return;
    }
    let dir = scratch(db, &t, keyed, "");
    ok(dir.path());
    db.sql(&format!(
        "ALTER TABLE {t} {}; INSERT INTO {t} VALUES (21, 2, 21);",
        db.retype("v", "integer")
    ));
    let before = snapshot(dir.path());
    let out = run(dir.path(), &[]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains("column `v` changed type from Utf8 to Int32")
            && text.contains("--full-refresh"),
        "{text}"
    );
    assert_eq!(snapshot(dir.path()), before, "state and lake untouched");
    let out = run(dir.path(), &["--full-refresh"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(g_values(dir.path()), (1..=21).collect::<Vec<_>>());
}

fn policy_fail(db: Db) {
    let t = "it_drift_fail";
    if !create(
        db,
        t,
        false,
        "v text",
        &rows_at_one(1..=5, |g| format!("'v{g}'")),
    ) {
        return;
    }
    let dir = scratch(db, t, false, "fail");
    ok(dir.path());
    db.sql(&format!(
        "ALTER TABLE {t} ADD COLUMN extra int; INSERT INTO {t} VALUES (6, 2, 'x', 1);"
    ));
    let before = snapshot(dir.path());
    let out = run(dir.path(), &[]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains("schema_change = fail") && text.contains("added `extra` (Int32)"),
        "{text}"
    );
    assert_eq!(snapshot(dir.path()), before, "state and lake untouched");
    assert_eq!(g_values(dir.path()), (1..=5).collect::<Vec<_>>());
}

macro_rules! both {
    ($($name:ident => $body:expr;)*) => {
        mod postgres {
            use super::*;
            $(#[test] fn $name() { let db = Db::Pg; $body(db) })*
        }
        mod mysql {
            use super::*;
            $(#[test] fn $name() { let db = Db::My; $body(db) })*
        }
    };
}

both! {
    keyless_add_column_loads_boundary_rows_once => |db| add_column(db, false);
    keyed_add_column => |db| add_column(db, true);
    keyless_drop_column_loads_boundary_rows_once => |db| drop_column(db, false);
    keyed_drop_column => |db| drop_column(db, true);
    keyless_widening_loads => |db| widen(db, false);
    keyed_widening_loads => |db| widen(db, true);
    keyless_incompatible_change_fails_untouched => |db| incompatible(db, false);
    keyed_incompatible_change_fails_untouched => |db| incompatible(db, true);
    schema_change_fail_refuses_an_added_column => policy_fail;
}
