//! PostgreSQL source against a real server (INGEST_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).

use crate::support::{self, HEADER, job_row};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use sqlx::{Connection, Executor, PgConnection, Row};
use std::path::Path;

pub(crate) fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Run SQL statements; `None` (after reporting) when PostgreSQL is not reachable.
fn setup(sql: &str) -> Option<()> {
    support::admin_sql("PostgreSQL", &pg_url(), sql).then_some(())
}

fn query_text(sql: &str) -> Vec<Vec<String>> {
    rt().block_on(async {
        let mut c = PgConnection::connect(&pg_url()).await.expect("connect");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&mut c)
            .await
            .expect("query");
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<String, _>(i).expect("text column"))
                    .collect()
            })
            .collect()
    })
}

/// A scratch folder with secrets.toml (source `pg`, destination `output` = ./out) and a workbook.
fn scratch(extra_secrets: &str, rows: &[Vec<&str>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.pg]\ntype = \"postgresql\"\nurl = \"{}\"\n{extra_secrets}\n[destinations.output]\npath = \"out\"\n",
            pg_url()
        ),
    )
    .expect("secrets");
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, rows);
    dir
}

fn run(dir: &Path) -> std::process::Output {
    support::ingest(
        dir,
        &["run", "--config", "jobs.xlsx", "--secrets", "secrets.toml"],
    )
}

fn batches(dir: &Path) -> Vec<RecordBatch> {
    support::parquet_files(&dir.join("out"))
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .collect()
}

fn norm_decimal(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" { "0".into() } else { t.to_string() }
    } else {
        s.to_string()
    }
}

/// One Arrow value in the canonical text the comparison SQL produces.
fn render(a: &dyn Array, i: usize) -> String {
    if a.is_null(i) {
        return "NULL".into();
    }
    let micros_ts = |v: i64| {
        chrono::DateTime::from_timestamp_micros(v)
            .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string())
            .unwrap_or_default()
    };
    match a.data_type() {
        DataType::Boolean => a.as_boolean().value(i).to_string(),
        DataType::Int16 => a
            .as_primitive::<arrow::datatypes::Int16Type>()
            .value(i)
            .to_string(),
        DataType::Int32 => a
            .as_primitive::<arrow::datatypes::Int32Type>()
            .value(i)
            .to_string(),
        DataType::Int64 => a
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(i)
            .to_string(),
        DataType::UInt32 => a
            .as_primitive::<arrow::datatypes::UInt32Type>()
            .value(i)
            .to_string(),
        DataType::Float32 | DataType::Float64 => {
            let v = match a.data_type() {
                DataType::Float32 => {
                    let f = a.as_primitive::<arrow::datatypes::Float32Type>().value(i);
                    if f.is_finite() {
                        return f.to_string();
                    } else {
                        f as f64
                    }
                }
                _ => a.as_primitive::<arrow::datatypes::Float64Type>().value(i),
            };
            match v {
                v if v.is_nan() => "NaN".into(),
                f64::INFINITY => "Infinity".into(),
                f64::NEG_INFINITY => "-Infinity".into(),
                v => v.to_string(),
            }
        }
        DataType::Decimal128(..) => norm_decimal(
            &a.as_primitive::<arrow::datatypes::Decimal128Type>()
                .value_as_string(i),
        ),
        DataType::Decimal256(..) => norm_decimal(
            &a.as_primitive::<arrow::datatypes::Decimal256Type>()
                .value_as_string(i),
        ),
        DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
        DataType::Binary => a
            .as_binary::<i32>()
            .value(i)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        DataType::FixedSizeBinary(16) => uuid::Uuid::from_slice(a.as_fixed_size_binary().value(i))
            .expect("uuid")
            .to_string(),
        DataType::Date32 => {
            let d = a.as_primitive::<arrow::datatypes::Date32Type>().value(i);
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(d as i64))
            .format("%Y-%m-%d")
            .to_string()
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            let v = a
                .as_primitive::<arrow::datatypes::Time64MicrosecondType>()
                .value(i);
            micros_ts(v)[11..].to_string()
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => micros_ts(
            a.as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(i),
        ),
        DataType::Struct(_) => {
            let s = a.as_struct();
            format!(
                "{} {} {}",
                s.column(0)
                    .as_primitive::<arrow::datatypes::Int32Type>()
                    .value(i),
                s.column(1)
                    .as_primitive::<arrow::datatypes::Int32Type>()
                    .value(i),
                s.column(2)
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .value(i)
            )
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>().value(i);
            let parts: Vec<String> = (0..l.len()).map(|j| render(l.as_ref(), j)).collect();
            format!("[{}]", parts.join(","))
        }
        other => panic!("no renderer for {other}"),
    }
}

