//! MariaDB: a table and columns whose names hold backticks and SQL fragments, named in the
//! workbook with `"…"` and `` `…` `` quoting, load exactly (FULL in parallel chunks,
//! INCREMENTAL); the sentinel table survives, and so it does against a `source_query` or a
//! `query_filter` that tries to break out of its statement.

use super::{Job, expected, ingest, rows_under, scratch};
use crate::support;
use sqlx::{Connection, Row};

const URL: &str = "mysql://root@127.0.0.1:3306/test";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// Run SQL; `false` (after `service_missing`) when MariaDB is not reachable.
fn exec(sql: &str) -> bool {
    support::admin_sql("MariaDB/MySQL", URL, sql)
}

fn count(table: &str) -> i64 {
    rt().block_on(async {
        let mut c = sqlx::MySqlConnection::connect(URL).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut c)
            .await
            .expect("the sentinel table still exists")
            .get::<i64, _>(0)
    })
}

const SETUP: &str = r#"
DROP TABLE IF EXISTS `o``; DROP TABLE it_inj_my_sentinel; --`;
DROP TABLE IF EXISTS it_inj_my_sentinel;
CREATE TABLE it_inj_my_sentinel (id int);
INSERT INTO it_inj_my_sentinel VALUES (42);
CREATE TABLE `o``; DROP TABLE it_inj_my_sentinel; --` (
    `x``y` INT PRIMARY KEY,
    `Robert'); DROP TABLE it_inj_my_sentinel; --` VARCHAR(20),
    `w``); DELETE FROM it_inj_my_sentinel; --` BIGINT
);
INSERT INTO `o``; DROP TABLE it_inj_my_sentinel; --` VALUES
    (1, 'a', 10), (2, 'it''s `q`', 20), (3, NULL, 30), (4, '--', 30);
"#;

const C_KEY: &str = "x`y";
const C_TEXT: &str = "Robert'); DROP TABLE it_inj_my_sentinel; --";
const C_W: &str = "w`); DELETE FROM it_inj_my_sentinel; --";

#[test]
fn hostile_quoted_names_load_exactly_and_drop_nothing() {
    if !exec(SETUP) {
        return;
    }
    let sources = "[sources.my]\ntype = \"mysql\"\nurl = \"mysql://root@127.0.0.1:3306/test\"\n";
    // The same table named in both workbook quoting styles.
    let table_dq = r#""o`; DROP TABLE it_inj_my_sentinel; --""#;
    let table_bt = "`o``; DROP TABLE it_inj_my_sentinel; --`";
    let jobs = [
        Job {
            schema: "test",
            key: "`x``y`",
            parallelism: "2",
            ..Job::full("inj_my_full", "MySQL", "my", table_dq, "full")
        },
        Job {
            load: "INCREMENTAL",
            watermark: r#""w`); DELETE FROM it_inj_my_sentinel; --""#,
            key: r#""x`y""#,
            ..Job::full("inj_my_incr", "MariaDB", "my", table_bt, "incr")
        },
    ];
    let dir = scratch(sources, &jobs);
    let out = ingest(dir.path(), &["run"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(count("it_inj_my_sentinel"), 1);
    let all = [
        [(C_KEY, "1"), (C_TEXT, "a"), (C_W, "10")],
        [(C_KEY, "2"), (C_TEXT, "it's `q`"), (C_W, "20")],
        [(C_KEY, "3"), (C_TEXT, "NULL"), (C_W, "30")],
        [(C_KEY, "4"), (C_TEXT, "--"), (C_W, "30")],
    ];
    let mut all: Vec<&[(&str, &str)]> = all.iter().map(|r| &r[..]).collect();
    let raw = dir.path().join("out/raw");
    assert_eq!(rows_under(&raw.join("full")), expected(&all));
    assert_eq!(rows_under(&raw.join("incr")), expected(&all));

    exec("INSERT INTO `o``; DROP TABLE it_inj_my_sentinel; --` VALUES (5, 'e', 31);");
    let out = ingest(dir.path(), &["run", "--jobs", "inj_my_incr"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let fifth = [(C_KEY, "5"), (C_TEXT, "e"), (C_W, "31")];
    all.push(&fifth);
    assert_eq!(rows_under(&raw.join("incr")), expected(&all));
    assert_eq!(count("it_inj_my_sentinel"), 1);
}

#[test]
fn a_source_query_or_filter_breaking_out_drops_nothing() {
    let setup = "DROP TABLE IF EXISTS it_inj_my_sentinel2; \
                 CREATE TABLE it_inj_my_sentinel2 (id int); \
                 INSERT INTO it_inj_my_sentinel2 VALUES (7);";
    if !exec(setup) {
        return;
    }
    let sources = "[sources.my]\ntype = \"mysql\"\nurl = \"mysql://root@127.0.0.1:3306/test\"\n";
    let query = "SELECT 1 AS one) AS src; DROP TABLE it_inj_my_sentinel2; \
                 SELECT * FROM (SELECT 1 AS one";
    let filter = "1=1); DROP TABLE it_inj_my_sentinel2; SELECT (1";
    let jobs = [
        Job {
            query,
            ..Job::full("inj_my_query", "MySQL", "my", "", "q")
        },
        Job {
            filter,
            ..Job::full("inj_my_filter", "MySQL", "my", "it_inj_my_sentinel2", "f")
        },
    ];
    let dir = scratch(sources, &jobs);
    let out = ingest(dir.path(), &["run", "--max-retries", "0"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert_eq!(text.matches("FAILED").count(), 4, "both jobs fail:\n{text}");
    assert_eq!(count("it_inj_my_sentinel2"), 1);
}
