//! PostgreSQL: a schema, table and columns whose names are SQL fragments load exactly (FULL in
//! parallel chunks over the hostile key, INCREMENTAL over the hostile watermark), the
//! sentinel table survives, and a `source_query` or `query_filter` that tries to break out of
//! its statement drops nothing.

use super::{Job, expected, ingest, rows_under, scratch};
use crate::support;
use sqlx::{Connection, Row};

const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// Run SQL; `false` (after `service_missing`) when PostgreSQL is not reachable.
fn exec(sql: &str) -> bool {
    support::admin_sql("PostgreSQL", URL, sql)
}

fn sentinel_rows() -> i64 {
    rt().block_on(async {
        let mut c = sqlx::PgConnection::connect(URL).await.expect("connect");
        sqlx::query("SELECT count(*) FROM it_inj_pg_sentinel")
            .fetch_one(&mut c)
            .await
            .expect("the sentinel table still exists")
            .get::<i64, _>(0)
    })
}

const SETUP: &str = r#"
DROP SCHEMA IF EXISTS "it_inj sch""ema" CASCADE;
CREATE SCHEMA "it_inj sch""ema";
DROP TABLE IF EXISTS it_inj_pg_sentinel;
CREATE TABLE it_inj_pg_sentinel (id int);
INSERT INTO it_inj_pg_sentinel VALUES (42);
CREATE TABLE "it_inj sch""ema"."o""; DROP TABLE it_inj_pg_sentinel; --" (
    "x""y" int PRIMARY KEY,
    "Robert'); DROP TABLE it_inj_pg_sentinel; --" text,
    "w""); DELETE FROM it_inj_pg_sentinel; --" bigint
);
INSERT INTO "it_inj sch""ema"."o""; DROP TABLE it_inj_pg_sentinel; --" VALUES
    (1, 'a', 10), (2, 'it''s "q"', 20), (3, NULL, 30), (4, '--', 30);
"#;

const SCHEMA: &str = r#""it_inj sch""ema""#;
const TABLE: &str = r#""o""; DROP TABLE it_inj_pg_sentinel; --""#;
const KEY: &str = r#""x""y""#;
const WATERMARK: &str = r#""w""); DELETE FROM it_inj_pg_sentinel; --""#;
const C_KEY: &str = "x\"y";
const C_TEXT: &str = "Robert'); DROP TABLE it_inj_pg_sentinel; --";
const C_W: &str = "w\"); DELETE FROM it_inj_pg_sentinel; --";

#[test]
fn hostile_quoted_names_load_exactly_and_drop_nothing() {
    if !exec(SETUP) {
        return;
    }
    let sources =
        "[sources.pg]\ntype = \"postgresql\"\nurl = \"postgres://postgres@127.0.0.1:5432/test\"\n";
    let jobs = [
        Job {
            schema: SCHEMA,
            key: KEY,
            parallelism: "2",
            ..Job::full("inj_pg_full", "PostgreSQL", "pg", TABLE, "full")
        },
        Job {
            schema: SCHEMA,
            load: "INCREMENTAL",
            watermark: WATERMARK,
            key: KEY,
            ..Job::full("inj_pg_incr", "PostgreSQL", "pg", TABLE, "incr")
        },
    ];
    let dir = scratch(sources, &jobs);
    let dry = ingest(dir.path(), &["run", "--dry-run"]);
    let text = support::text(&dry);
    assert_eq!(support::code(&dry), 0, "{text}");
    assert!(
        text.contains(r#"FROM "it_inj sch""ema"."o""; DROP TABLE it_inj_pg_sentinel; --""#),
        "{text}"
    );
    let out = ingest(dir.path(), &["run"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(sentinel_rows(), 1);

    let all = [
        [(C_KEY, "1"), (C_TEXT, "a"), (C_W, "10")],
        [(C_KEY, "2"), (C_TEXT, "it's \"q\""), (C_W, "20")],
        [(C_KEY, "3"), (C_TEXT, "NULL"), (C_W, "30")],
        [(C_KEY, "4"), (C_TEXT, "--"), (C_W, "30")],
    ];
    let all: Vec<&[(&str, &str)]> = all.iter().map(|r| &r[..]).collect();
    let raw = dir.path().join("out/raw");
    assert_eq!(rows_under(&raw.join("full")), expected(&all));
    assert_eq!(rows_under(&raw.join("incr")), expected(&all));

    // The next window starts at the stored watermark; the boundary row (4, w = 30) is not
    // loaded twice, the new one is.
    exec(
        r#"INSERT INTO "it_inj sch""ema"."o""; DROP TABLE it_inj_pg_sentinel; --" VALUES (5, 'e', 31);"#,
    );
    let out = ingest(dir.path(), &["run", "--jobs", "inj_pg_incr"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let mut more = all.clone();
    let fifth = [(C_KEY, "5"), (C_TEXT, "e"), (C_W, "31")];
    more.push(&fifth);
    assert_eq!(rows_under(&raw.join("incr")), expected(&more));
    let state =
        std::fs::read_to_string(dir.path().join("metadata/state/inj_pg_incr.json")).expect("state");
    let state: serde_json::Value = serde_json::from_str(&state).expect("state JSON");
    assert_eq!(state["watermark"]["column"], WATERMARK, "{state}");
    assert_eq!(state["watermark"]["value"], "31", "{state}");
    assert_eq!(sentinel_rows(), 1);
}

#[test]
fn a_source_query_or_filter_breaking_out_drops_nothing() {
    let setup = "DROP TABLE IF EXISTS it_inj_pg_sentinel2; \
                 CREATE TABLE it_inj_pg_sentinel2 (id int); \
                 INSERT INTO it_inj_pg_sentinel2 VALUES (7); \
                 DROP TABLE IF EXISTS it_inj_pg_src; CREATE TABLE it_inj_pg_src (id int); \
                 INSERT INTO it_inj_pg_src VALUES (1);";
    if !exec(setup) {
        return;
    }
    let sources =
        "[sources.pg]\ntype = \"postgresql\"\nurl = \"postgres://postgres@127.0.0.1:5432/test\"\n";
    let query = "SELECT 1 AS one) AS src; DROP TABLE it_inj_pg_sentinel2; \
                 SELECT * FROM (SELECT 1 AS one";
    // The filter aims at the binary COPY statement, which PostgreSQL receives as simple query.
    let filter = "true)) TO STDOUT (FORMAT binary); COMMIT; DROP TABLE it_inj_pg_sentinel2; \
                  COPY (SELECT 1 WHERE (true";
    let jobs = [
        Job {
            query,
            ..Job::full("inj_pg_query", "PostgreSQL", "pg", "", "q")
        },
        Job {
            filter,
            ..Job::full(
                "inj_pg_filter",
                "PostgreSQL",
                "pg",
                "it_inj_pg_sentinel2",
                "f",
            )
        },
    ];
    let dir = scratch(sources, &jobs);
    let out = ingest(dir.path(), &["run", "--max-retries", "0"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert_eq!(text.matches("FAILED").count(), 4, "both jobs fail:\n{text}");
    let n = rt().block_on(async {
        let mut c = sqlx::PgConnection::connect(URL).await.expect("connect");
        sqlx::query("SELECT count(*) FROM it_inj_pg_sentinel2")
            .fetch_one(&mut c)
            .await
            .expect("the sentinel table still exists")
            .get::<i64, _>(0)
    });
    assert_eq!(n, 1);
}
