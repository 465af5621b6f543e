//! PostgreSQL runs: incremental, failures, snapshot consistency.

use super::*;

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
fn incremental_numeric_without_precision_is_an_exact_decimal_cursor() {
    // Like Oracle's NUMBER ids: `numeric` without precision is Decimal128(38, 9), a decimal cursor.
    let t = "pg_it_inc_numeric";
    incremental(
        t,
        "numeric",
        &format!(
            "INSERT INTO {t} VALUES (1,10.5,'a'),(2,20.000000001,'b'),(3,20.000000001,'c'),(4,20.000000001,'d');"
        ),
        &format!(
            "INSERT INTO {t} VALUES (5,20.000000001,'e'),(6,20.00000001,'f'),(7,123456789012345678.5,'g');"
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
            {
                let mut r = job_row(
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
                );
                r[8] = "lake_incremental"; // one table folder per job
                r
            },
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
    let rest = base
        .strip_prefix("postgres://")
        .expect("the PostgreSQL test URL starts with postgres://");
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
    assert!(support::parquet_files(&two.path().join("out")).len() >= 2);
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
        let source = ingest::source::postgres::PgSource::connect(
            "pg",
            &ingest::source::postgres::PgSettings::of(&secret).expect("settings"),
        )
            .await
            .expect("source connects");
        let rel = Relation {
            schema: None,
            table: Some("pg_it_snap".into()),
            query: None,
            filter: None,
        };
        let mut described = source.describe(&rel).await.expect("describe");
        // Another connection changes the table after the source opened its snapshot.
        let mut w = PgConnection::connect(&pg_url()).await.expect("writer");
        w.execute("INSERT INTO pg_it_snap SELECT g, 1 FROM generate_series(1001, 1500) g; UPDATE pg_it_snap SET v = 2 WHERE id <= 10")
            .await
            .expect("writes");
        let b = bounds_sql(Dialect::Postgres, &rel, "id", None);
        let (_, hi) = source
            .bounds(
                &mut described.native,
                &b,
                "id",
                ingest::plan::CursorKind::Int,
            )
            .await
            .expect("bounds")
            .expect("rows");
        assert_eq!(hi, ingest::plan::CursorValue::Int(1000), "MAX read in the snapshot");
        let mut rows = 0;
        let mut sum = 0i64;
        let spec = ingest::source::Extract {
            query: select_sql(Dialect::Postgres, &rel, None, None),
            schema: described.schema.clone(),
            native: described.native.clone(),
            batch_rows: 300,
            key_columns: vec![0],
            window: None,
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

#[test]
fn source_query_types_come_from_the_catalog() {
    let setup_sql = "DROP TABLE IF EXISTS pg_it_q; CREATE TABLE pg_it_q (id bigint primary key, n numeric(18,4), t text);
        INSERT INTO pg_it_q VALUES (1, 1.5, 'a'), (2, -2.25, NULL);";
    if setup(setup_sql).is_none() {
        return;
    }
    let dir = scratch("", &[]);
    let header = [
        "job_id",
        "source_type",
        "source_name",
        "source_query",
        "load_type",
        "enabled",
        "target_container",
        "target_folder_path",
        "destination",
    ];
    let q = "SELECT id, n, n * 2 AS doubled, upper(t) AS \"Upper\" FROM pg_it_q";
    support::write_workbook(
        &dir.path().join("jobs.xlsx"),
        &header,
        &[vec![
            "pg_q",
            "postgresql",
            "pg",
            q,
            "FULL",
            "Y",
            "raw",
            "lake",
            "output",
        ]],
    );
    let out = run(dir.path());
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let b = batches(dir.path());
    let s = b[0].schema();
    let types: Vec<DataType> = s.fields().iter().map(|f| f.data_type().clone()).collect();
    assert_eq!(
        types,
        vec![
            DataType::Int64,
            DataType::Decimal128(18, 4),
            DataType::Decimal128(38, 9),
            DataType::Utf8
        ]
    );
    assert_eq!(s.field(3).name(), "Upper");
    assert_eq!(b.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
}
