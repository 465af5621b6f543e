//! Oracle end to end, only when `INGEST_TEST_ORACLE_URL` (`user/password@//host:1521/service`)
//! is set and Oracle Instant Client is installed. No Oracle can run in CI, so without the
//! variable this module prints SKIPPED and passes.

use crate::support;
use arrow::array::{Array, Decimal128Array, StringArray, TimestampNanosecondArray};

const TABLE: &str = "INGEST_ORACLE_IT_TYPES";

/// (user, password, connect string) from the variable.
fn login() -> Option<(String, String, String)> {
    let url = match std::env::var("INGEST_TEST_ORACLE_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => {
            eprintln!("SKIPPED: INGEST_TEST_ORACLE_URL is not set (no Oracle to test against)");
            return None;
        }
    };
    let (creds, connect) = url.rsplit_once('@').expect("user/password@connect_string");
    let (user, password) = creds.split_once('/').expect("user/password");
    Some((user.into(), password.into(), connect.into()))
}

fn exec(login: &(String, String, String), sqls: &[&str]) {
    let conn = oracle::Connection::connect(&login.0, &login.1, &login.2).expect("oracle login");
    for sql in sqls {
        if let Err(e) = conn.execute(sql, &[]) {
            assert!(sql.starts_with("DROP"), "{sql}: {e}");
        }
    }
    conn.commit().expect("commit");
}

#[test]
fn all_types_round_trip_and_timestamp9_watermark() {
    let Some(login) = login() else { return };
    exec(
        &login,
        &[
            &format!("DROP TABLE {TABLE}"),
            &format!(
                "CREATE TABLE {TABLE} (ID NUMBER(9) PRIMARY KEY, AMOUNT NUMBER(12,2), FREE NUMBER,
                 NAME NVARCHAR2(50), BODY CLOB, RAWV RAW(4), D DATE, UPDATED_AT TIMESTAMP(9),
                 AT_TZ TIMESTAMP(6) WITH TIME ZONE, SPAN INTERVAL DAY TO SECOND)"
            ),
            &format!(
                "INSERT INTO {TABLE} VALUES (1, 1234.5, 0.1234567891, 'Zoë', 'long text', HEXTORAW('DEADBEEF'),
                 DATE '2024-01-15', TIMESTAMP '2024-01-15 10:00:00.123456789',
                 TIMESTAMP '2024-01-15 12:00:00 +02:00', INTERVAL '1 02:03:04.5' DAY TO SECOND)"
            ),
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = format!(
        "[sources.oracle_it]\ntype = \"oracle\"\nusername = \"{}\"\npassword = \"{}\"\nconnect_string = \"{}\"\n\n\
         [destinations.output]\npath = \"out\"\n",
        login.0, login.1, login.2
    );
    std::fs::write(dir.path().join("secrets.toml"), secrets).expect("secrets");
    let row = support::job_row(
        "oracle_types",
        "Oracle",
        "oracle_it",
        &login.0,
        TABLE,
        "INCREMENTAL",
        "UPDATED_AT",
        "ID",
        "100",
        "1",
    );
    support::write_workbook(&dir.path().join("jobs.xlsx"), support::HEADER, &[row]);
    let out = support::ingest(dir.path(), &["run", "--config", "jobs.xlsx"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let files = support::parquet_files(&dir.path().join("out"));
    let batches: Vec<_> = files
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .collect();
    let b = batches.iter().find(|b| b.num_rows() > 0).expect("a batch");
    let amount = b.column_by_name("AMOUNT").expect("AMOUNT");
    assert_eq!(
        amount
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .expect("decimal")
            .value(0),
        123_450
    );
    let free = b.column_by_name("FREE").expect("FREE");
    assert_eq!(
        free.as_any()
            .downcast_ref::<Decimal128Array>()
            .expect("decimal")
            .value(0),
        1_234_567_891
    );
    let ts = b.column_by_name("UPDATED_AT").expect("UPDATED_AT");
    let ts = ts
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .expect("ns");
    assert_eq!(ts.value(0) % 1_000_000_000, 123_456_789);
    let span = b.column_by_name("SPAN").expect("SPAN");
    assert_eq!(
        span.as_any()
            .downcast_ref::<StringArray>()
            .expect("text")
            .value(0),
        "P1DT2H3M4.5S"
    );
    let state = std::fs::read_to_string(dir.path().join("metadata/state/oracle_types.json"))
        .expect("state");
    assert!(state.contains("2024-01-15T10:00:00.123456789"), "{state}");
    exec(&login, &[&format!("DROP TABLE {TABLE}")]);
}

/// Runs everywhere: without Instant Client (or without a server) `validate --connect` fails
/// cleanly with exit 1 and says how to install the client; no secret is shown.
#[test]
fn validate_connect_explains_a_missing_instant_client() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        "[sources.oracle_down]\ntype = \"oracle\"\nhost = \"127.0.0.1\"\nport = 1\n\
         service_name = \"NOPE\"\nusername = \"u\"\npassword = \"pw-never-shown\"\n\n\
         [destinations.output]\npath = \"out\"\n",
    )
    .expect("secrets");
    let row = support::job_row(
        "oracle_down",
        "Oracle",
        "oracle_down",
        "HR",
        "T",
        "FULL",
        "",
        "",
        "",
        "",
    );
    support::write_workbook(&dir.path().join("jobs.xlsx"), support::HEADER, &[row]);
    let out = support::ingest(
        dir.path(),
        &["validate", "--config", "jobs.xlsx", "--connect"],
    );
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains("cannot connect to Oracle source `oracle_down`"),
        "{text}"
    );
    assert!(!text.contains("pw-never-shown"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    if text.contains("DPI-1047") {
        assert!(text.contains("Instant Client"), "{text}");
    }
}
