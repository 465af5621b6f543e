//! Issue 14 §2 and §3 end to end: `depends_on` orders jobs and skips dependents of a failure
//! (summary, audit, log), `--jobs`/`--with-deps`, dry-run stages; runtime variables stay
//! string literals with hostile values on SQLite, PostgreSQL and MariaDB, and FULL snapshot
//! folders per value keep the earlier folders. Tables are named `it_vars_*`.

use crate::support::{self, code, text};
use std::path::Path;

const HEADER: &[&str] = &[
    "job_id",
    "source_type",
    "source_name",
    "table_name",
    "load_type",
    "enabled",
    "target_container",
    "target_folder_path",
    "watermark_column",
    "query_filter",
    "destination",
    "depends_on",
];

/// A row for [`HEADER`]: FULL unless `watermark` is given.
fn row<'a>(
    id: &'a str,
    kind: &'a str,
    table: &'a str,
    folder: &'a str,
    filter: &'a str,
    deps: &'a str,
) -> Vec<&'a str> {
    vec![
        id, kind, "db", table, "FULL", "Y", "raw", folder, "", filter, "output", deps,
    ]
}

fn write(dir: &Path, source: &str, rows: &[Vec<&str>], extra_secrets: &str) {
    std::fs::write(
        dir.join("secrets.toml"),
        format!("[sources.db]\n{source}\n[destinations.output]\npath = \"out\"\n{extra_secrets}"),
    )
    .unwrap();
    support::write_workbook(&dir.join("jobs.xlsx"), HEADER, rows);
}

fn ingest(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--config", "jobs.xlsx"]);
    support::ingest(dir, &all)
}

fn sqlite_db(path: &Path, sql: &str) {
    use sqlx::{Connection, Executor};
    let url = format!("sqlite://{}?mode=rwc", path.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        c.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())))
            .await
            .unwrap();
    });
}

fn json(out: &std::process::Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

fn by_id<'a>(reports: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    reports
        .iter()
        .find(|r| r["job_id"] == id)
        .unwrap_or_else(|| panic!("no report for {id}: {reports:?}"))
}

const LITE: &str = "type = \"sqlite\"\npath = \"db.sqlite\"";

fn dag_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sqlite_db(
        &dir.path().join("db.sqlite"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');",
    );
    let rows = [
        row("a", "SQLite", "missing_table", "fa", "", ""),
        row("b", "SQLite", "t", "fb", "", "a"),
        row("c", "SQLite", "t", "fc", "", "B"),
        row("d", "SQLite", "t", "fd", "", ""),
        row("e", "SQLite", "t", "fe", "", "d"),
    ];
    write(dir.path(), LITE, &rows, "");
    dir
}

