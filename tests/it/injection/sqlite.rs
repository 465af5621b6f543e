//! SQLite: a table and columns whose names are SQL fragments (one named in SQL Server
//! `[…]` style) load exactly, FULL in parallel chunks and INCREMENTAL; the sentinel survives,
//! also against a `source_query` or `query_filter` that tries to break out of its statement.

use super::{Job, expected, ingest, rows_under, scratch};
use crate::support;
use sqlx::{Connection, Executor, Row};
use std::path::Path;

fn exec(db: &Path, sql: &str) {
    let url = format!("sqlite://{}?mode=rwc", db.display());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            c.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())))
                .await?;
            c.close().await
        })
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

fn sentinel(db: &Path) -> i64 {
    let url = format!("sqlite://{}", db.display());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            sqlx::query("SELECT count(*) FROM sentinel")
                .fetch_one(&mut c)
                .await
                .map(|r| r.get::<i64, _>(0))
        })
        .expect("the sentinel table still exists")
}

const SETUP: &str = r#"
CREATE TABLE sentinel (id INTEGER);
INSERT INTO sentinel VALUES (42);
CREATE TABLE "o""; DROP TABLE sentinel; --" (
    "x""y" INTEGER PRIMARY KEY,
    "Robert'); DROP TABLE sentinel; --" TEXT,
    "w""); DELETE FROM sentinel; --" INTEGER,
    "a]b" INTEGER
);
INSERT INTO "o""; DROP TABLE sentinel; --" VALUES
    (1, 'a', 10, 100), (2, 'it''s "q"', 20, 200), (3, NULL, 30, 300), (4, '--', 30, 400);
"#;

const SOURCES: &str = "[sources.lite]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n";
const C_KEY: &str = "x\"y";
const C_TEXT: &str = "Robert'); DROP TABLE sentinel; --";
const C_W: &str = "w\"); DELETE FROM sentinel; --";

#[test]
fn hostile_quoted_names_load_exactly_and_drop_nothing() {
    let table = r#""o""; DROP TABLE sentinel; --""#;
    let jobs = [
        Job {
            key: r#""x""y""#,
            parallelism: "3",
            partition: "[a]]b]",
            ..Job::full("inj_lite_full", "SQLite", "lite", table, "full")
        },
        Job {
            load: "INCREMENTAL",
            watermark: r#""w""); DELETE FROM sentinel; --""#,
            key: r#""x""y""#,
            ..Job::full("inj_lite_incr", "SQLite", "lite", table, "incr")
        },
    ];
    let dir = scratch(SOURCES, &jobs);
    let db = dir.path().join("db.sqlite");
    exec(&db, SETUP);
    let out = ingest(dir.path(), &["run"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let all = [
        [(C_KEY, "1"), (C_TEXT, "a"), (C_W, "10"), ("a]b", "100")],
        [
            (C_KEY, "2"),
            (C_TEXT, "it's \"q\""),
            (C_W, "20"),
            ("a]b", "200"),
        ],
        [(C_KEY, "3"), (C_TEXT, "NULL"), (C_W, "30"), ("a]b", "300")],
        [(C_KEY, "4"), (C_TEXT, "--"), (C_W, "30"), ("a]b", "400")],
    ];
    let mut all: Vec<&[(&str, &str)]> = all.iter().map(|r| &r[..]).collect();
    let raw = dir.path().join("out/raw");
    assert_eq!(rows_under(&raw.join("full")), expected(&all));
    assert!(
        support::parquet_files(&raw.join("full")).len() > 1,
        "the FULL job was split into chunks on the hostile partition column"
    );
    assert_eq!(rows_under(&raw.join("incr")), expected(&all));

    exec(
        &db,
        r#"INSERT INTO "o""; DROP TABLE sentinel; --" VALUES (5, 'e', 31, 500);"#,
    );
    let out = ingest(dir.path(), &["run", "--jobs", "inj_lite_incr"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let fifth = [(C_KEY, "5"), (C_TEXT, "e"), (C_W, "31"), ("a]b", "500")];
    all.push(&fifth);
    assert_eq!(rows_under(&raw.join("incr")), expected(&all));
    assert_eq!(sentinel(&db), 1);
}

#[test]
fn a_source_query_or_filter_breaking_out_drops_nothing() {
    let query = "SELECT 1 AS one) AS src; DROP TABLE sentinel; SELECT * FROM (SELECT 1 AS one";
    // SQLite runs every statement of a text, so this one relies on the read-only connection.
    let filter = "1=1); DROP TABLE sentinel; SELECT * FROM sentinel WHERE (1=1";
    let jobs = [
        Job {
            query,
            ..Job::full("inj_lite_query", "SQLite", "lite", "", "q")
        },
        Job {
            filter,
            ..Job::full("inj_lite_filter", "SQLite", "lite", "sentinel", "f")
        },
    ];
    let dir = scratch(SOURCES, &jobs);
    let db = dir.path().join("db.sqlite");
    exec(
        &db,
        "CREATE TABLE sentinel (id INTEGER); INSERT INTO sentinel VALUES (7);",
    );
    let out = ingest(dir.path(), &["run", "--max-retries", "0"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert_eq!(text.matches("FAILED").count(), 4, "both jobs fail:\n{text}");
    assert_eq!(sentinel(&db), 1);
}
