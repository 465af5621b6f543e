//! `write_disposition = merge` on PostgreSQL and MariaDB: a FULL load, then increments with
//! updates and inserts at the boundary (cursor equal to the previous high-water mark) and
//! duplicate keys in one increment. After each load the table, read by deltalake and polars,
//! equals the source's current rows key by key (the newest row per id); time travel to version
//! N equals load N; a rerun with no change adds no version. Tables are named `it_merge`.

use super::{python, read};
use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Copy)]
enum Db {
    Pg,
    My,
}

impl Db {
    fn url(self) -> String {
        match self {
            Db::Pg => std::env::var("INGEST_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
            Db::My => std::env::var("INGEST_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
        }
    }

    fn source_type(self) -> &'static str {
        match self {
            Db::Pg => "postgresql",
            Db::My => "mysql",
        }
    }

    /// Run SQL; false (after `service_missing`) when the server is not reachable.
    fn sql(self, sql: &str) -> bool {
        let name = match self {
            Db::Pg => "PostgreSQL",
            Db::My => "MariaDB/MySQL",
        };
        support::admin_sql(name, &self.url(), sql)
    }
}

/// The source table as the test knows it: every row, duplicates of an id included.
#[derive(Default)]
struct Source {
    rows: Vec<(i64, Option<String>, i64, i64)>,
}

impl Source {
    /// SQL inserting a row (`cents` is the amount in hundredths) and the same in the model.
    fn insert(&mut self, id: i64, name: Option<&str>, cents: i64, updated: i64) -> String {
        self.rows
            .push((id, name.map(str::to_string), cents, updated));
        let name = name.map_or("NULL".to_string(), |n| format!("'{n}'"));
        format!(
            "INSERT INTO it_merge VALUES ({id}, {name}, {}.{:02}, {updated});",
            cents / 100,
            cents % 100
        )
    }

    /// SQL updating every row of `id`, and the same in the model.
    fn update(&mut self, id: i64, name: &str, updated: i64) -> String {
        for r in self.rows.iter_mut().filter(|r| r.0 == id) {
            r.1 = Some(name.to_string());
            r.3 = updated;
        }
        format!("UPDATE it_merge SET name = '{name}', updated = {updated} WHERE id = {id};")
    }

    /// The current rows: per id the row with the newest `updated`, as the readers print them.
    fn current(&self) -> Value {
        let mut newest: BTreeMap<i64, &(i64, Option<String>, i64, i64)> = BTreeMap::new();
        for r in &self.rows {
            if newest.get(&r.0).is_none_or(|n| r.3 > n.3) {
                newest.insert(r.0, r);
            }
        }
        newest
            .values()
            .map(|(id, name, cents, updated)| {
                json!({
                    "id": id,
                    "name": name,
                    "amount": format!("{}.{:02}", cents / 100, cents % 100),
                    "updated": updated,
                })
            })
            .collect()
    }
}

fn scratch(db: Db) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.db]\ntype = \"{}\"\nurl = \"{}\"\n\n[destinations.output]\npath = \"out\"\n",
            db.source_type(),
            db.url()
        ),
    )
    .expect("secrets");
    let schema = match db {
        Db::Pg => "public",
        Db::My => "",
    };
    let mut header = HEADER.to_vec();
    header.extend(["target_format", "write_disposition"]);
    let mut row = job_row(
        "merge",
        db.source_type(),
        "db",
        schema,
        "it_merge",
        "INCREMENTAL",
        "updated",
        "id",
        "1000",
        "1",
    );
    row.extend(["delta", "merge"]);
    support::write_workbook(&dir.path().join("jobs.xlsx"), &header, &[row]);
    dir
}

/// Run the job; its summary.
fn run(p: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["run", "--config", "jobs.xlsx", "--output", "json"];
    args.extend_from_slice(extra);
    let out = ingest(p, &args);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    summary[0].clone()
}

