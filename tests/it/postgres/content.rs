//! Database content that cannot be represented fails the job — never a panic, never a silent
//! change; other jobs of the run still commit, and nothing of the failed job is committed.

use super::*;

/// A database whose encoding is SQL_ASCII: the server stores any bytes in text columns.
const SQL_ASCII_DB: &str = "ingest_it_sql_ascii";

fn url_of(db: &str) -> String {
    match pg_url().rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => panic!("INGEST_TEST_PG_URL has no database part"),
    }
}

/// Create the SQL_ASCII database with a table holding Latin-1 bytes (not UTF-8) in row 2.
fn sql_ascii_setup() -> Option<()> {
    setup(&format!(
        "DROP DATABASE IF EXISTS {SQL_ASCII_DB} WITH (FORCE)"
    ))?;
    setup(&format!(
        "CREATE DATABASE {SQL_ASCII_DB} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
    ))?;
    rt().block_on(async {
        let mut c = PgConnection::connect(&url_of(SQL_ASCII_DB))
            .await
            .expect("connect to the SQL_ASCII database");
        c.execute(
            "CREATE TABLE latin (id int primary key, name text);
             INSERT INTO latin VALUES (1, 'plain'), (2, E'caf\\xe9'), (3, 'after');
             CREATE TABLE clean (id int primary key, name text);
             INSERT INTO clean VALUES (1, 'fine');",
        )
        .await
        .expect("tables");
    });
    Some(())
}

/// Audit lines of the run, as JSON.
fn audit(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("metadata/audit_log.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect()
}

/// PostgreSQL itself refuses to send non-UTF-8 text to a UTF-8 client (ingest always asks for
/// UTF-8), so the job fails with the server's reason; the bytes never reach ingest's decoder
/// (which would name column and key, as the SQLite test shows).
#[test]
fn invalid_utf8_text_fails_the_job_cleanly() {
    if sql_ascii_setup().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.pg]\ntype = \"postgresql\"\nurl = \"{}\"\n[destinations.output]\npath = \"out\"\n",
            url_of(SQL_ASCII_DB)
        ),
    )
    .expect("secrets");
    let mut bad = job_row(
        "latin_job",
        "postgresql",
        "pg",
        "public",
        "latin",
        "FULL",
        "",
        "id",
        "",
        "1",
    );
    bad[8] = "latin";
    let mut good = job_row(
        "clean_job",
        "postgresql",
        "pg",
        "public",
        "clean",
        "FULL",
        "",
        "id",
        "",
        "1",
    );
    good[8] = "clean";
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &[bad, good]);

    let out = run(dir.path());
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "a failed job exits 1: {text}");
    let line = text
        .lines()
        .find(|l| l.contains("latin_job") && l.contains("FAILED:"))
        .unwrap_or_else(|| panic!("no line names the failed job:\n{text}"));
    assert!(
        line.contains("invalid byte sequence for encoding \"UTF8\": 0xe9"),
        "the server's reason: {line}"
    );
    assert!(!text.contains("panicked"), "{text}");

    // The other job committed; the failed one left no data, manifest or state.
    assert_eq!(
        support::parquet_rows(&support::parquet_files(&dir.path().join("out/raw/clean"))),
        1
    );
    assert!(support::parquet_files(&dir.path().join("out/raw/latin")).is_empty());
    assert!(!dir.path().join("metadata/state/latin_job.json").exists());
    let lines = audit(dir.path());
    let failed = lines
        .iter()
        .find(|l| l["job_id"] == "latin_job")
        .expect("an audit line for the failed job");
    assert_eq!(failed["status"], "FAILED", "{failed}");
    let err = failed["error"].as_str().expect("error text");
    assert!(err.contains("invalid byte sequence"), "{err}");
}

#[test]
fn timestamp_beyond_arrow_range_fails_naming_column_and_key() {
    let sql =
        "DROP TABLE IF EXISTS pg_it_far; CREATE TABLE pg_it_far (id int primary key, ts timestamp);
               INSERT INTO pg_it_far VALUES (1, '2020-01-01'), (7, '294276-12-31 23:59:59');";
    if setup(sql).is_none() {
        return;
    }
    let dir = scratch(
        "",
        &[job_row(
            "far_job",
            "postgresql",
            "pg",
            "public",
            "pg_it_far",
            "FULL",
            "",
            "id",
            "",
            "1",
        )],
    );
    let out = run(dir.path());
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("far_job") && l.contains("`ts`"))
        .unwrap_or_else(|| panic!("no line names job and column:\n{text}"));
    assert!(line.contains("row key 7"), "{line}");
    assert!(line.contains("294276"), "the value is shown: {line}");
    assert!(
        support::parquet_files(&dir.path().join("out")).is_empty(),
        "nothing committed"
    );
}
