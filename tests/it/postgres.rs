//! PostgreSQL source against a real server (INGEST_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).

use crate::support::{self, HEADER, job_row};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;
use sqlx::{Connection, Executor, PgConnection, Row};
use std::path::Path;

fn pg_url() -> String {
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
    let url = pg_url();
    let r = rt().block_on(async {
        let mut c = PgConnection::connect(&url).await?;
        c.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())))
            .await?;
        Ok::<_, sqlx::Error>(())
    });
    match r {
        Ok(()) => Some(()),
        Err(sqlx::Error::Database(e)) => panic!("setup SQL failed: {e}"),
        Err(e) => {
            support::service_missing("PostgreSQL", &e.to_string());
            None
        }
    }
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

const ALL_TYPES: &str = r#"
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

fn ids(dir: &Path, col: &str) -> Vec<i64> {
    let mut v: Vec<i64> = batches(dir)
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name(col)
                .expect("column")
                .as_primitive::<arrow::datatypes::Int64Type>()
                .clone();
            (0..a.len()).map(move |i| a.value(i))
        })
        .collect();
    v.sort_unstable();
    v
}

fn incremental(table: &str, cursor_ddl: &str, first: &str, second: &str) {
    let ddl = format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id bigint primary key, c {cursor_ddl}, v text); {first}"
    );
    if setup(&ddl).is_none() {
        return;
    }
    let dir = scratch(
        "",
        &[job_row(
            "pg_inc",
            "postgresql",
            "pg",
            "public",
            table,
            "INCREMENTAL",
            "c",
            "id",
            "1000",
            "2",
        )],
    );
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(ids(dir.path(), "id"), vec![1, 2, 3, 4]);
    setup(second).expect("second batch");
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(
        ids(dir.path(), "id"),
        vec![1, 2, 3, 4, 5, 6, 7],
        "no duplicates, nothing lost"
    );
}

#[test]
fn incremental_timestamptz_with_boundary_duplicates() {
    let t = "pg_it_inc_tstz";
    incremental(
        t,
        "timestamptz",
        &format!(
            "INSERT INTO {t} VALUES (1,'2024-01-01 00:00+00','a'),(2,'2024-01-02 00:00+02','b'),(3,'2024-01-02 00:00+02','c'),(4,'2024-01-02 00:00+02','d');"
        ),
        &format!(
            "INSERT INTO {t} VALUES (5,'2024-01-01 22:00+00','e'),(6,'2024-01-03 00:00+00','f'),(7,'2024-01-03 00:00+00','g');"
        ),
    );
}

#[test]
fn incremental_bigint_with_boundary_duplicates() {
    let t = "pg_it_inc_int";
    incremental(
        t,
        "bigint",
        &format!("INSERT INTO {t} VALUES (1,10,'a'),(2,20,'b'),(3,20,'c'),(4,20,'d');"),
        &format!("INSERT INTO {t} VALUES (5,20,'e'),(6,30,'f'),(7,30,'g');"),
    );
}

#[test]
fn numeric_that_does_not_fit_fails_naming_column_and_value() {
    let setup_sql = "DROP TABLE IF EXISTS pg_it_numfit; CREATE TABLE pg_it_numfit (id int primary key, amount numeric); INSERT INTO pg_it_numfit VALUES (1, 1.5), (2, 1.0000000001);";
    if setup(setup_sql).is_none() {
        return;
    }
    let dir = scratch(
        "",
        &[job_row(
            "pg_numfit",
            "postgresql",
            "pg",
            "",
            "pg_it_numfit",
            "FULL",
            "",
            "id",
            "",
            "1",
        )],
    );
    let out = run(dir.path());
    let text = support::text(&out);
    assert_ne!(support::code(&out), 0, "{text}");
    assert!(
        text.contains("amount") && text.contains("1.0000000001"),
        "{text}"
    );
    assert!(text.contains("row key 2"), "{text}");
    // With a wider default the same value loads exactly.
    let dir = scratch(
        "numeric_default = \"30,12\"",
        &[job_row(
            "pg_numfit",
            "postgresql",
            "pg",
            "",
            "pg_it_numfit",
            "FULL",
            "",
            "id",
            "",
            "1",
        )],
    );
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let b = batches(dir.path());
    assert_eq!(
        b[0].schema().field(1).data_type(),
        &DataType::Decimal128(30, 12)
    );
}