pub(crate) const ALL_TYPES: &str = r#"
DROP TABLE IF EXISTS pg_it_all; DROP TYPE IF EXISTS pg_it_mood; DROP DOMAIN IF EXISTS pg_it_pos;
CREATE TYPE pg_it_mood AS ENUM ('sad', 'happy');
CREATE DOMAIN pg_it_pos AS numeric(12,3) CHECK (VALUE > 0);
CREATE TABLE pg_it_all (
 id bigint primary key, b bool, i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8,
 n numeric(18,4), nbig numeric(60,10), nneg numeric(5,-2), nfree numeric, t text, vc varchar(10),
 bp char(3), nm name, j json, jb jsonb, by bytea, u uuid, d date, tm time, ttz timetz,
 ts timestamp, tstz timestamptz, iv interval, ia int4[], ta text[], mood pg_it_mood, dom pg_it_pos,
 ip inet, "MixedCase" int, "select" text);
INSERT INTO pg_it_all VALUES
 (1, true, -32768, -2147483648, -9223372036854775808, 4294967295, 'NaN', '-Infinity',
  '-99999999999999.9999', '12345678901234567890123456789012345678901234567890.0123456789', 9999900,
  123.456789, 'ünïcødé ☃ 𝄞', '', 'ab', 'nm', '{"a": [1,2]}', '{"b": null, "a": "x"}', '\x00ff00',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '0001-01-01', '23:59:59.999999', '12:00:00+05:30',
  '1999-12-31 23:59:59.999999', '2024-03-10 02:30:00.000001-08', '1 year 2 mons 3 days 04:05:06.789',
  '{1,NULL,3}', '{"x",NULL,""}', 'happy', 1.5, '192.168.0.1/24', 7, 'reserved'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, false, 32767, 2147483647, 9223372036854775807, 0, 'Infinity', 'Infinity', '99999999999999.9999',
  '-0.0000000001', -100, -0.000000001, 'x', 'abcdefghij', 'a', '', '[]', '[]', '',
  '00000000-0000-0000-0000-000000000000', '9999-12-31', '00:00:00', '00:00:00-12',
  '2262-04-11 23:47:16.854775', '1970-01-01 00:00:00+00', '-178000000 years -5 days -1 microsecond',
  '{}', '{}', 'sad', 0.001, '::1', NULL, NULL),
 (4, true, 0, 0, 0, 1, 1.5, 0.1, 0, 0, 0, 0, 'line1
line2', 'é', 'é', 'x', '1', '"s"', '\x00', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2000-01-01',
  '12:34:56.000001', '23:59:59.999999+14', '1900-01-01 00:00:00', '1900-01-01 00:00:00+01:30',
  '0', '{-2147483648}', '{"a,b"}', 'sad', 999999999.999, '10.0.0.0/8', -1, 'x');
"#;

