//! PostgreSQL (127.0.0.1:5432, trust auth) and MariaDB (127.0.0.1:3306) sources: succeeding
//! runs with marker passwords, failing runs (wrong password, closed port, garbage server,
//! wrong database) with marker passwords; the secrets appear nowhere.

use super::{Case, Expect, Garbage, all_text, row};
use crate::support;

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";
const MY_ADMIN: &str = "mysql://root@127.0.0.1:3306/test";

#[test]
fn postgres_succeeding_runs_leak_no_password() {
    let setup = "DROP TABLE IF EXISTS it_sweep_pg; \
                 CREATE TABLE it_sweep_pg (id int PRIMARY KEY, name text); \
                 INSERT INTO it_sweep_pg VALUES (1, 'a'), (2, 'b'), (3, 'c');";
    if !support::admin_sql("PostgreSQL", PG_ADMIN, setup) {
        return;
    }
    // Trust auth accepts any password, so marker passwords log in.
    let (url_pw, field_pw, env_pw) = ("Sw33p-pg-url-p@ss", "Sw33p-pg-p@ss", "Sw33p-pg-env");
    let secrets = format!(
        "[sources.pg_url]\ntype = \"postgresql\"\n\
         url = \"postgres://postgres:Sw33p-pg-url-p%40ss@127.0.0.1:5432/test?sslmode=disable\"\n\n\
         [sources.pg_fields]\ntype = \"postgresql\"\nhost = \"127.0.0.1\"\nport = 5432\n\
         database = \"test\"\nusername = \"postgres\"\npassword = \"{field_pw}\"\n\n\
         [sources.pg_env]\ntype = \"postgresql\"\nhost = \"127.0.0.1\"\ndatabase = \"test\"\n\
         username = \"postgres\"\n\n\
         [destinations.output]\npath = \"out\"\n"
    );
    let incr = |job| {
        support::job_row(
            job,
            "PostgreSQL",
            "pg_url",
            "",
            "it_sweep_pg",
            "INCREMENTAL",
            "id",
            "id",
            "",
            "",
        )
    };
    let case = Case::new(
        &secrets,
        &[
            incr("sweep_pg_url"),
            row(
                "sweep_pg_fields",
                "PostgreSQL",
                "pg_fields",
                "public",
                "it_sweep_pg",
            ),
            row("sweep_pg_env", "PostgreSQL", "pg_env", "", "it_sweep_pg"),
        ],
    );
    let env = [("INGEST__SOURCES__PG_ENV__PASSWORD", env_pw)];
    case.sweep(Expect::Success, &env, &[url_pw, field_pw, env_pw]);
    let files = support::parquet_files(&case.path().join("out"));
    assert_eq!(support::parquet_rows(&files), 9, "three jobs of three rows");
    assert!(
        case.path()
            .join("metadata/state/sweep_pg_url.json")
            .exists()
    );
}

#[test]
fn postgres_failing_runs_leak_no_password() {
    if !support::admin_sql("PostgreSQL", PG_ADMIN, "SELECT 1") {
        return;
    }
    let garbage = Garbage::start();
    let secrets = format!(
        "[sources.pg_closed]\ntype = \"postgresql\"\nhost = \"127.0.0.1\"\nport = 1\n\
         database = \"test\"\nusername = \"postgres\"\npassword = \"Sw33p-pg-closed\"\n\n\
         [sources.pg_garbage]\ntype = \"postgresql\"\n\
         url = \"postgres://postgres:Sw33p-pg-garbage%2F@127.0.0.1:{}/test\"\n\n\
         [sources.pg_nodb]\ntype = \"postgresql\"\n\
         url = \"postgres://postgres:Sw33p-pg-nodb@127.0.0.1:5432/it_sweep_no_such_db\"\n\n\
         [sources.pg_norole]\ntype = \"postgresql\"\nhost = \"127.0.0.1\"\n\
         database = \"test\"\nusername = \"it_sweep_no_such_role\"\npassword = \"Sw33p-pg-norole\"\n\n\
         [destinations.output]\npath = \"out\"\n",
        garbage.port
    );
    let case = Case::new(
        &secrets,
        &[
            row("sweep_closed", "PostgreSQL", "pg_closed", "", "t"),
            row("sweep_garbage", "PostgreSQL", "pg_garbage", "", "t"),
            row("sweep_nodb", "PostgreSQL", "pg_nodb", "", "t"),
            row("sweep_norole", "PostgreSQL", "pg_norole", "", "t"),
        ],
    );
    let secrets = [
        "Sw33p-pg-closed",
        "Sw33p-pg-garbage/",
        "Sw33p-pg-nodb",
        "Sw33p-pg-norole",
    ];
    let outs = case.sweep(Expect::Failure, &[], &secrets);
    let text = all_text(&outs);
    assert!(text.contains("it_sweep_no_such_db"), "{text}");
    assert!(text.contains("it_sweep_no_such_role"), "{text}");
    assert!(text.contains("cannot connect"), "{text}");
}

