//! Paths: workbook values that would leave the destination or the state folder are rejected
//! by `validate` with their cell (exit 2, nothing written); odd values that are accepted
//! (and names that reach paths: `source_name`, `table_name`) write nothing outside the
//! destination, the state folder and the log folder.

use super::{Job, ingest, only_subdir, write_config};
use crate::support;
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};

/// A fresh root with the working folder nested four levels down, so a path that climbs out
/// of the working folder still lands inside the root, where the scan sees it.
fn nested() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    let work = root.path().join("a/b/c/work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let url = format!("sqlite://{}?mode=rwc", work.join("db.sqlite").display());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            c.execute(
                r#"CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
                   INSERT INTO t VALUES (1, 'a'), (2, 'b');
                   CREATE TABLE "../../escape" (id INTEGER PRIMARY KEY);
                   INSERT INTO "../../escape" VALUES (1);
                   CREATE TABLE "..\..\win" (id INTEGER PRIMARY KEY);
                   INSERT INTO "..\..\win" VALUES (1);
                   CREATE TABLE ".." (id INTEGER PRIMARY KEY);
                   INSERT INTO ".." VALUES (1);"#,
            )
            .await?;
            c.close().await
        })
        .expect("sqlite setup");
    (root, work)
}

/// Files under `root` that are neither inputs nor inside `work`'s out/, metadata/ or logs/.
fn stray_files(root: &Path, work: &Path) -> Vec<PathBuf> {
    let inputs = ["secrets.toml", "jobs.xlsx"];
    let allowed = ["out", "metadata", "logs"].map(|d| work.join(d));
    let mut stray = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            let input = p.parent() == Some(work)
                && (inputs.contains(&name.as_ref()) || name.starts_with("db.sqlite"));
            if !input && !allowed.iter().any(|a| p.starts_with(a)) {
                stray.push(p);
            }
        }
    }
    stray
}

const SOURCES: &str = "[sources.lite]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n";