#[test]
fn infinite_timestamps_follow_the_infinity_option() {
    let setup_sql = "DROP TABLE IF EXISTS pg_it_inf; CREATE TABLE pg_it_inf (id int primary key, ts timestamp); INSERT INTO pg_it_inf VALUES (1, 'infinity'), (2, '2020-01-01');";
    if setup(setup_sql).is_none() {
        return;
    }
    let row = || {
        vec![job_row(
            "pg_inf",
            "postgresql",
            "pg",
            "",
            "pg_it_inf",
            "FULL",
            "",
            "id",
            "",
            "1",
        )]
    };
    let out = run(scratch("", &row()).path());
    let text = support::text(&out);
    assert_ne!(support::code(&out), 0, "{text}");
    assert!(text.contains("`ts`") && text.contains("infinity"), "{text}");
    let dir = scratch("infinity = \"null\"", &row());
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let b = batches(dir.path());
    assert_eq!(b.iter().map(|b| b.column(1).null_count()).sum::<usize>(), 1);
}

#[test]
fn empty_table_and_empty_window_load_nothing() {
    let setup_sql = "DROP TABLE IF EXISTS pg_it_empty; CREATE TABLE pg_it_empty (id bigint primary key, ts timestamptz, u uuid);";
    if setup(setup_sql).is_none() {
        return;
    }
    let dir = scratch(
        "",
        &[
            job_row(
                "pg_empty_full",
                "postgresql",
                "pg",
                "",
                "pg_it_empty",
                "FULL",
                "",
                "id",
                "",
                "2",
            ),
            job_row(
                "pg_empty_inc",
                "postgresql",
                "pg",
                "",
                "pg_it_empty",
                "INCREMENTAL",
                "ts",
                "id",
                "",
                "2",
            ),
        ],
    );
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_eq!(
        support::parquet_rows(&support::parquet_files(&dir.path().join("out"))),
        0
    );
}

#[test]
fn connection_errors_never_show_the_password() {
    let secret = "Pg1tS3cretPassw0rd";
    let base = pg_url();
    let Some(rest) = base.strip_prefix("postgres://") else {
        return;
    };
    let host_part = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host_only = host_part.split('/').next().unwrap_or(host_part);
    let cases = [
        format!("url = \"postgres://pg_it_nobody:{secret}@{host_only}/pg_it_no_such_db\""),
        format!("host = \"127.0.0.1\"\nport = 1\nusername = \"x\"\npassword = \"{secret}\""),
    ];
    for secrets in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("secrets.toml"),
            format!("[sources.pg]\ntype = \"postgresql\"\n{secrets}\n[destinations.output]\npath = \"out\"\n"),
        )
        .expect("secrets");
        support::write_workbook(
            &dir.path().join("jobs.xlsx"),
            HEADER,
            &[job_row(
                "pg_badpw",
                "postgresql",
                "pg",
                "",
                "t",
                "FULL",
                "",
                "",
                "",
                "1",
            )],
        );
        let out = run(dir.path());
        let text = support::text(&out);
        assert_ne!(support::code(&out), 0, "{text}");
        assert!(!text.contains(secret), "password leaked: {text}");
        assert!(text.contains("cannot connect"), "{text}");
    }
}