#[test]
fn a_failed_dependency_skips_its_dependents_with_the_reason_everywhere() {
    let dir = dag_dir();
    let out = ingest(
        dir.path(),
        &["run", "--output", "json", "--parallelism", "2"],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let reports = json(&out);
    assert_eq!(by_id(&reports, "a")["status"], "FAILED");
    assert_eq!(by_id(&reports, "b")["status"], "SKIPPED");
    assert_eq!(by_id(&reports, "b")["reason"], "dependency `a` failed");
    assert_eq!(by_id(&reports, "c")["reason"], "dependency `b` was skipped");
    assert_eq!(by_id(&reports, "d")["status"], "SUCCESS");
    assert_eq!(by_id(&reports, "e")["status"], "SUCCESS");
    assert_eq!(by_id(&reports, "e")["rows"], 2);

    let audit = std::fs::read_to_string(dir.path().join("metadata/audit_log.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let b = lines.iter().find(|l| l["job_id"] == "b").unwrap();
    assert_eq!(b["status"], "SKIPPED");
    assert_eq!(b["reason"], "dependency `a` failed");

    let mut logs = String::new();
    for f in std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .flatten()
    {
        logs.push_str(&std::fs::read_to_string(f.path()).unwrap());
    }
    assert!(
        logs.contains("c: SKIPPED: dependency `b` was skipped"),
        "{logs}"
    );

    let summary = ingest(dir.path(), &["run"]);
    let s = text(&summary);
    assert!(s.contains("b: skipped: dependency `a` failed"), "{s}");
}

#[test]
fn jobs_runs_only_the_named_job_unless_with_deps() {
    let dir = dag_dir();
    let only = ingest(dir.path(), &["run", "--jobs", "e", "--output", "json"]);
    assert_eq!(code(&only), 0, "{}", text(&only));
    let ids: Vec<String> = json(&only)
        .iter()
        .map(|r| r["job_id"].to_string())
        .collect();
    assert_eq!(ids, ["\"e\""]);
    let with = ingest(
        dir.path(),
        &["run", "--jobs", "e", "--with-deps", "--output", "json"],
    );
    assert_eq!(code(&with), 0, "{}", text(&with));
    let ids: Vec<String> = json(&with)
        .iter()
        .map(|r| r["job_id"].to_string())
        .collect();
    assert_eq!(ids, ["\"d\"", "\"e\""]);
}

#[test]
fn dry_run_prints_stages_in_text_and_json() {
    let dir = dag_dir();
    let out = ingest(dir.path(), &["run", "--dry-run"]);
    let t = text(&out);
    assert!(
        t.contains("stage 1: a, d\nstage 2: b, e\nstage 3: c\n"),
        "{t}"
    );
    let out = ingest(dir.path(), &["run", "--dry-run", "--output", "json"]);
    let reports = json(&out);
    assert_eq!(by_id(&reports, "c")["stage"], 3);
    assert_eq!(by_id(&reports, "c")["depends_on"][0], "b");
    assert_eq!(by_id(&reports, "a")["stage"], 1);
}

#[test]
fn cycles_unknown_variables_and_unstable_folders_are_refused_with_cells() {
    let dir = tempfile::tempdir().unwrap();
    let mut inc = row("inc", "SQLite", "t", "daily/{run_date}", "", "");
    inc[4] = "INCREMENTAL";
    inc[8] = "id";
    let rows = [
        row("a", "SQLite", "t", "fa", "", "c"),
        row("b", "SQLite", "t", "fb", "", "a"),
        row("c", "SQLite", "t", "fc", "", "b"),
        row("u", "SQLite", "t", "fu", "name = {nope}", "ghost"),
        inc,
    ];
    write(dir.path(), LITE, &rows, "");
    let out = ingest(dir.path(), &["validate"]);
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(
        t.contains("dependency cycle: `a` (SourceConfig!L2) → `c` (SourceConfig!L4) → `b` (SourceConfig!L3) → `a`"),
        "{t}"
    );
    assert!(t.contains("SourceConfig!J5"), "{t}");
    assert!(t.contains("unknown variable `{nope}`"), "{t}");
    assert!(t.contains("`ghost` in depends_on is not a job_id"), "{t}");
    assert!(t.contains("SourceConfig!H6"), "{t}");
    assert!(t.contains("INCREMENTAL job's folder must be stable"), "{t}");
}

#[test]
fn snapshot_folders_per_value_keep_earlier_folders() {
    let dir = tempfile::tempdir().unwrap();
    sqlite_db(
        &dir.path().join("db.sqlite"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);",
    );
    let rows = [row("snap", "SQLite", "t", "snap/{yyyy}/{day}", "", "")];
    write(dir.path(), LITE, &rows, "[variables]\nday = \"d0\"\n");
    let yyyy = chrono::Utc::now().format("%Y").to_string();
    let dry = ingest(dir.path(), &["run", "--dry-run", "--var", "day=d1"]);
    let t = text(&dry);
    assert!(t.contains(&format!("{{yyyy}} = {yyyy}")), "{t}");
    assert!(t.contains("{day} = d1"), "{t}");
    for day in ["d1", "d2"] {
        let out = ingest(dir.path(), &["run", "--var", &format!("day={day}")]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    for day in ["d1", "d2"] {
        let folder = dir.path().join(format!("out/raw/snap/{yyyy}/{day}"));
        let files = support::parquet_files(&folder);
        assert_eq!(support::parquet_rows(&files), 3, "{day}: {files:?}");
    }
    let bad = ingest(dir.path(), &["run", "--var", "day=../x"]);
    assert_eq!(code(&bad), 2, "{}", text(&bad));
    assert!(text(&bad).contains("the value of `{day}` cannot be used in a folder"));
}

/// The hostile values, and the rows they must select exactly.
const HOSTILE: &str = "x' OR '1'='1";
const BACKSLASH: &str = "back\\slash'q";

/// Load `it_vars_t` filtered by `--var who=…`: exactly the row holding the value comes back.
fn hostile_values_stay_literals(kind: &str, source: &str, dir: &Path) {
    let rows = [
        row("v_quote", kind, "it_vars_t", "vq", "name = {who}", ""),
        row(
            "v_back",
            kind,
            "it_vars_t",
            "vb",
            "name = {back} AND 1 = 1",
            "",
        ),
    ];
    write(dir, source, &rows, "[variables]\nwho = \"plain\"\n");
    let who = format!("who={HOSTILE}");
    let back = format!("back={BACKSLASH}");
    let args = ["run", "--output", "json", "--var", &who, "--var", &back];
    let out = ingest(dir, &args);
    assert_eq!(code(&out), 0, "{kind}: {}", text(&out));
    let reports = json(&out);
    assert_eq!(by_id(&reports, "v_quote")["rows"], 1, "{kind}: {reports:?}");
    assert_eq!(by_id(&reports, "v_back")["rows"], 1, "{kind}: {reports:?}");
    let dry = ingest(dir, &["run", "--dry-run", "--var", &who, "--var", &back]);
    let t = text(&dry);
    assert!(t.contains("'x'' OR ''1''=''1'"), "{kind}: {t}");
}

#[test]
fn hostile_variable_values_stay_literals_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    sqlite_db(
        &dir.path().join("db.sqlite"),
        &format!(
            "CREATE TABLE it_vars_t (id INTEGER PRIMARY KEY, name TEXT); \
             INSERT INTO it_vars_t VALUES (1, 'x'' OR ''1''=''1'), (2, 'plain'), (3, '{}');",
            BACKSLASH.replace('\'', "''")
        ),
    );
    hostile_values_stay_literals("SQLite", LITE, dir.path());
}

fn url(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

#[test]
fn hostile_variable_values_stay_literals_on_postgres() {
    let url = url(
        "INGEST_TEST_PG_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    let setup = format!(
        "DROP TABLE IF EXISTS it_vars_t; CREATE TABLE it_vars_t (id int PRIMARY KEY, name text); \
         INSERT INTO it_vars_t VALUES (1, 'x'' OR ''1''=''1'), (2, 'plain'), (3, E'{}');",
        BACKSLASH.replace('\\', "\\\\").replace('\'', "''")
    );
    if !support::admin_sql("PostgreSQL", &url, &setup) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = format!("type = \"postgresql\"\nurl = \"{url}\"");
    hostile_values_stay_literals("PostgreSQL", &source, dir.path());
}

#[test]
fn hostile_variable_values_stay_literals_on_mariadb() {
    let url = url("INGEST_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
    let setup = format!(
        "DROP TABLE IF EXISTS it_vars_t; CREATE TABLE it_vars_t (id int PRIMARY KEY, name text); \
         INSERT INTO it_vars_t VALUES (1, 'x'' OR ''1''=''1'), (2, 'plain'), (3, '{}');",
        BACKSLASH.replace('\\', "\\\\").replace('\'', "''")
    );
    if !support::admin_sql("MariaDB/MySQL", &url, &setup) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = format!("type = \"mysql\"\nurl = \"{url}\"");
    hostile_values_stay_literals("MySQL", &source, dir.path());
}
