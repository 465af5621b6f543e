//! MySQL / MariaDB source against the real server (INGEST_TEST_MYSQL_URL, default
//! mysql://root@127.0.0.1:3306/test). Tables are named `it_mysql_*`.

use crate::support;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimeUnit};
use arrow::datatypes::{
    Date32Type, Decimal128Type, Decimal256Type, DurationMicrosecondType, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow::record_batch::RecordBatch;
use arrow::util::display::array_value_to_string;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::{Column, Row, TypeInfo};
use std::path::Path;

pub(crate) fn url() -> String {
    std::env::var("INGEST_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A pool on the test server, or `None` (after `service_missing`) when it is not reachable.
async fn pool() -> Option<MySqlPool> {
    match MySqlPoolOptions::new()
        .max_connections(2)
        .after_connect(|c, _| {
            Box::pin(async move {
                // Zero dates need a relaxed sql_mode to be inserted at all.
                sqlx::Executor::execute(&mut *c, "SET SESSION sql_mode = ''").await?;
                Ok(())
            })
        })
        .connect(&url())
        .await
    {
        Ok(p) => Some(p),
        Err(e) => {
            support::service_missing("MariaDB/MySQL", &e.to_string());
            None
        }
    }
}

async fn exec(pool: &MySqlPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
}

/// A scratch folder with secrets.toml (source `it_mysql`, destination `output`) and a workbook.
fn scratch(rows: &[Vec<&str>], source_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.it_mysql]\ntype = \"mysql\"\nurl = \"{source_url}\"\n\n[destinations.output]\npath = \"out\"\n"
        ),
    )
    .expect("secrets written");
    support::write_workbook(&dir.path().join("jobs.xlsx"), support::HEADER, rows);
    dir
}

/// The database named in a mysql:// URL.
fn database_of(url: &str) -> String {
    let path = url.rsplit('/').next().unwrap_or("test");
    path.split('?').next().unwrap_or("test").to_string()
}

fn run(dir: &Path) -> std::process::Output {
    support::ingest(dir, &["run", "--config", "jobs.xlsx"])
}

fn batches_under(dir: &Path) -> Vec<RecordBatch> {
    support::parquet_files(dir)
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .collect()
}

/// Every value of column `name` as canonical text, with the `id` column as row key.
fn arrow_values(batches: &[RecordBatch], name: &str) -> Vec<(i64, Option<String>)> {
    let mut out = Vec::new();
    for b in batches {
        let ids = b.column_by_name("id").expect("id column");
        let ids = ids.as_primitive::<Int32Type>();
        let col = b
            .column_by_name(name)
            .unwrap_or_else(|| panic!("column {name}"));
        for r in 0..b.num_rows() {
            let v = (!col.is_null(r)).then(|| canonical_arrow(col.as_ref(), r));
            out.push((ids.value(r) as i64, v));
        }
    }
    out.sort();
    out
}