#[test]
fn parallel_run_reads_one_snapshot_while_rows_change() {
    let setup_sql = "DROP TABLE IF EXISTS pg_it_par; CREATE TABLE pg_it_par (id bigint primary key, amount bigint not null, note text);
        INSERT INTO pg_it_par SELECT g, 0, repeat('x', 20) FROM generate_series(1, 200000) g;";
    if setup(setup_sql).is_none() {
        return;
    }
    let row = |p| {
        vec![job_row(
            "pg_par",
            "postgresql",
            "pg",
            "",
            "pg_it_par",
            "FULL",
            "",
            "id",
            "5000",
            p,
        )]
    };
    // A writer moves amounts between the two halves and appends rows; every committed state sums to 0.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let writer = std::thread::spawn(move || {
        rt().block_on(async {
            let mut c = PgConnection::connect(&pg_url()).await.expect("writer connects");
            let mut n = 0i64;
            while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let sql = format!(
                    "BEGIN; UPDATE pg_it_par SET amount = amount - 1 WHERE id = {}; UPDATE pg_it_par SET amount = amount + 1 WHERE id = {}; INSERT INTO pg_it_par VALUES ({}, 0, 'new'); COMMIT;",
                    1 + n % 1000,
                    199_000 + n % 1000,
                    1_000_000 + n
                );
                c.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql))).await.expect("writer");
            }
            n
        })
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut sums = Vec::new();
    for _ in 0..3 {
        let dir = scratch("", &row("2"));
        let out = run(dir.path());
        assert_eq!(support::code(&out), 0, "{}", support::text(&out));
        let total: i64 = batches(dir.path())
            .iter()
            .map(|b| {
                let a = b
                    .column_by_name("amount")
                    .expect("amount")
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .clone();
                a.values().iter().sum::<i64>()
            })
            .sum();
        sums.push(total);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let writes = writer.join().expect("writer thread");
    assert!(writes > 10, "the writer made only {writes} changes");
    assert!(
        sums.iter().all(|s| *s == 0),
        "a chunked run saw two states: sums {sums:?}"
    );
    // At rest, parallelism 2 equals parallelism 1 row for row.
    let (one, two) = (scratch("", &row("1")), scratch("", &row("2")));
    for d in [&one, &two] {
        let out = run(d.path());
        assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    }
    assert_eq!(
        support::parquet_files(&two.path().join("out")).len() >= 2,
        true
    );
    let (a, b) = (ids(one.path(), "id"), ids(two.path(), "id"));
    assert_eq!(a.len(), b.len());
    assert_eq!(a, b);
    assert_eq!(ids(one.path(), "amount"), ids(two.path(), "amount"));
}

#[test]
fn every_extract_reads_the_snapshot_taken_at_connect() {
    use futures::StreamExt;
    use ingest::plan::sql::{Dialect, Relation, bounds_sql, select_sql};
    let setup_sql =
        "DROP TABLE IF EXISTS pg_it_snap; CREATE TABLE pg_it_snap (id bigint primary key, v int);
        INSERT INTO pg_it_snap SELECT g, 1 FROM generate_series(1, 1000) g;";
    if setup(setup_sql).is_none() {
        return;
    }
    rt().block_on(async {
        let secret = ingest::config::secrets::SourceSecret {
            url: Some(ingest::config::secrets::Secret::new(pg_url())),
            ..Default::default()
        };
        let source = ingest::source::postgres::PgSource::connect("pg", &secret)
            .await
            .expect("source connects");
        let rel = Relation {
            schema: None,
            table: Some("pg_it_snap".into()),
            query: None,
            filter: None,
        };
        let schema = source.describe(&rel).await.expect("describe");
        // Another connection changes the table after the source opened its snapshot.
        let mut w = PgConnection::connect(&pg_url()).await.expect("writer");
        w.execute("INSERT INTO pg_it_snap SELECT g, 1 FROM generate_series(1001, 1500) g; UPDATE pg_it_snap SET v = 2 WHERE id <= 10")
            .await
            .expect("writes");
        let b = bounds_sql(Dialect::Postgres, &rel, "id", None);
        let (_, hi) = source
            .bounds(&b, "id", ingest::plan::CursorKind::Int)
            .await
            .expect("bounds")
            .expect("rows");
        assert_eq!(hi, ingest::plan::CursorValue::Int(1000), "MAX read in the snapshot");
        let mut rows = 0;
        let mut sum = 0i64;
        let spec = ingest::source::Extract {
            query: select_sql(Dialect::Postgres, &rel, None, None),
            schema: schema.clone(),
            batch_rows: 300,
            key_columns: vec![0],
        };
        let mut s = source.extract(spec);
        while let Some(batch) = s.next().await {
            let batch = batch.expect("batch");
            assert!(batch.num_rows() <= 300);
            rows += batch.num_rows();
            let v = batch.column(1).as_primitive::<arrow::datatypes::Int32Type>();
            sum += v.values().iter().map(|x| *x as i64).sum::<i64>();
        }
        assert_eq!((rows, sum), (1000, 1000), "the extract saw rows written after the snapshot");
    });
}