/// A MariaDB user with a marker password, granted on `test`.
fn mysql_user(password: &str) -> bool {
    let sql = format!(
        "CREATE USER IF NOT EXISTS 'it_sweep'@'%' IDENTIFIED BY '{password}'; \
         ALTER USER 'it_sweep'@'%' IDENTIFIED BY '{password}'; \
         GRANT ALL ON test.* TO 'it_sweep'@'%'; \
         CREATE USER IF NOT EXISTS 'it_sweep'@'localhost' IDENTIFIED BY '{password}'; \
         ALTER USER 'it_sweep'@'localhost' IDENTIFIED BY '{password}'; \
         GRANT ALL ON test.* TO 'it_sweep'@'localhost'; \
         DROP TABLE IF EXISTS it_sweep_my; \
         CREATE TABLE it_sweep_my (id INT PRIMARY KEY, name VARCHAR(10)); \
         INSERT INTO it_sweep_my VALUES (1, 'a'), (2, 'b');"
    );
    support::admin_sql("MariaDB/MySQL", MY_ADMIN, &sql)
}

const MY_PASSWORD: &str = "Sw33p-my-p@ss";

#[test]
fn mysql_succeeding_and_failing_runs_leak_no_password() {
    if !mysql_user(MY_PASSWORD) {
        return;
    }
    let secrets = format!(
        "[sources.my_url]\ntype = \"mysql\"\n\
         url = \"mysql://it_sweep:Sw33p-my-p%40ss@127.0.0.1:3306/test\"\n\n\
         [sources.my_fields]\ntype = \"mysql\"\nhost = \"127.0.0.1\"\nport = 3306\n\
         database = \"test\"\nusername = \"it_sweep\"\npassword = \"{MY_PASSWORD}\"\n\n\
         [destinations.output]\npath = \"out\"\n"
    );
    let ok = Case::new(
        &secrets,
        &[
            row("sweep_my_url", "MySQL", "my_url", "", "it_sweep_my"),
            row(
                "sweep_my_fields",
                "MariaDB",
                "my_fields",
                "test",
                "it_sweep_my",
            ),
        ],
    );
    ok.sweep(Expect::Success, &[], &[MY_PASSWORD]);
    let files = support::parquet_files(&ok.path().join("out"));
    assert_eq!(support::parquet_rows(&files), 4, "two jobs of two rows");

    let garbage = Garbage::start();
    let secrets = format!(
        "[sources.my_wrong]\ntype = \"mysql\"\nhost = \"127.0.0.1\"\nport = 3306\n\
         database = \"test\"\nusername = \"it_sweep\"\npassword = \"Sw33p-my-wr0ng\"\n\n\
         [sources.my_wrong_url]\ntype = \"mysql\"\n\
         url = \"mysql://it_sweep:Sw33p-my-wr0ng-url%3B@127.0.0.1:3306/test\"\n\n\
         [sources.my_closed]\ntype = \"mysql\"\n\
         url = \"mysql://it_sweep:Sw33p-my-closed@127.0.0.1:1/test\"\n\n\
         [sources.my_garbage]\ntype = \"mysql\"\nhost = \"127.0.0.1\"\nport = {}\n\
         username = \"it_sweep\"\npassword = \"Sw33p-my-garbage\"\n\n\
         [sources.my_nodb]\ntype = \"mysql\"\n\
         url = \"mysql://it_sweep:{}@127.0.0.1:3306/it_sweep_no_such_db\"\n\n\
         [destinations.output]\npath = \"out\"\n",
        garbage.port,
        MY_PASSWORD.replace('@', "%40")
    );
    let bad = Case::new(
        &secrets,
        &[
            row("sweep_my_wrong", "MySQL", "my_wrong", "", "it_sweep_my"),
            row(
                "sweep_my_wrong_url",
                "MySQL",
                "my_wrong_url",
                "",
                "it_sweep_my",
            ),
            row("sweep_my_closed", "MySQL", "my_closed", "", "it_sweep_my"),
            row("sweep_my_garbage", "MySQL", "my_garbage", "", "it_sweep_my"),
            row("sweep_my_nodb", "MySQL", "my_nodb", "", "it_sweep_my"),
        ],
    );
    let outs = bad.sweep(
        Expect::Failure,
        &[],
        &[
            MY_PASSWORD,
            "Sw33p-my-wr0ng",
            "Sw33p-my-wr0ng-url;",
            "Sw33p-my-closed",
            "Sw33p-my-garbage",
        ],
    );
    let text = all_text(&outs);
    assert!(text.to_lowercase().contains("access denied"), "{text}");
    assert!(text.contains("it_sweep_no_such_db"), "{text}");
}
