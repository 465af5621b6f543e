//! Delta file statistics (min/max per column in the `add` actions) and the `schema_change`
//! policy on Delta tables, read back by the Python deltalake, polars and pyarrow.

use super::{expected, insert, python, read, run, scratch, sqlite, table_uri};
use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::{Value, json};
use std::path::Path;

/// Prints the table's add actions (flattened stats) and how many files a filter `id > 12`
/// keeps in a pyarrow dataset of the table.
const STATS: &str = r#"
import json, sys
from deltalake import DeltaTable
import pyarrow as pa
import pyarrow.compute as pc
dt = DeltaTable(sys.argv[1])
def plain(v):
    return v if v is None or isinstance(v, (int, float, str)) else str(v)
adds = [{k: plain(v) for k, v in a.items()} for a in pa.table(dt.get_add_actions(flatten=True)).to_pylist()]
ds = dt.to_pyarrow_dataset()
print(json.dumps({
    "adds": sorted(adds, key=lambda a: a["min.id"]),
    "kept": len(list(ds.get_fragments(filter=pc.field("id") > 12))),
    "rows": ds.to_table(filter=pc.field("id") > 12).num_rows,
}))
"#;

fn stats(py: &Path, uri: &str) -> Value {
    let out = std::process::Command::new(py)
        .args(["-c", STATS, uri])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "reader failed: {}", text(&out));
    serde_json::from_slice(&out.stdout).expect("reader JSON")
}

#[test]
fn add_actions_carry_min_max_and_a_filtered_read_prunes_files() {
    let Some(py) = python() else { return };
    let dir = scratch("delta_stats", "INCREMENTAL", "append");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 10, "a"));
    run(p);
    sqlite(&db, &insert(11, 15, "b"));
    run(p);
    let s = stats(&py, &table_uri(p));
    let adds = &s["adds"];
    assert_eq!(adds.as_array().map(Vec::len), Some(2), "{s:#}");
    let (first, second) = (&adds[0], &adds[1]);
    assert_eq!(
        (first["min.id"].clone(), first["max.id"].clone()),
        (json!(1), json!(10))
    );
    assert_eq!(
        (second["min.id"].clone(), second["max.id"].clone()),
        (json!(11), json!(15))
    );
    assert_eq!(first["num_records"], 10);
    assert_eq!(first["null_count.name"], 2, "ids 5 and 10 have no name");
    assert_eq!(
        (first["min.name"].clone(), first["max.name"].clone()),
        (json!("a-1"), json!("a-9"))
    );
    assert_eq!(
        (second["min.amount"].clone(), second["max.amount"].clone()),
        (json!("11.25"), json!("15.25"))
    );
    assert_eq!(second["min.seen_at"], "2024-01-01 00:00:11");
    assert_eq!(second["max.seen_at"], "2024-01-01 00:00:15");
    assert_eq!(s["kept"], 1, "the file of ids 1-10 is pruned by its max");
    assert_eq!(s["rows"], 3);
}

/// A scratch folder whose one job has a `schema_change` policy.
fn scratch_with(job: &str, disposition: &str, policy: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(
        p.join("secrets.toml"),
        "[sources.db]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\n[destinations.output]\npath = \"out\"\n",
    )
    .expect("secrets");
    let mut row = job_row(
        job,
        "SQLite",
        "db",
        "",
        "items",
        "INCREMENTAL",
        "updated",
        "id",
        "",
        "",
    );
    row.extend(["delta", disposition, policy]);
    let mut header = HEADER.to_vec();
    header.extend(["target_format", "write_disposition", "schema_change"]);
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[row]);
    dir
}