/// Canonical text of every column as PostgreSQL sees it, in the order of the table.
const ALL_TYPES_SELECT: &str = r#"SELECT id::text, coalesce(b::text,'NULL'), coalesce(i2::text,'NULL'),
 coalesce(i4::text,'NULL'), coalesce(i8::text,'NULL'), coalesce(o::text,'NULL'), coalesce(f4::text,'NULL'),
 coalesce(f8::text,'NULL'), coalesce(n::text,'NULL'), coalesce(nbig::text,'NULL'), coalesce(nneg::text,'NULL'),
 coalesce(nfree::text,'NULL'), coalesce(t,'NULL'), coalesce(vc::text,'NULL'), CASE WHEN bp IS NULL THEN 'NULL' ELSE format('%s', bp) END,
 coalesce(nm::text,'NULL'), coalesce(j::text,'NULL'), coalesce(jb::text,'NULL'), coalesce(encode(by,'hex'),'NULL'),
 coalesce(u::text,'NULL'), coalesce(to_char(d,'YYYY-MM-DD'),'NULL'),
 coalesce(to_char('2000-01-01'::date + tm,'HH24:MI:SS.US'),'NULL'), coalesce(ttz::text,'NULL'),
 coalesce(to_char(ts,'YYYY-MM-DD HH24:MI:SS.US'),'NULL'),
 coalesce(to_char(tstz AT TIME ZONE 'UTC','YYYY-MM-DD HH24:MI:SS.US'),'NULL'),
 coalesce((date_part('year',iv)*12 + date_part('month',iv))::bigint::text || ' ' || date_part('day',iv)::bigint::text
   || ' ' || ((extract(hour from iv)*3600 + extract(minute from iv)*60)*1000000 + extract(microseconds from iv))::bigint::text, 'NULL'),
 coalesce('[' || array_to_string(ia, ',', 'NULL') || ']','NULL'), coalesce('[' || array_to_string(ta, ',', 'NULL') || ']','NULL'),
 coalesce(mood::text,'NULL'), coalesce(dom::text,'NULL'), coalesce(ip::text,'NULL'), coalesce("MixedCase"::text,'NULL'),
 coalesce("select",'NULL')
 FROM pg_it_all ORDER BY id"#;

#[test]
fn all_types_round_trip_exactly() {
    if setup(ALL_TYPES).is_none() {
        return;
    }
    let dir = scratch(
        "",
        &[job_row(
            "pg_all",
            "postgresql",
            "pg",
            "public",
            "pg_it_all",
            "FULL",
            "",
            "id",
            "2",
            "1",
        )],
    );
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let b = batches(dir.path());
    let batch = arrow::compute::concat_batches(&b[0].schema(), &b).expect("concat");
    let mut got: Vec<Vec<String>> = (0..batch.num_rows())
        .map(|r| {
            batch
                .columns()
                .iter()
                .map(|c| render(c.as_ref(), r))
                .collect()
        })
        .collect();
    got.sort_by_key(|r| r[0].parse::<i64>().unwrap_or(0));
    let mut want = query_text(ALL_TYPES_SELECT);
    for row in &mut want {
        for v in row.iter_mut() {
            if v.parse::<f64>().is_ok() && v.contains('.') {
                *v = norm_decimal(v);
            }
        }
    }
    for row in &mut got {
        for v in row.iter_mut() {
            if v.parse::<f64>().is_ok() && v.contains('.') {
                *v = norm_decimal(v);
            }
        }
    }
    let names: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names.len(), want[0].len());
    assert!(names.contains(&"MixedCase".to_string()) && names.contains(&"select".to_string()));
    for (g, w) in got.iter().zip(&want) {
        for ((name, gv), wv) in names.iter().zip(g).zip(w) {
            assert_eq!(gv, wv, "row {} column {name}", w[0]);
        }
    }
    assert_eq!(got.len(), want.len());
    // Types are exact, and the uuid column carries the Parquet UUID logical type.
    let s = batch.schema();
    let ty = |n: &str| s.field_with_name(n).expect("field").data_type().clone();
    assert_eq!(ty("nbig"), DataType::Decimal256(60, 10));
    assert_eq!(ty("nneg"), DataType::Decimal128(7, 0));
    assert_eq!(ty("nfree"), DataType::Decimal128(38, 9));
    assert_eq!(ty("dom"), DataType::Decimal128(12, 3));
    assert_eq!(
        ty("tstz"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    let file = support::parquet_files(&dir.path().join("out"))[0].clone();
    let reader =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&file).expect("open"))
            .expect("reader");
    use parquet::file::reader::FileReader;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let u = schema
        .columns()
        .iter()
        .find(|c| c.name() == "u")
        .expect("u column");
    assert_eq!(
        u.logical_type_ref(),
        Some(&parquet::basic::LogicalType::Uuid)
    );
}

mod content;
mod runs;