fn merge_matrix(db: Db) {
    let Some(py) = python() else { return };
    if !db.sql(
        "DROP TABLE IF EXISTS it_merge; CREATE TABLE it_merge (id INT NOT NULL, \
         name VARCHAR(40), amount DECIMAL(12,2), updated INT NOT NULL)",
    ) {
        return;
    }
    let dir = scratch(db);
    let p = dir.path();
    let uri = p.join("out/raw/lake/db_it_merge").display().to_string();
    let mut src = Source::default();
    let mut loads: Vec<Value> = Vec::new();

    // Load 1, FULL: ids 1-6, and id 3 twice (the newer row wins).
    let mut sql: String = (1..=6)
        .map(|i| src.insert(i, Some(&format!("n{i}")), i * 125, i * 10))
        .collect();
    sql += &src.insert(3, None, 999, 35);
    assert!(db.sql(&sql));
    assert_eq!(run(p, &["--full-refresh"])["rows"], 7);
    let doc = read(&py, &uri, &Value::Null, None, "merge");
    assert_eq!(doc["version"], 0, "the first load creates the table");
    assert_eq!(doc["rows"], src.current(), "load 1: newest row per key");
    loads.push(src.current());

    // Load 2: at the boundary (updated = 60, the previous high-water mark) an update of id 2
    // and a new id 7; above it an update of id 4 and id 8 twice in one increment.
    let sql = [
        src.update(2, "b2", 60),
        src.insert(7, Some("g"), 700, 60),
        src.update(4, "d2", 70),
        src.insert(8, Some("h-old"), 800, 75),
        src.insert(8, Some("h-new"), 801, 80),
        src.insert(9, None, 900, 80),
    ]
    .concat();
    assert!(db.sql(&sql));
    let summary = run(p, &[]);
    assert_eq!(
        summary["rows"], 6,
        "boundary rows of load 1 are not read again"
    );
    let doc = read(&py, &uri, &Value::Null, None, "merge");
    assert_eq!(doc["version"], 1, "one commit per load");
    assert_eq!(doc["txn"], 2, "txn version = the job's load sequence");
    assert_eq!(doc["ingest"][0]["seq"], 2);
    assert_eq!(doc["rows"], src.current(), "load 2 merged key by key");
    loads.push(src.current());

    // Load 3: a new id at the boundary (80), updates above it, and a newer duplicate row of id
    // 3 that replaces the merged one.
    let sql = [
        src.insert(10, Some("j"), 1000, 80),
        src.update(1, "a3", 90),
        src.update(7, "g3", 95),
        src.insert(3, Some("c-newest"), 333, 95),
    ]
    .concat();
    assert!(db.sql(&sql));
    assert_eq!(run(p, &[])["rows"], 4);
    let doc = read(&py, &uri, &Value::Null, None, "merge");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["rows"], src.current(), "load 3 merged key by key");
    loads.push(src.current());

    // No change: nothing loaded, no version added.
    assert_eq!(run(p, &[])["rows"], 0);
    let doc = read(&py, &uri, &Value::Null, None, "merge");
    assert_eq!(
        (doc["version"].clone(), doc["txn"].clone()),
        (2.into(), 3.into())
    );

    // Load 4 commits, its state write is lost (an older state file): the next run adopts the
    // table's last commit and merges nothing twice.
    let state_file = p.join("metadata/state/merge.json");
    let saved = std::fs::read(&state_file).expect("state");
    assert!(db.sql(&src.update(5, "e4", 100)));
    assert_eq!(run(p, &[])["rows"], 1);
    loads.push(src.current());
    std::fs::write(&state_file, saved).expect("restore old state");
    let out = ingest(p, &["run", "--config", "jobs.xlsx", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("adopting load"), "{}", text(&out));
    let doc = read(&py, &uri, &Value::Null, None, "merge");
    assert_eq!(
        (doc["version"].clone(), doc["txn"].clone()),
        (3.into(), 4.into())
    );
    assert_eq!(doc["rows"], src.current());

    // A full refresh rewrites the table from the source, still one row per key.
    assert_eq!(run(p, &["--full-refresh"])["rows"], 13, "every source row");
    let doc = read(&py, &uri, &Value::Null, None, "merge");
    assert_eq!(doc["version"], 4);
    assert_eq!(
        doc["rows"],
        src.current(),
        "full refresh: newest row per key"
    );
    loads.push(src.current());

    for (n, want) in loads.iter().enumerate() {
        let back = read(&py, &uri, &Value::Null, Some(n as i64), "merge");
        assert_eq!(
            &back["rows"],
            want,
            "time travel to version {n} = load {}",
            n + 1
        );
    }
    let staging = p.join("out/raw/lake/db_it_merge/_ingest_staging");
    let left: Vec<_> = walk(&staging);
    assert!(left.is_empty(), "staged files removed: {left:?}");
}

/// Files under `dir` (none when it does not exist).
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn merge_upserts_by_key_on_postgres() {
    merge_matrix(Db::Pg);
}

#[test]
fn merge_upserts_by_key_on_mariadb() {
    merge_matrix(Db::My);
}
