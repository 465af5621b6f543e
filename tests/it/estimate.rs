//! Row estimates for the progress bars read from real catalogs: PostgreSQL, MariaDB, SQLite.

use crate::support;
use ingest::config::SourceType;
use ingest::config::secrets::SourceSecret;
use ingest::plan::sql::Relation;
use ingest::progress::estimate::table_rows;
use ingest::source::{self, SourceSettings};

fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn mysql_url() -> String {
    std::env::var("INGEST_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

fn table(schema: Option<&str>, name: &str) -> Relation {
    Relation {
        schema: schema.map(str::to_string),
        table: Some(name.to_string()),
        query: None,
        filter: None,
    }
}

fn estimates(ty: SourceType, secret: SourceSecret, rels: &[Relation]) -> Vec<Option<u64>> {
    let settings = SourceSettings::of(ty, &secret).expect("settings");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let src = source::open("t", &settings).await.expect("source opens");
        let mut out = Vec::new();
        for r in rels {
            out.push(
                table_rows(src.as_ref(), r)
                    .await
                    .expect("estimate query runs"),
            );
        }
        out
    })
}

fn url_secret(url: String) -> SourceSecret {
    SourceSecret {
        url: Some(ingest::config::secrets::Secret::new(url)),
        ..SourceSecret::default()
    }
}

#[test]
fn postgres_reads_reltuples_of_tables_and_partitioned_tables() {
    let ok = support::admin_sql(
        "PostgreSQL",
        &pg_url(),
        "DROP TABLE IF EXISTS est_plain, est_fresh, est_parted, est_whole;
         CREATE TABLE est_plain (id int PRIMARY KEY) WITH (autovacuum_enabled = false);
         INSERT INTO est_plain SELECT generate_series(1, 5000);
         ANALYZE est_plain;
         CREATE TABLE est_fresh (id int) WITH (autovacuum_enabled = false);
         INSERT INTO est_fresh SELECT generate_series(1, 10);
         CREATE TABLE est_parted (id int) PARTITION BY RANGE (id);
         CREATE TABLE est_parted_a PARTITION OF est_parted FOR VALUES FROM (0) TO (1000);
         CREATE TABLE est_parted_b PARTITION OF est_parted FOR VALUES FROM (1000) TO (5000);
         INSERT INTO est_parted SELECT generate_series(0, 2999);
         ANALYZE est_parted_a, est_parted_b;
         DROP TABLE IF EXISTS est_whole;
         CREATE TABLE est_whole (id int) PARTITION BY RANGE (id);
         CREATE TABLE est_whole_a PARTITION OF est_whole FOR VALUES FROM (0) TO (1000);
         CREATE TABLE est_whole_b PARTITION OF est_whole FOR VALUES FROM (1000) TO (5000);
         INSERT INTO est_whole SELECT generate_series(0, 1999);
         ANALYZE est_whole;",
    );
    if !ok {
        return;
    }
    let got = estimates(
        SourceType::PostgreSql,
        url_secret(pg_url()),
        &[
            table(Some("public"), "est_plain"),
            table(None, "EST_PLAIN"),
            table(Some("public"), "est_fresh"),
            table(Some("public"), "est_parted"),
            table(Some("public"), "est_whole"),
            table(Some("public"), "no_such_table"),
        ],
    );
    assert_eq!(
        got,
        [Some(5000), Some(5000), None, Some(3000), Some(2000), None],
        "plain, folded name, never analyzed, partitions analyzed, parent analyzed, missing"
    );
}

#[test]
fn mariadb_reads_information_schema_table_rows() {
    let ok = support::admin_sql(
        "MariaDB",
        &mysql_url(),
        "SET SESSION max_recursive_iterations = 10000;
         DROP TABLE IF EXISTS est_rows;
         CREATE TABLE est_rows (id int PRIMARY KEY);
         INSERT INTO est_rows WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 4000) SELECT n FROM s;
         ANALYZE TABLE est_rows;",
    );
    if !ok {
        return;
    }
    let got = estimates(
        SourceType::MySql,
        url_secret(mysql_url()),
        &[table(None, "est_rows"), table(None, "no_such_table")],
    );
    let n = got[0].expect("an estimate");
    assert!(
        (2000..=6000).contains(&n),
        "InnoDB's estimate of 4000 rows: {n}"
    );
    assert_eq!(got[1], None);
}

#[test]
fn sqlite_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::ingest(dir.path(), &["generate-sample", "--dir", "."]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let secret = SourceSecret {
        path: Some(dir.path().join("demo.sqlite")),
        ..SourceSecret::default()
    };
    let got = estimates(SourceType::Sqlite, secret, &[table(None, "orders")]);
    assert_eq!(got, [Some(120_000)]);
}
