//! Tests of the SQLite type mapping and text formats.
use super::text_time::{format_ts, learn_format};
use super::*;
use arrow::datatypes::TimeUnit;
use sqlx::sqlite::SqlitePool;

#[test]
fn declared_types_map_exactly() {
    let cases: &[(&str, Option<DataType>)] = &[
        ("INTEGER", Some(DataType::Int64)),
        ("BIGINT", Some(DataType::Int64)),
        ("BOOLEAN", Some(DataType::Boolean)),
        ("DECIMAL(12,2)", Some(DataType::Decimal128(12, 2))),
        ("numeric", Some(DataType::Decimal128(38, 9))),
        ("NUMERIC(10)", Some(DataType::Decimal128(10, 0))),
        ("DECIMAL(50,2)", None),
        ("REAL", Some(DataType::Float64)),
        ("DOUBLE PRECISION", Some(DataType::Float64)),
        ("VARCHAR(20)", Some(DataType::Utf8)),
        ("TEXT", Some(DataType::Utf8)),
        ("BLOB", Some(DataType::Binary)),
        ("DATE", Some(DataType::Date32)),
        (
            "DATETIME",
            Some(DataType::Timestamp(TimeUnit::Microsecond, None)),
        ),
        (
            "TIMESTAMP",
            Some(DataType::Timestamp(TimeUnit::Microsecond, None)),
        ),
        (
            "TIMESTAMPTZ",
            Some(DataType::Timestamp(
                TimeUnit::Microsecond,
                Some("UTC".into()),
            )),
        ),
        ("TIME", Some(DataType::Time64(TimeUnit::Microsecond))),
        ("GEOMETRY", None),
    ];
    for (declared, expected) in cases {
        assert_eq!(&map_declared_type(declared), expected, "{declared}");
    }
}

#[test]
fn text_formats_are_learned_and_used() {
    let f = learn_format("2024-01-15 10:00:00");
    assert_eq!(f, TextFormat { sep: ' ', frac: 0 });
    let f2 = learn_format("2024-01-15T10:00:00.123");
    assert_eq!(f2, TextFormat { sep: 'T', frac: 3 });
    let t = chrono::NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_micro_opt(10, 0, 0, 500_000)
        .unwrap();
    assert_eq!(format_ts(t, f), "2024-01-15 10:00:00.5");
    assert_eq!(format_ts(t, f2), "2024-01-15T10:00:00.500");
}

/// A source over a new database file in `dir` that `setup` fills, with `query_timeout_secs`.
async fn source_over(
    dir: &std::path::Path,
    setup: &'static str,
    query_timeout_secs: Option<u64>,
) -> Box<dyn Source> {
    let path = dir.join("t.sqlite");
    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(opts).await.unwrap();
    sqlx::raw_sql(setup).execute(&pool).await.unwrap();
    pool.close().await;
    let secret = SourceSecret {
        path: Some(path),
        query_timeout_secs,
        ..Default::default()
    };
    SqliteSource::connect("lite", &SqliteSettings::of(&secret).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_statement_longer_than_query_timeout_secs_fails_naming_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let source = source_over(dir.path(), "CREATE TABLE t (x INTEGER)", Some(1)).await;
    // About 40 million steps of one statement: far longer than a second.
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000000) \
               SELECT COUNT(*) FROM c";
    let started = std::time::Instant::now();
    let q = Query {
        sql: sql.into(),
        params: Vec::new(),
    };
    let e = source.count(&Native::None, &q).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(!e.is_transient(), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("query_timeout_secs = 1"), "{text}");
    assert!(text.contains("WITH RECURSIVE"), "{text}");
}

#[tokio::test]
async fn decimal_cursors_read_and_bind_exactly() {
    use crate::plan::sql::Param;
    let dir = tempfile::tempdir().unwrap();
    let setup =
        "CREATE TABLE t (n NUMERIC(10,2)); INSERT INTO t VALUES (0.1), (10.25), (10.25), (20.5);";
    let source = source_over(dir.path(), setup, None).await;
    let q = |sql: &str, params: Vec<Param>| Query {
        sql: sql.into(),
        params,
    };
    let (lo, hi) = source
        .bounds(
            &mut Native::None,
            &q("SELECT MIN(n), MAX(n) FROM t", vec![]),
            "n",
            CursorKind::Decimal,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((lo.to_text(), hi.to_text()), ("0.1".into(), "20.5".into()));
    let at = CursorValue::parse(CursorKind::Decimal, "10.25").unwrap();
    let p = vec![Param {
        column: "n".into(),
        value: at,
    }];
    let n = source
        .count(&Native::None, &q("SELECT COUNT(*) FROM t WHERE n = ?", p))
        .await
        .unwrap();
    assert_eq!(n, 2, "the bound decimal equals the stored values");
}
