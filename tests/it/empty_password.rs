//! `password = ""` means "no password": MariaDB's root without a password logs in (it used to
//! fail with `1045 … (using password: YES)`). Against the real server of
//! INGEST_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test).

use crate::support::{self, HEADER, code, ingest, job_row, text, write_workbook};

/// `(user, password, host, port, database)` of a `mysql://user[:password]@host[:port]/db` URL.
fn parts(url: &str) -> (String, Option<String>, String, u16, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, rest) = rest.split_once('@').unwrap_or(("root", rest));
    let (user, password) = match auth.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (auth.to_string(), None),
    };
    let (addr, db) = rest.split_once('/').unwrap_or((rest, "test"));
    let db = db.split('?').next().unwrap_or("test").to_string();
    let (host, port) = match addr.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().expect("a port number")),
        None => (addr.to_string(), 3306),
    };
    (user, password, host, port, db)
}

#[test]
fn an_empty_password_logs_in_without_one() {
    let url = std::env::var("INGEST_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let (user, password, host, port, db) = parts(&url);
    if password.as_deref().is_some_and(|p| !p.is_empty()) {
        support::service_missing(
            "a MariaDB user without a password",
            "the test MariaDB URL has a password",
        );
        return;
    }
    if !support::admin_sql(
        "MariaDB/MySQL",
        &url,
        "DROP TABLE IF EXISTS it_nopw; CREATE TABLE it_nopw (id INT PRIMARY KEY); INSERT INTO it_nopw VALUES (1), (2);",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.maria]\ntype = \"mysql\"\nhost = \"{host}\"\nport = {port}\ndatabase = \"{db}\"\n\
             username = \"{user}\"\npassword = \"\"\n\n[destinations.output]\npath = \"out\"\n"
        ),
    )
    .unwrap();
    let row = job_row(
        "nopw", "MySQL", "maria", "", "it_nopw", "FULL", "", "id", "", "",
    );
    write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &[row]);
    let out = ingest(
        dir.path(),
        &["validate", "--connect", "--config", "jobs.xlsx"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("source maria: ok"), "{}", text(&out));
    let out = ingest(dir.path(), &["run", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let files = support::parquet_files(&dir.path().join("out"));
    assert_eq!(support::parquet_rows(&files), 2);
}
