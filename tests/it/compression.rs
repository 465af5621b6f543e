//! A destination's `compression`: one run loads the same SQLite table to a local folder per
//! codec (Parquet files, and a Delta table written by the streaming writer), and pyarrow reads
//! every file back: the codec in each column chunk's footer entry, and every row and value.

use crate::delta::{expected, insert, python, sqlite};
use crate::support::{self, HEADER, code, ingest, job_row, text};
use serde_json::Value;
use std::path::Path;

/// Rows of the table: three row groups at chunk_size 1000.
const ROWS: i64 = 2500;

/// `(destination, compression value or "" for the default, codec pyarrow reports)`; pyarrow
/// names LZ4_RAW `LZ4` (the deprecated framed codec would be `LZ4_HADOOP`).
const CODECS: &[(&str, &str, &str)] = &[
    ("default", "", "ZSTD"),
    ("zstd9", "zstd(9)", "ZSTD"),
    ("snappy", "snappy", "SNAPPY"),
    ("lz4", "lz4", "LZ4"),
    ("gzip", "gzip", "GZIP"),
    ("none", "none", "UNCOMPRESSED"),
];

/// Every data file under a folder (Delta logs left out): the set of codecs of its column
/// chunks, the rows, and the rows as plain JSON sorted by id.
const READER: &str = r#"
import glob, json, sys
import pyarrow as pa, pyarrow.parquet as pq
files = sorted(f for f in glob.glob(sys.argv[1] + "/**/*.parquet", recursive=True)
               if "_delta_log" not in f)
codecs, tables = set(), []
for f in files:
    pf = pq.ParquetFile(f)
    md = pf.metadata
    codecs |= {md.row_group(r).column(c).compression
               for r in range(md.num_row_groups) for c in range(md.num_columns)}
    tables.append(pf.read())
rows = [{k: v if (v is None or type(v) is int) else str(v) for k, v in r.items()}
        for t in tables for r in t.to_pylist()]
print(json.dumps({"files": len(files), "codecs": sorted(codecs),
                  "rows": sorted(rows, key=lambda r: r["id"])}))
"#;

fn read_folder(py: &Path, dir: &Path) -> Value {
    let out = std::process::Command::new(py)
        .args(["-c", READER, &dir.display().to_string()])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "reader failed: {}", text(&out));
    serde_json::from_slice(&out.stdout).expect("reader JSON")
}

#[test]
fn every_codec_is_written_and_reads_back_with_every_value() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    sqlite(&p.join("db.sqlite"), &insert(1, ROWS, "a"));
    let mut secrets = "[sources.db]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n".to_string();
    for (name, value, _) in CODECS {
        secrets += &format!("\n[destinations.{name}]\npath = \"out_{name}\"\n");
        if !value.is_empty() {
            secrets += &format!("compression = \"{value}\"\n");
        }
    }
    std::fs::write(p.join("secrets.toml"), secrets).expect("secrets");
    let ids: Vec<String> = CODECS.iter().map(|(n, _, _)| format!("c_{n}")).collect();
    let mut rows: Vec<Vec<&str>> = Vec::new();
    for ((name, _, _), id) in CODECS.iter().zip(&ids) {
        let mut row = job_row(id, "SQLite", "db", "", "items", "FULL", "", "", "1000", "");
        row[13] = name;
        row.push("parquet");
        rows.push(row);
    }
    // The streaming writer's files of a Delta table use the codec too.
    let mut delta = job_row(
        "c_delta", "SQLite", "db", "", "items", "FULL", "", "", "1000", "",
    );
    delta[8] = "delta";
    delta[13] = "gzip";
    delta.push("delta");
    rows.push(delta);
    let mut header = HEADER.to_vec();
    header.push("target_format");
    support::write_workbook(&p.join("jobs.xlsx"), &header, &rows);

    let out = ingest(p, &["run", "--config", "jobs.xlsx", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let want = Value::from(expected(1, ROWS, "a"));
    for (name, _, codec) in CODECS {
        let doc = read_folder(&py, &p.join(format!("out_{name}/raw/lake")));
        assert_eq!(doc["codecs"], Value::from(vec![*codec]), "{name}");
        assert!(doc["files"].as_u64().unwrap_or(0) >= 1, "{name}: {doc}");
        assert_eq!(doc["rows"], want, "{name}: every row and value");
    }
    let doc = read_folder(&py, &p.join("out_gzip/raw/delta"));
    assert_eq!(doc["codecs"], Value::from(vec!["GZIP"]), "delta table");
    assert_eq!(doc["rows"], want, "delta table: every row and value");
    assert!(
        p.join("out_gzip/raw/delta/db_items/_delta_log").is_dir(),
        "a Delta table"
    );
}
