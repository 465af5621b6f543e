//! Sources with no server here: SQLite (a file), SQL Server and Oracle (failing runs against a
//! closed port and against a listener that answers garbage); and secrets files that are
//! themselves broken. The secrets appear nowhere.

use super::{Case, Expect, Garbage, all_text, row, scan};
use crate::support;
use sqlx::{Connection, Executor};

/// A SQLite database `db.sqlite` with one table `it_sweep_lite` of three rows.
fn sqlite_db(dir: &std::path::Path) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            c.execute(
                "CREATE TABLE it_sweep_lite (id INTEGER PRIMARY KEY, name TEXT); \
                 INSERT INTO it_sweep_lite VALUES (1, 'a'), (2, 'b'), (3, 'c');",
            )
            .await?;
            c.close().await
        })
        .expect("sqlite setup");
}

#[test]
fn sqlite_succeeding_and_failing_runs_leak_nothing() {
    // SQLite takes no password: one given anyway must not be echoed either.
    let secrets = "[sources.lite]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\
                   password = \"Sw33p-lite-unused\"\n\n\
                   [sources.lite_missing]\ntype = \"sqlite\"\npath = \"no/such/file.sqlite\"\n\
                   password = \"Sw33p-lite-missing\"\n\n\
                   [destinations.output]\npath = \"out\"\n";
    let ok = Case::new(
        secrets,
        &[row("sweep_lite", "SQLite", "lite", "", "it_sweep_lite")],
    );
    sqlite_db(ok.path());
    ok.sweep(Expect::Success, &[], &["Sw33p-lite-unused"]);
    let files = support::parquet_files(&ok.path().join("out"));
    assert_eq!(support::parquet_rows(&files), 3);

    let bad = Case::new(
        secrets,
        &[row("sweep_lite_missing", "SQLite", "lite_missing", "", "t")],
    );
    let outs = bad.sweep(Expect::Failure, &[], &["Sw33p-lite-missing"]);
    assert!(
        all_text(&outs).contains("file.sqlite"),
        "{}",
        all_text(&outs)
    );
}

#[test]
fn mssql_failing_runs_leak_no_password() {
    let garbage = Garbage::start();
    let secrets = format!(
        "[sources.ms_closed]\ntype = \"mssql\"\nhost = \"127.0.0.1\"\nport = 1\n\
         database = \"master\"\nusername = \"sa\"\npassword = \"Sw33p-ms-closed\"\n\n\
         [sources.ms_garbage]\ntype = \"mssql\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         username = \"sa\"\npassword = \"Sw33p-ms-garbage\"\ntrust_server_certificate = true\n\n\
         [sources.ms_url]\ntype = \"mssql\"\n\
         url = \"server=tcp:127.0.0.1,{port};user id=sa;password=Sw33p-ms-url;encrypt=false\"\n\n\
         [sources.ms_url_closed]\ntype = \"mssql\"\n\
         url = \"server=tcp:127.0.0.1,1;user id=sa;password=Sw33p-ms-url-closed\"\n\n\
         [destinations.output]\npath = \"out\"\n",
        port = garbage.port
    );
    let case = Case::new(
        &secrets,
        &[
            row("sweep_ms_closed", "MSSQL", "ms_closed", "dbo", "t"),
            row("sweep_ms_garbage", "MSSQL", "ms_garbage", "dbo", "t"),
            row("sweep_ms_url", "SQLServer", "ms_url", "dbo", "t"),
            row("sweep_ms_url_closed", "MSSQL", "ms_url_closed", "dbo", "t"),
        ],
    );
    let outs = case.sweep(
        Expect::Failure,
        &[("INGEST__SOURCES__MS_CLOSED__USERNAME", "sa")],
        &[
            "Sw33p-ms-closed",
            "Sw33p-ms-garbage",
            "Sw33p-ms-url",
            "Sw33p-ms-url-closed",
        ],
    );
    let text = all_text(&outs);
    assert!(text.contains("cannot connect to"), "{text}");
    assert!(text.contains("`ms_garbage`"), "{text}");
}

#[test]
fn oracle_failing_runs_leak_no_password() {
    let garbage = Garbage::start();
    let secrets = format!(
        "[sources.ora_closed]\ntype = \"oracle\"\nhost = \"127.0.0.1\"\nport = 1\n\
         service_name = \"XEPDB1\"\nusername = \"system\"\npassword = \"Sw33p-ora-closed\"\n\n\
         [sources.ora_garbage]\ntype = \"oracle\"\n\
         connect_string = \"//127.0.0.1:{}/XEPDB1\"\nusername = \"system\"\n\
         password = \"Sw33p-ora-garbage\"\n\n\
         [destinations.output]\npath = \"out\"\n",
        garbage.port
    );
    let case = Case::new(
        &secrets,
        &[
            row("sweep_ora_closed", "Oracle", "ora_closed", "SYSTEM", "T"),
            row("sweep_ora_garbage", "Oracle", "ora_garbage", "SYSTEM", "T"),
        ],
    );
    let outs = case.sweep(
        Expect::Failure,
        &[],
        &["Sw33p-ora-closed", "Sw33p-ora-garbage"],
    );
    let text = all_text(&outs);
    assert!(text.contains("cannot connect to"), "{text}");
}

#[test]
fn broken_secrets_files_quote_no_secret() {
    let rows = [row("sweep_bad", "PostgreSQL", "pg", "", "t")];
    let broken = [
        // Unterminated string on the password's line: the parser must not quote the line.
        "[sources.pg]\ntype = \"postgresql\"\npassword = \"Sw33p-toml-unterminated\n",
        // A value of the wrong type, and a misspelled secret key.
        "[sources.pg]\ntype = \"postgresql\"\npassword = [\"Sw33p-toml-array\"]\n\
         pasword = \"Sw33p-toml-typo\"\n[destinations.output]\npath = \"out\"\n",
        // Bare, invalid TOML value.
        "[sources.pg]\nurl = Sw33p-toml-bare\n",
        // A destination with two kinds of auth.
        "[sources.pg]\ntype = \"postgresql\"\nhost = \"h\"\n\
         [destinations.output]\nstorage_account_name = \"a\"\n\
         storage_account_key = \"Sw33p-toml-key\"\nsas_token = \"sig=Sw33p-toml-sas\"\n",
    ];
    for secrets in broken {
        let case = Case::new(secrets, &rows);
        let mut outs = Vec::new();
        for args in [
            &["validate", "--config", "jobs.xlsx"][..],
            &["validate", "--config", "jobs.xlsx", "--output", "json"],
            &["run", "--config", "jobs.xlsx"],
            &["run", "--config", "jobs.xlsx", "--output", "json"],
        ] {
            let out = support::ingest_env(
                case.path(),
                args,
                &[
                    ("RUST_LOG", "trace"),
                    ("INGEST__SOURCES__PG__PORT", "Sw33p-env-port"),
                ],
            );
            assert_eq!(support::code(&out), 2, "{secrets}\n{}", support::text(&out));
            outs.push((format!("{args:?} on {secrets:?}"), out));
        }
        let forms: Vec<_> = ["Sw33p-toml-unterminated", "Sw33p-env-port"]
            .iter()
            .flat_map(|s| scan::forms(s))
            .collect();
        scan::assert_clean(case.path(), &outs, &forms);
    }
}