#[test]
fn escaping_paths_and_hostile_names_are_rejected_with_their_cell() {
    let (root, work) = nested();
    let lite = |id| Job::full(id, "SQLite", "lite", "t", "ok");
    let jobs = [
        Job {
            folder: "../../escape",
            ..lite("f_up")
        },
        Job {
            folder: "/abs/path",
            ..lite("f_abs")
        },
        Job {
            folder: "C:\\x",
            ..lite("f_drive")
        },
        Job {
            folder: "a/../../b",
            ..lite("f_mid")
        },
        Job {
            folder: "..",
            ..lite("f_dots")
        },
        Job {
            folder: "\\\\server\\share",
            ..lite("f_unc")
        },
        Job {
            folder: "a\\..\\..\\b",
            ..lite("f_back")
        },
        Job {
            container: "../x",
            ..lite("c_up")
        },
        Job {
            container: "..",
            ..lite("c_dots")
        },
        Job {
            container: "a/b",
            ..lite("c_slash")
        },
        lite("../../evil"),
        lite("a/b"),
        lite(".."),
        lite("a\\b"),
        Job {
            table: "t; DROP TABLE t",
            ..lite("n_table")
        },
        Job {
            load: "INCREMENTAL",
            watermark: "id) OR (1=1",
            ..lite("n_watermark")
        },
        Job {
            schema: "main.t",
            ..lite("n_schema")
        },
        Job {
            key: "\"a\"b\"",
            ..lite("n_key")
        },
        Job {
            partition: "id; --",
            ..lite("n_partition")
        },
        Job {
            table: "\"unterminated",
            ..lite("n_open")
        },
    ];
    write_config(&work, SOURCES, &jobs);
    let expected = [
        "I2  target_folder_path",
        "I3  target_folder_path",
        "I4  target_folder_path",
        "I5  target_folder_path",
        "I6  target_folder_path",
        "I7  target_folder_path",
        "I8  target_folder_path",
        "H9  target_container",
        "H10  target_container",
        "H11  target_container",
        "A12  job_id",
        "A13  job_id",
        "A14  job_id",
        "A15  job_id",
        "E16  table_name",
        "J17  watermark_column",
        "D18  schema_name",
        "K19  primary_key",
        "P20  partition_column",
        "E21  table_name",
    ];
    let out = ingest(&work, &["validate"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 2, "{text}");
    for cell in expected {
        assert!(
            text.contains(&format!("SourceConfig!{cell}  ")),
            "{cell}:\n{text}"
        );
    }
    let errors = text
        .lines()
        .filter(|l| l.starts_with("SourceConfig!"))
        .count();
    assert_eq!(
        errors,
        expected.len(),
        "one error per hostile cell:\n{text}"
    );
    let out = ingest(&work, &["run"]);
    assert_eq!(support::code(&out), 2, "{}", support::text(&out));
    assert_eq!(stray_files(root.path(), &work), Vec::<PathBuf>::new());
    assert!(!work.join("out").exists(), "nothing ran");
}

#[test]
fn odd_but_accepted_values_write_only_inside_the_destination_and_state() {
    let (root, work) = nested();
    let lite = |id, table, folder| Job::full(id, "SQLite", "lite", table, folder);
    let jobs = [
        lite("a..b", "t", "x/./y"),
        lite("_", "t", "bs\\dir"),
        lite("-x", "t", "..."),
        lite("dots_name", "t", "..a/a.."),
        lite("spaced", "t", " spaced / name "),
        Job {
            source: "../../src",
            ..lite("src_up", "t", "f_src")
        },
        Job {
            source: "..",
            ..lite("src_dots", "t", "f_src2")
        },
        lite("tbl_up", "\"../../escape\"", "f_tbl"),
        lite("tbl_win", "\"..\\..\\win\"", "f_win"),
        lite("tbl_dots", "\"..\"", "f_dots"),
        Job {
            query: "SELECT * FROM t",
            ..lite("query", "", "f_query")
        },
        Job {
            container: ".hidden",
            ..lite("hidden", "t", "f_hidden")
        },
    ];
    let sources = format!(
        "{SOURCES}\n[sources.\"../../src\"]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n\n\
         [sources.\"..\"]\ntype = \"sqlite\"\npath = \"db.sqlite\"\n"
    );
    write_config(&work, &sources, &jobs);
    let out = ingest(&work, &["run", "--output", "json"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 0, "{text}");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    let ok = report
        .as_array()
        .expect("array")
        .iter()
        .filter(|j| j["status"] == "SUCCESS" && j["rows"].as_u64() > Some(0))
        .count();
    assert_eq!(ok, jobs.len(), "{text}");

    assert_eq!(stray_files(root.path(), &work), Vec::<PathBuf>::new());
    let raw = work.join("out/raw");
    for (folder, table_dir) in [
        ("x/y", "lite_t"),
        ("bs/dir", "lite_t"),
        ("...", "lite_t"),
        ("..a/a..", "lite_t"),
        ("spaced/name", "lite_t"),
        ("f_src", ".._.._src_t"),
        ("f_src2", "___t"),
        ("f_tbl", "lite_.._.._escape"),
        ("f_win", "lite_.._.._win"),
        ("f_dots", "lite___"),
        ("f_query", "lite_query"),
    ] {
        let dir = only_subdir(&raw.join(folder));
        assert_eq!(
            dir.file_name().unwrap_or_default().to_string_lossy(),
            table_dir,
            "{folder}"
        );
    }
    assert!(work.join("out/.hidden/f_hidden/lite_t").is_dir());
    let mut states: Vec<String> = std::fs::read_dir(work.join("metadata/state"))
        .expect("state folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    states.sort();
    let mut want: Vec<String> = jobs.iter().map(|j| format!("{}.json", j.id)).collect();
    want.sort();
    assert_eq!(states, want);
}
