//! A destination's `compression` on a Delta table: the files delta-rs writes itself (the
//! first MERGE load's table, the merge's rewritten and inserted files, OPTIMIZE's compacted
//! file) use the codec, as pyarrow reads it from each file's footer.

use super::{expected, insert, python, read, run, scratch, sqlite, table_uri};
use crate::support::{code, ingest, text};
use serde_json::Value;
use std::path::Path;

/// For each data file of the table's current version: the codecs of its column chunks.
const CODECS: &str = r#"
import json, sys
import pyarrow.parquet as pq
from deltalake import DeltaTable
out = {}
for uri in DeltaTable(sys.argv[1]).file_uris():
    md = pq.ParquetFile(uri.removeprefix("file://")).metadata
    out[uri] = sorted({md.row_group(r).column(c).compression
                       for r in range(md.num_row_groups) for c in range(md.num_columns)})
print(json.dumps(out))
"#;

/// The codecs of every current data file, as pyarrow names them.
fn codecs(py: &Path, uri: &str) -> Vec<Value> {
    let out = std::process::Command::new(py)
        .args(["-c", CODECS, uri])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "python failed: {}", text(&out));
    let doc: serde_json::Map<String, Value> =
        serde_json::from_slice(&out.stdout).expect("codecs JSON");
    assert!(!doc.is_empty(), "the table has data files");
    doc.into_values().collect()
}

#[test]
fn merge_and_optimize_write_the_destinations_codec() {
    let Some(py) = python() else { return };
    let job = "delta_codec";
    let dir = scratch(job, "INCREMENTAL", "merge");
    let p = dir.path();
    let secrets = p.join("secrets.toml");
    let text_before = std::fs::read_to_string(&secrets).expect("secrets");
    std::fs::write(&secrets, format!("{text_before}compression = \"lz4\"\n")).expect("secrets");
    let db = p.join("db.sqlite");
    let uri = table_uri(p);
    // pyarrow names LZ4_RAW `LZ4` (the deprecated framed codec would be `LZ4_HADOOP`); delta-rs
    // alone would write SNAPPY, OPTIMIZE ZSTD.
    let lz4 = Value::from(vec![Value::from(vec!["LZ4"])]);

    // Load 1 (no table yet): delta-rs writes the table.
    sqlite(&db, &insert(1, 10, "a"));
    assert_eq!(run(p)["rows"], 10);
    assert_eq!(Value::from(codecs(&py, &uri)), lz4, "the first load's file");

    // Load 2 updates ids 1-4 and inserts 11-12: the merge rewrites the file.
    sqlite(
        &db,
        &format!(
            "UPDATE items SET name = 'b', updated = 100 + id WHERE id <= 4; {}",
            insert(11, 12, "a")
        ),
    );
    assert_eq!(run(p)["rows"], 6);
    // Load 3 only inserts: a second file beside the first.
    sqlite(
        &db,
        &format!(
            "{} UPDATE items SET updated = 100 + id WHERE id >= 13;",
            insert(13, 15, "a")
        ),
    );
    assert_eq!(run(p)["rows"], 3);
    let mut want = expected(1, 15, "a");
    for row in want.iter_mut() {
        let id = row["id"].as_i64().unwrap_or_default();
        if id <= 4 {
            row["name"] = "b".into();
            row["updated"] = (100 + id).into();
        }
        if id >= 13 {
            row["updated"] = (100 + id).into();
        }
    }
    let doc = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(doc["rows"], Value::from(want.clone()), "merged key by key");
    let files = codecs(&py, &uri);
    assert!(files.len() >= 2, "{files:?}");
    assert!(files.iter().all(|c| c == &lz4[0]), "{files:?}");

    // OPTIMIZE compacts them into one file in the same codec.
    let out = ingest(
        p,
        &["maintain", "--config", "jobs.xlsx", "--output", "json"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let maintained: Value = serde_json::from_slice(&out.stdout).expect("maintain JSON");
    assert_eq!(maintained[0]["files_written"], 1, "{maintained}");
    assert_eq!(Value::from(codecs(&py, &uri)), lz4, "the compacted file");
    let doc = read(&py, &uri, &Value::Null, None, job);
    assert_eq!(doc["rows"], Value::from(want), "OPTIMIZE changes no row");
}