fn canonical_arrow(a: &dyn Array, r: usize) -> String {
    match a.data_type() {
        DataType::Boolean => (a.as_boolean().value(r) as u8).to_string(),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(r).to_string(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(r).to_string(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(r).to_string(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(r).to_string(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(r).to_string(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(r).to_string(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(r).to_string(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(r).to_string(),
        DataType::Float32 => format!("{:?}", a.as_primitive::<Float32Type>().value(r)),
        DataType::Float64 => format!("{:?}", a.as_primitive::<Float64Type>().value(r)),
        DataType::Decimal128(..) => {
            let _ = a.as_primitive::<Decimal128Type>();
            array_value_to_string(a, r).expect("decimal text")
        }
        DataType::Decimal256(..) => {
            let _ = a.as_primitive::<Decimal256Type>();
            array_value_to_string(a, r).expect("decimal text")
        }
        DataType::Utf8 => a.as_string::<i32>().value(r).to_string(),
        DataType::Binary => hex(a.as_binary::<i32>().value(r)),
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(r);
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::Duration::days(days as i64))
            .to_string()
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let us = a.as_primitive::<TimestampMicrosecondType>().value(r);
            chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .naive_utc()
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string()
        }
        DataType::Duration(TimeUnit::Microsecond) => a
            .as_primitive::<DurationMicrosecondType>()
            .value(r)
            .to_string(),
        other => panic!("unexpected Arrow type {other}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// MySQL TIME text (`-838:59:59.500000`) as µs, independently of the source's decoder.
fn time_text_micros(t: &str) -> i64 {
    let (neg, t) = t.strip_prefix('-').map_or((false, t), |r| (true, r));
    let (hms, frac) = t.split_once('.').unwrap_or((t, "0"));
    let p: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    let us = (p[0] * 3600 + p[1] * 60 + p[2]) * 1_000_000
        + format!("{frac:0<6}").parse::<i64>().unwrap();
    if neg { -us } else { us }
}

/// Column `name` as sqlx reads it, in the same canonical text as [`canonical_arrow`].
fn sqlx_value(row: &MySqlRow, name: &str) -> Option<String> {
    let col = row
        .columns()
        .iter()
        .find(|c| c.name() == name)
        .expect("column");
    let ty = col.type_info().name().to_string();
    let i = col.ordinal();
    macro_rules! get {
        ($t:ty) => {
            row.try_get::<Option<$t>, _>(i)
                .unwrap_or_else(|e| panic!("{name} ({ty}): {e}"))
        };
    }
    match name {
        "c_bool" => get!(bool).map(|b| (b as u8).to_string()),
        "c_i8" => get!(i8).map(|v| v.to_string()),
        "c_u8" => get!(u8).map(|v| v.to_string()),
        "c_i16" => get!(i16).map(|v| v.to_string()),
        "c_u16" => get!(u16).map(|v| v.to_string()),
        "c_i24" | "c_i32" => get!(i32).map(|v| v.to_string()),
        "c_u24" | "c_u32" => get!(u32).map(|v| v.to_string()),
        "c_i64" | "c_year" => get!(i64).map(|v| v.to_string()),
        "c_u64" | "c_bit" => get!(u64).map(|v| v.to_string()),
        "c_f32" => get!(f32).map(|v| format!("{v:?}")),
        "c_f64" => get!(f64).map(|v| format!("{v:?}")),
        "c_dec" | "c_dec38" | "c_dec65" | "c_vc" | "c_text" | "c_enum" | "c_set" | "c_json" => {
            get!(String)
        }
        "c_bin" | "c_blob" => get!(Vec<u8>).map(|b| hex(&b)),
        "c_date" => get!(chrono::NaiveDate).map(|d| d.to_string()),
        "c_time" => get!(String).map(|t| time_text_micros(&t).to_string()),
        "c_dt" => {
            get!(chrono::NaiveDateTime).map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        }
        "c_ts" => get!(chrono::DateTime<chrono::Utc>)
            .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
        other => panic!("no reader for {other}"),
    }
}

pub(crate) const TYPES_DDL: &str = "CREATE TABLE it_mysql_types (
  id INT PRIMARY KEY, c_bool TINYINT(1),
  c_i8 TINYINT, c_u8 TINYINT UNSIGNED, c_i16 SMALLINT, c_u16 SMALLINT UNSIGNED,
  c_i24 MEDIUMINT, c_u24 MEDIUMINT UNSIGNED, c_i32 INT, c_u32 INT UNSIGNED,
  c_i64 BIGINT, c_u64 BIGINT UNSIGNED,
  c_dec DECIMAL(12,2), c_dec38 DECIMAL(38,10), c_dec65 DECIMAL(65,30),
  c_f32 FLOAT, c_f64 DOUBLE,
  c_vc VARCHAR(50), c_text TEXT, c_enum ENUM('a','b'), c_set SET('x','y'), c_json JSON,
  c_bin VARBINARY(16), c_blob BLOB, c_bit BIT(64),
  c_date DATE, c_time TIME(6), c_dt DATETIME(6), c_ts TIMESTAMP(6) NULL DEFAULT NULL, c_year YEAR
)";

pub(crate) const TYPES_ROWS: &str = "INSERT INTO it_mysql_types VALUES
 (1, 0, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
  -9999999999.99, -9999999999999999999999999999.9999999999,
  -99999999999999999999999999999999999.999999999999999999999999999999,
  -1.5, -1.7976931348623157e308, '', '', 'a', '', '{}', x'000001', '', b'0',
  '1000-01-01', '-838:59:59.000000', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', 1901),
 (2, 1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295,
  9223372036854775807, 18446744073709551615,
  9999999999.99, 9999999999999999999999999999.9999999999,
  99999999999999999999999999999999999.999999999999999999999999999999,
  3.4028235e38, 1.7976931348623157e308, 'héllo 世界 🎉', 'line1\nline2\ttab', 'b', 'x,y',
  '{\"a\": [1, 2]}', x'ff00ff', x'00000000', x'ffffffffffffffff',
  '9999-12-31', '838:59:59.000000', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155),
 (3, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0.01, 0.0000000001,
  0.000000000000000000000000000001, 0.1, 0.1, ' x ', 'NULL', 'a', 'x', 'null', x'', x'00', b'1',
  '0000-00-00', '-00:00:00.000001', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  '0000-00-00', NULL, '0000-00-00 00:00:00', '0000-00-00 00:00:00', NULL)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_types_round_trip_exactly() {
    let Some(pool) = pool().await else { return };
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_types").await;
    exec(&pool, TYPES_DDL).await;
    exec(&pool, TYPES_ROWS).await;

    let dir = scratch(
        &[support::job_row(
            "it_mysql_types",
            "mysql",
            "it_mysql",
            "",
            "it_mysql_types",
            "full",
            "",
            "id",
            "2",
            "1",
        )],
        &url(),
    );
    let checked = support::ingest(
        dir.path(),
        &["validate", "--config", "jobs.xlsx", "--connect"],
    );
    assert_eq!(support::code(&checked), 0, "{}", support::text(&checked));
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let log = support::text(&out);
    let batches = batches_under(&dir.path().join("out"));
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
    let schema = batches[0].schema();
    let ty = |n: &str| {
        schema
            .field_with_name(n)
            .expect("field")
            .data_type()
            .clone()
    };
    assert_eq!(ty("c_bool"), DataType::Boolean);
    assert_eq!(ty("c_u64"), DataType::UInt64);
    assert_eq!(ty("c_i24"), DataType::Int32);
    assert_eq!(ty("c_dec"), DataType::Decimal128(12, 2));
    assert_eq!(ty("c_dec65"), DataType::Decimal256(65, 30));
    assert_eq!(ty("c_f32"), DataType::Float32);
    assert_eq!(ty("c_bit"), DataType::UInt64);
    assert_eq!(ty("c_time"), DataType::Duration(TimeUnit::Microsecond));
    assert_eq!(ty("c_dt"), DataType::Timestamp(TimeUnit::Microsecond, None));
    assert_eq!(
        ty("c_ts"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(ty("c_year"), DataType::Int16);

    // What sqlx reads (BIT and YEAR cast to integers, TIME as text, zero dates are NULL).
    let rows = sqlx::query(
        "SELECT id, c_bool, c_i8, c_u8, c_i16, c_u16, c_i24, c_u24, c_i32, c_u32, c_i64, c_u64,
                CAST(c_dec AS CHAR) c_dec, CAST(c_dec38 AS CHAR) c_dec38, CAST(c_dec65 AS CHAR) c_dec65,
                c_f32, c_f64, c_vc, c_text, CAST(c_enum AS CHAR) c_enum, CAST(c_set AS CHAR) c_set,
                CAST(c_json AS CHAR) c_json, c_bin, c_blob, CAST(c_bit AS UNSIGNED) c_bit,
                c_date, CAST(c_time AS CHAR) c_time, c_dt, c_ts, CAST(c_year AS SIGNED) c_year
         FROM it_mysql_types ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("sqlx reads the table");
    for field in schema.fields().iter().skip(1) {
        let name = field.name();
        let expected: Vec<(i64, Option<String>)> = rows
            .iter()
            .map(|r| (r.get::<i32, _>("id") as i64, sqlx_value(r, name)))
            .collect();
        assert_eq!(arrow_values(&batches, name), expected, "column {name}");
    }
    // Zero dates: NULL, and one warning per column (not per row).
    for col in ["c_date", "c_dt", "c_ts"] {
        assert_eq!(arrow_values(&batches, col)[2], (3, None), "{col}");
        let warnings = log
            .lines()
            .filter(|l| l.contains(&format!("`{col}` holds zero dates")))
            .count();
        assert_eq!(warnings, 1, "{col}: one warning per column\n{log}");
    }
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_types").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_takes_boundary_duplicates_once() {
    let Some(pool) = pool().await else { return };
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_incr").await;
    exec(
        &pool,
        "CREATE TABLE it_mysql_incr (id INT PRIMARY KEY, updated_at DATETIME(6) NOT NULL, v VARCHAR(10))",
    )
    .await;
    exec(
        &pool,
        "INSERT INTO it_mysql_incr VALUES (1, '2024-01-01 00:00:00', 'a'),
         (2, '2024-01-02 00:00:00.5', 'b'), (3, '2024-01-02 00:00:00.5', 'c')",
    )
    .await;
    let dir = scratch(
        &[support::job_row(
            "it_mysql_incr",
            "mysql",
            "it_mysql",
            "",
            "it_mysql_incr",
            "incremental",
            "updated_at",
            "id",
            "1000",
            "1",
        )],
        &url(),
    );
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let first = batches_under(&dir.path().join("out"));
    assert_eq!(first.iter().map(|b| b.num_rows()).sum::<usize>(), 3);

    // A new row at the same watermark as the last load, and one after it.
    exec(
        &pool,
        "INSERT INTO it_mysql_incr VALUES (4, '2024-01-02 00:00:00.5', 'd'), (5, '2024-01-03 00:00:00', 'e')",
    )
    .await;
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let all = batches_under(&dir.path().join("out"));
    let mut ids: Vec<i64> = arrow_values(&all, "v").iter().map(|(id, _)| *id).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 2, 3, 4, 5], "each row loaded exactly once");
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_incr").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_equals_serial() {
    let Some(pool) = pool().await else { return };
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_par").await;
    exec(
        &pool,
        "CREATE TABLE it_mysql_par (id INT PRIMARY KEY, k BIGINT UNSIGNED, v VARCHAR(20), d DECIMAL(10,3))",
    )
    .await;
    let values: Vec<String> = (1..=500)
        .map(|i| {
            format!(
                "({i}, {}, 'row {i}', {}.{:03})",
                (i * 7919) % 1000,
                i,
                i % 1000
            )
        })
        .collect();
    exec(
        &pool,
        &format!("INSERT INTO it_mysql_par VALUES {}", values.join(",")),
    )
    .await;
    // The parallel run names the database as schema_name (read from information_schema).
    let db = database_of(&url());
    let rows_of = |par: &'static str| {
        let schema = if par == "1" { "" } else { db.as_str() };
        let dir = scratch(
            &[support::job_row(
                "it_mysql_par",
                "mysql",
                "it_mysql",
                schema,
                "it_mysql_par",
                "full",
                "",
                "id",
                "64",
                par,
            )],
            &url(),
        );
        let out = run(dir.path());
        assert_eq!(support::code(&out), 0, "{}", support::text(&out));
        let files = support::parquet_files(&dir.path().join("out")).len();
        assert_eq!(files, if par == "1" { 1 } else { 3 }, "one file per chunk");
        let batches = batches_under(&dir.path().join("out"));
        let mut rows: Vec<String> = ["k", "v", "d"]
            .iter()
            .map(|c| arrow_values(&batches, c))
            .fold(Vec::new(), |mut acc: Vec<String>, col| {
                for (i, (id, v)) in col.iter().enumerate() {
                    if acc.len() <= i {
                        acc.push(id.to_string());
                    }
                    acc[i].push_str(&format!("|{}", v.clone().unwrap_or_default()));
                }
                acc
            });
        rows.sort();
        rows
    };
    let serial = rows_of("1");
    let parallel = rows_of("3");
    assert_eq!(serial.len(), 500);
    assert_eq!(serial, parallel);
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_par").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_a_clean_error() {
    let Some(_pool) = pool().await else { return };
    let password = "it-mysql-wrong-pw-7781";
    let base = url();
    let rest = base
        .strip_prefix("mysql://")
        .expect("the MySQL test URL starts with mysql://");
    let (user_part, host_part) = rest.split_once('@').unwrap_or(("root", rest));
    let user = user_part.split(':').next().unwrap_or("root");
    let bad_url = format!("mysql://{user}:{password}@{host_part}");
    let dir = scratch(
        &[support::job_row(
            "it_mysql_pw",
            "mysql",
            "it_mysql",
            "",
            "it_mysql_nothing",
            "full",
            "",
            "",
            "10",
            "1",
        )],
        &bad_url,
    );
    let out = run(dir.path());
    let text = support::text(&out);
    assert_ne!(support::code(&out), 0, "{text}");
    let checked = support::ingest(
        dir.path(),
        &["validate", "--config", "jobs.xlsx", "--connect"],
    );
    let checked_text = support::text(&checked);
    assert_ne!(support::code(&checked), 0, "{checked_text}");
    assert!(
        !checked_text.contains(password),
        "the password leaked:\n{checked_text}"
    );
    assert!(!text.contains(password), "the password leaked:\n{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(
        text.to_lowercase().contains("access denied") || text.contains("connect"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_query_types_come_from_the_statement() {
    let Some(pool) = pool().await else { return };
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_query").await;
    exec(
        &pool,
        "CREATE TABLE it_mysql_query (id INT PRIMARY KEY, amount DECIMAL(20,4), big BIGINT UNSIGNED,
         t TIME, flag TINYINT(1), at TIMESTAMP NULL)",
    )
    .await;
    exec(
        &pool,
        "INSERT INTO it_mysql_query VALUES (1, 1234567890123456.1234, 18446744073709551615,
         '-100:00:00', 1, '2024-05-06 07:08:09'), (2, NULL, NULL, NULL, NULL, NULL)",
    )
    .await;
    let mut header = support::HEADER.to_vec();
    header.push("source_query");
    let mut row = support::job_row(
        "it_mysql_query",
        "mysql",
        "it_mysql",
        "",
        "",
        "full",
        "",
        "id",
        "100",
        "1",
    );
    row.push("SELECT id, amount, big, t, flag, at, amount * 2 AS doubled FROM it_mysql_query");
    let dir = scratch(&[], &url());
    support::write_workbook(&dir.path().join("jobs.xlsx"), &header, &[row]);
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let batches = batches_under(&dir.path().join("out"));
    let schema = batches[0].schema();
    let ty = |n: &str| {
        schema
            .field_with_name(n)
            .expect("field")
            .data_type()
            .clone()
    };
    assert_eq!(ty("amount"), DataType::Decimal256(65, 30));
    assert_eq!(ty("big"), DataType::UInt64);
    assert_eq!(ty("t"), DataType::Duration(TimeUnit::Microsecond));
    assert_eq!(ty("flag"), DataType::Boolean);
    assert_eq!(
        ty("at"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    let one = |c: &str| arrow_values(&batches, c)[0].1.clone();
    assert_eq!(
        one("amount").as_deref(),
        Some("1234567890123456.123400000000000000000000000000")
    );
    assert_eq!(
        one("doubled").as_deref(),
        Some("2469135780246912.246800000000000000000000000000")
    );
    assert_eq!(one("big").as_deref(), Some("18446744073709551615"));
    assert_eq!(one("t").as_deref(), Some("-360000000000"));
    assert_eq!(one("at").as_deref(), Some("2024-05-06 07:08:09.000000"));
    assert_eq!(arrow_values(&batches, "amount")[1], (2, None));
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_query").await;
}

/// Throughput figure for docs/mysql.md (500 000 rows, 7 columns); run by hand:
/// `cargo test --release --test it mysql::throughput -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    let Some(pool) = pool().await else { return };
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_bench").await;
    exec(
        &pool,
        "CREATE TABLE it_mysql_bench (id INT PRIMARY KEY, customer BIGINT UNSIGNED,
         amount DECIMAL(12,2), note VARCHAR(60), created DATETIME(6), ts TIMESTAMP NULL, flag TINYINT(1))",
    )
    .await;
    for start in (0..500_000).step_by(50_000) {
        let values: Vec<String> = (start + 1..=start + 50_000)
            .map(|n: i64| {
                format!(
                    "({n},{},{}.{:02},'note number {n}',TIMESTAMPADD(SECOND,{n},'2024-01-01'),TIMESTAMPADD(SECOND,{n},'2024-01-01'),{})",
                    n * 7919 % 100_000,
                    n % 1000,
                    n % 100,
                    n % 2
                )
            })
            .collect();
        exec(
            &pool,
            &format!("INSERT INTO it_mysql_bench VALUES {}", values.join(",")),
        )
        .await;
    }
    for par in ["1", "4"] {
        let dir = scratch(
            &[support::job_row(
                "it_mysql_bench",
                "mysql",
                "it_mysql",
                "",
                "it_mysql_bench",
                "full",
                "",
                "id",
                "50000",
                par,
            )],
            &url(),
        );
        let started = std::time::Instant::now();
        let out = run(dir.path());
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(support::code(&out), 0, "{}", support::text(&out));
        let rows = support::parquet_rows(&support::parquet_files(&dir.path().join("out")));
        assert_eq!(rows, 500_000);
        eprintln!(
            "parallelism {par}: {rows} rows in {secs:.2} s ({:.0} rows/s)",
            rows as f64 / secs
        );
    }
    exec(&pool, "DROP TABLE IF EXISTS it_mysql_bench").await;
}
