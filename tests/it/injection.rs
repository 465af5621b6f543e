//! Injection and escape end to end (issue #7): hostile but legal quoted identifiers load
//! exactly and leave a sentinel table alone (PostgreSQL, MariaDB, SQLite); hostile names that
//! are not one name are rejected with their cell; `target_folder_path`, `target_container`,
//! `job_id` (and names that reach paths: `source_name`, `table_name`) write nothing outside the
//! destination, the state folder and the log folder.

mod escape;
mod mysql;
mod postgres;
mod sqlite;

use crate::support;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// [`support::HEADER`] plus `source_query`, `partition_column` and `query_filter`.
pub(crate) fn header() -> Vec<&'static str> {
    let mut h = support::HEADER.to_vec();
    h.extend(["source_query", "partition_column", "query_filter"]);
    h
}

/// One job row for [`header`]; destination `output`.
pub(crate) struct Job<'a> {
    /// `job_id`.
    pub id: &'a str,
    /// `source_type`.
    pub kind: &'a str,
    /// `source_name`.
    pub source: &'a str,
    /// `schema_name`.
    pub schema: &'a str,
    /// `table_name`.
    pub table: &'a str,
    /// `load_type`.
    pub load: &'a str,
    /// `target_container`.
    pub container: &'a str,
    /// `target_folder_path`.
    pub folder: &'a str,
    /// `watermark_column`.
    pub watermark: &'a str,
    /// `primary_key`.
    pub key: &'a str,
    /// `parallelism`.
    pub parallelism: &'a str,
    /// `source_query`.
    pub query: &'a str,
    /// `partition_column`.
    pub partition: &'a str,
    /// `query_filter`.
    pub filter: &'a str,
}

impl<'a> Job<'a> {
    /// A FULL job of `table` into folder `folder`, everything else empty.
    pub fn full(
        id: &'a str,
        kind: &'a str,
        source: &'a str,
        table: &'a str,
        folder: &'a str,
    ) -> Self {
        Job {
            id,
            kind,
            source,
            schema: "",
            table,
            load: "FULL",
            container: "raw",
            folder,
            watermark: "",
            key: "",
            parallelism: "",
            query: "",
            partition: "",
            filter: "",
        }
    }

    /// The cells in [`header`] order.
    pub fn row(&self) -> Vec<&'a str> {
        vec![
            self.id,
            self.kind,
            self.source,
            self.schema,
            self.table,
            self.load,
            "Y",
            self.container,
            self.folder,
            self.watermark,
            self.key,
            "",
            self.parallelism,
            "output",
            self.query,
            self.partition,
            self.filter,
        ]
    }
}

/// A scratch folder with secrets.toml (`sources`, plus destination `output` = ./out) and a
/// workbook of `jobs`.
pub(crate) fn scratch(sources: &str, jobs: &[Job]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), sources, jobs);
    dir
}

/// Write secrets.toml and jobs.xlsx into `dir`.
pub(crate) fn write_config(dir: &Path, sources: &str, jobs: &[Job]) {
    std::fs::write(
        dir.join("secrets.toml"),
        format!("{sources}\n[destinations.output]\npath = \"out\"\n"),
    )
    .expect("secrets");
    let rows: Vec<Vec<&str>> = jobs.iter().map(Job::row).collect();
    support::write_workbook(&dir.join("jobs.xlsx"), &header(), &rows);
}

/// `ingest <args…> --config jobs.xlsx` in `dir`.
pub(crate) fn ingest(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--config", "jobs.xlsx"]);
    support::ingest(dir, &all)
}

/// Every row of every Parquet file under `dir`, as column name → value text (`NULL` for
/// nulls), sorted.
pub(crate) fn rows_under(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let files = support::parquet_files(dir);
    assert!(!files.is_empty(), "no Parquet under {}", dir.display());
    let mut out = Vec::new();
    for f in files {
        for b in support::read_parquet(&f) {
            let opts = FormatOptions::default().with_null("NULL");
            let cols: Vec<_> = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).expect("formatter"))
                .collect();
            for r in 0..b.num_rows() {
                let row = b
                    .schema()
                    .fields()
                    .iter()
                    .zip(&cols)
                    .map(|(f, c)| (f.name().clone(), c.value(r).to_string()))
                    .collect();
                out.push(row);
            }
        }
    }
    out.sort();
    out
}

/// Rows given as `(column, value)` lists, in the shape [`rows_under`] returns.
pub(crate) fn expected(rows: &[&[(&str, &str)]]) -> Vec<BTreeMap<String, String>> {
    let mut out: Vec<BTreeMap<String, String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    out.sort();
    out
}

/// The one folder directly under `dir` (a table's `{source}_{table}` folder).
pub(crate) fn only_subdir(dir: &Path) -> PathBuf {
    let subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(subs.len(), 1, "{subs:?}");
    subs[0].clone()
}
