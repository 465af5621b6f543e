//! The command line: generate-sample, validate, garbage in → one clean sentence and exit 2.

use crate::support::{
    HEADER, code, ingest, ingest_env, job_row, project_dir, text, write_workbook,
};
use std::fs;

const SECRETS: &str = r#"
[sources.demo]
type = "sqlite"
path = "demo.sqlite"

[destinations.output]
path = "output"
"#;

#[test]
fn generated_sample_validates() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(dir.path(), &["generate-sample", "--dir", "cfg"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    for f in ["ingestion_config.xlsx", "secrets.toml", "demo.sqlite"] {
        assert!(dir.path().join("cfg").join(f).is_file(), "{f} written");
    }
    let out = ingest(
        dir.path(),
        &["validate", "--config", "cfg/ingestion_config.xlsx"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A second generate refuses to overwrite; --force overwrites.
    let out = ingest(dir.path(), &["generate-sample", "--dir", "cfg"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    let out = ingest(dir.path(), &["generate-sample", "--dir", "cfg", "--force"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn shipped_sample_validates() {
    let dir = tempfile::tempdir().unwrap();
    let config = project_dir().join("samples/ingestion_config.xlsx");
    let out = ingest(
        dir.path(),
        &["validate", "--config", config.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn several_mistakes_are_each_named_by_cell() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("secrets.toml"), SECRETS).unwrap();
    let mut bad_incr = job_row(
        "orders",
        "SQLite",
        "demo",
        "",
        "orders",
        "INCREMENTAL",
        "",
        "",
        "",
        "",
    );
    bad_incr[9] = ""; // watermark_column missing → J3
    let rows = vec![
        job_row(
            "customers",
            "SQLite",
            "demo",
            "",
            "customers",
            "FULL",
            "",
            "",
            "3.25",
            "",
        ), // L2
        bad_incr,
        job_row(
            "customers",
            "SQLite",
            "demo",
            "",
            "x; DROP TABLE y",
            "FULL",
            "",
            "",
            "",
            "99",
        ), // A4 dup, E4, M4
        job_row(
            "ok_job", "Teradata", "demo", "", "t", "FULL", "", "", "", "",
        ), // B5
    ];
    let wb = dir.path().join("ingestion_config.xlsx");
    write_workbook(&wb, HEADER, &rows);
    let out = ingest(
        dir.path(),
        &["validate", "--config", "ingestion_config.xlsx"],
    );
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    for cell in [
        "SourceConfig!L2",
        "SourceConfig!J3",
        "SourceConfig!A4",
        "SourceConfig!E4",
        "SourceConfig!M4",
        "SourceConfig!B5",
    ] {
        assert!(t.contains(cell), "{cell} missing in:\n{t}");
    }
    assert!(
        t.contains("SourceConfig!J3  watermark_column  required when load_type = INCREMENTAL"),
        "{t}"
    );
    // Sorted by row.
    assert!(
        t.find("SourceConfig!L2").unwrap() < t.find("SourceConfig!J3").unwrap(),
        "{t}"
    );
    // JSON gives the same problems.
    let out = ingest(
        dir.path(),
        &[
            "validate",
            "--config",
            "ingestion_config.xlsx",
            "--output",
            "json",
        ],
    );
    assert_eq!(code(&out), 2);
    let issues: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON array on stdout");
    let locations: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["location"].as_str())
        .collect();
    for cell in [
        "SourceConfig!L2",
        "SourceConfig!J3",
        "SourceConfig!A4",
        "SourceConfig!B5",
    ] {
        assert!(locations.contains(&cell), "{cell} not in {locations:?}");
    }
    // run refuses too, with the same exit code, and writes nothing.
    let out = ingest(dir.path(), &["run", "--config", "ingestion_config.xlsx"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(!dir.path().join("metadata/state").exists());
}

/// Every unreadable input gets one plain sentence, exit 2, and no panic or backtrace.
#[test]
fn garbage_in_clear_error_out() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    fs::write(p.join("secrets.toml"), SECRETS).unwrap();
    fs::write(p.join("notes.txt"), "hello").unwrap();
    fs::write(p.join("random.xlsx"), [0u8, 159, 146, 150, 1, 2, 3]).unwrap();
    fs::write(p.join("empty.xlsx"), b"").unwrap();
    fs::write(p.join("data.csv"), "job_id,source_type\na,SQLite\n").unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Other").unwrap();
    wb.save(p.join("nosheet.xlsx")).unwrap();
    write_workbook(
        &p.join("good.xlsx"),
        HEADER,
        &[job_row(
            "a", "SQLite", "demo", "", "t", "FULL", "", "", "", "",
        )],
    );
    fs::create_dir(p.join("bad")).unwrap();
    fs::copy(p.join("good.xlsx"), p.join("bad/good.xlsx")).unwrap();
    fs::write(
        p.join("bad/secrets.toml"),
        "[sources.demo\npassword = \"hunter2-secret\"\n",
    )
    .unwrap();
    let cases: &[(&str, &str)] = &[
        ("missing.xlsx", "does not exist"),
        ("notes.txt", "not an Excel .xlsx workbook"),
        ("random.xlsx", "not an Excel .xlsx workbook"),
        ("empty.xlsx", "xlsx"),
        ("data.csv", "not an Excel .xlsx workbook"),
        ("nosheet.xlsx", "SourceConfig"),
        ("bad/good.xlsx", "secrets.toml"),
    ];
    for (file, needle) in cases {
        for cmd in ["validate", "run"] {
            let out = ingest_env(p, &[cmd, "--config", file], &[("RUST_BACKTRACE", "1")]);
            let t = text(&out);
            assert_eq!(code(&out), 2, "{cmd} {file}: {t}");
            assert!(
                t.contains(needle),
                "{cmd} {file}: expected `{needle}` in {t}"
            );
            assert!(t.starts_with("error: "), "{cmd} {file}: {t}");
            assert_eq!(
                t.trim_end().lines().count(),
                1,
                "{cmd} {file}: one line expected: {t}"
            );
            assert!(!t.contains("panicked") && !t.contains("backtrace"), "{t}");
            assert!(!t.contains("hunter2-secret"), "secret leaked: {t}");
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest(dir.path(), &["run", "--parallelism", "0"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = ingest(dir.path(), &["frobnicate"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let out = ingest(dir.path(), &["--help"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}