#[test]
fn evolve_adds_columns_keeps_dropped_ones_and_refuses_type_changes() {
    let Some(py) = python() else { return };
    let dir = scratch_with("delta_evolve", "append", "evolve");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 3, "a"));
    run(p);
    sqlite(
        &db,
        "ALTER TABLE items ADD COLUMN extra TEXT; \
         INSERT INTO items (id, name, amount, seen_at, updated, extra) VALUES (4, 'a-4', 4.25, '2024-01-01 00:00:04', 4, 'x4');",
    );
    let summary = run(p);
    assert_eq!(summary["rows"], 1);
    assert!(
        summary["schema_change"].to_string().contains("extra"),
        "{summary}"
    );
    let uri = table_uri(p);
    let doc = read(&py, &uri, &Value::Null, None, "delta_evolve");
    assert_eq!(doc["schema"]["extra"], "string", "{doc}");
    let mut want: Vec<Value> = expected(1, 3, "a")
        .into_iter()
        .map(|mut r| {
            r["extra"] = Value::Null;
            r
        })
        .collect();
    want.push(json!({"id": 4, "name": "a-4", "amount": "4.25", "seen_at": "2024-01-01 00:00:04", "updated": 4, "extra": "x4"}));
    assert_eq!(
        doc["rows"],
        Value::from(want.clone()),
        "old files read the new column as NULL"
    );

    sqlite(
        &db,
        "ALTER TABLE items DROP COLUMN name; \
         INSERT INTO items (id, amount, seen_at, updated, extra) VALUES (5, 5.25, '2024-01-01 00:00:05', 5, 'x5');",
    );
    assert_eq!(run(p)["rows"], 1);
    let doc = read(&py, &uri, &Value::Null, None, "delta_evolve");
    assert!(
        doc["schema"].get("name").is_some(),
        "a dropped column stays: {doc}"
    );
    want.push(json!({"id": 5, "name": null, "amount": "5.25", "seen_at": "2024-01-01 00:00:05", "updated": 5, "extra": "x5"}));
    assert_eq!(doc["rows"], Value::from(want), "new rows carry NULL for it");
    assert_eq!(doc["version"], 2);

    // amount DECIMAL(12,2) -> REAL: refused before anything is written.
    sqlite(
        &db,
        "CREATE TABLE items2 (id INTEGER PRIMARY KEY, amount REAL, seen_at TIMESTAMP, updated INTEGER NOT NULL, extra TEXT); \
         INSERT INTO items2 SELECT id, amount, seen_at, updated, extra FROM items; DROP TABLE items; \
         ALTER TABLE items2 RENAME TO items; \
         INSERT INTO items VALUES (6, 6.5, '2024-01-01 00:00:06', 6, 'x6');",
    );
    let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("column `amount` changed type from decimal(12,2) to double"),
        "{t}"
    );
    let doc = read(&py, &uri, &Value::Null, None, "delta_evolve");
    assert_eq!(doc["version"], 2, "nothing committed");
}

#[test]
fn fail_policy_refuses_an_added_column() {
    let Some(py) = python() else { return };
    let dir = scratch_with("delta_fail", "append", "fail");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 3, "a"));
    run(p);
    sqlite(
        &db,
        "ALTER TABLE items ADD COLUMN extra TEXT; \
         INSERT INTO items (id, name, amount, seen_at, updated, extra) VALUES (4, 'a-4', 4.25, '2024-01-01 00:00:04', 4, 'x4');",
    );
    let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("schema_change = fail and added `extra`"),
        "{}",
        text(&out)
    );
    let doc = read(&py, &table_uri(p), &Value::Null, None, "delta_fail");
    assert_eq!(doc["version"], 0, "nothing committed");
    assert!(doc["schema"].get("extra").is_none());
}

#[test]
fn merge_with_an_added_column_updates_and_inserts_with_it() {
    let Some(py) = python() else { return };
    let dir = scratch_with("delta_merge_evolve", "merge", "evolve");
    let p = dir.path();
    let db = p.join("db.sqlite");
    sqlite(&db, &insert(1, 3, "a"));
    run(p);
    sqlite(
        &db,
        "ALTER TABLE items ADD COLUMN extra TEXT; \
         UPDATE items SET name = 'b-2', updated = 20, extra = 'e2' WHERE id = 2; \
         INSERT INTO items (id, name, amount, seen_at, updated, extra) VALUES (4, 'a-4', 4.25, '2024-01-01 00:00:04', 21, 'e4');",
    );
    assert_eq!(run(p)["rows"], 2);
    let doc = read(&py, &table_uri(p), &Value::Null, None, "delta_merge_evolve");
    assert_eq!(doc["version"], 1, "{doc}");
    let base = expected(1, 3, "a");
    let with = |mut r: Value, extra: Value| {
        r["extra"] = extra;
        r
    };
    let want = vec![
        with(base[0].clone(), Value::Null),
        json!({"id": 2, "name": "b-2", "amount": "2.25", "seen_at": "2024-01-01 00:00:02", "updated": 20, "extra": "e2"}),
        with(base[2].clone(), Value::Null),
        json!({"id": 4, "name": "a-4", "amount": "4.25", "seen_at": "2024-01-01 00:00:04", "updated": 21, "extra": "e4"}),
    ];
    assert_eq!(doc["rows"], Value::from(want));
}
