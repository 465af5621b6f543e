//! SQLite content that does not fit its declared column type fails the job, naming job,
//! column and row key, and commits nothing of that job; the run's other jobs commit.

use crate::support::{self, HEADER, job_row};
use sqlx::{Connection, Executor, SqliteConnection};
use std::path::Path;

/// A SQLite file with one clean table and two tables holding one bad value each.
fn database(path: &Path) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(async {
            let mut c = SqliteConnection::connect(&url).await.expect("sqlite opens");
            c.execute(
                "CREATE TABLE clean (id INTEGER PRIMARY KEY, name TEXT);
                 INSERT INTO clean VALUES (1, 'fine');
                 CREATE TABLE latin (id INTEGER PRIMARY KEY, name TEXT);
                 INSERT INTO latin VALUES (1, 'plain'), (5, CAST(X'636166E9' AS TEXT)), (6, 'after');
                 CREATE TABLE typed (id INTEGER PRIMARY KEY, qty INTEGER);
                 INSERT INTO typed VALUES (1, 10), (9, 'twelve');",
            )
            .await
            .expect("tables");
        });
}

#[test]
fn values_that_do_not_fit_fail_their_job_naming_column_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    database(&p.join("content.sqlite"));
    std::fs::write(
        p.join("secrets.toml"),
        "[sources.db]\ntype = \"sqlite\"\npath = \"content.sqlite\"\n\n[destinations.output]\npath = \"out\"\n",
    )
    .expect("secrets");
    let row = |job: &'static str, table: &'static str| {
        let mut r = job_row(job, "SQLite", "db", "", table, "FULL", "", "id", "", "");
        r[8] = table;
        r
    };
    support::write_workbook(
        &p.join("jobs.xlsx"),
        HEADER,
        &[
            row("latin_job", "latin"),
            row("typed_job", "typed"),
            row("clean_job", "clean"),
        ],
    );
    let out = support::ingest(p, &["run", "--config", "jobs.xlsx"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(!text.contains("panicked"), "{text}");
    for (job, column, key, why) in [
        ("latin_job", "`name`", "row key 5", "UTF-8"),
        ("typed_job", "`qty`", "row key 9", "twelve"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(job) && l.contains(column))
            .unwrap_or_else(|| panic!("no line names {job} and {column}:\n{text}"));
        assert!(line.contains(key), "{key} missing: {line}");
        assert!(line.contains(why), "{why} missing: {line}");
        let table = job.trim_end_matches("_job");
        assert!(
            support::parquet_files(&p.join("out/raw").join(table)).is_empty(),
            "{job} committed nothing"
        );
        assert!(!p.join(format!("metadata/state/{job}.json")).exists());
    }
    let clean = support::parquet_files(&p.join("out/raw/clean"));
    assert_eq!(support::parquet_rows(&clean), 1, "the clean job committed");
}
