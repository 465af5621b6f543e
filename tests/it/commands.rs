//! Commands around a run: state repairs wait for the lock, a JSON dry run prints only JSON.

use crate::e2e::Sample;
use crate::support::{code, ingest, text};
use std::fs;

/// `state set` and `state reset` change what a run reads and writes: while a run holds the
/// state directory they exit 3 and change nothing; afterwards they work.
#[test]
fn state_set_and_reset_exit_3_while_a_run_holds_the_lock() {
    let s = Sample::new();
    assert_eq!(code(&s.run(&["--jobs", "demo_orders_incr"])), 0);
    let meta = s.path().join("metadata");
    let state_file = meta.join("state").join("demo_orders_incr.json");
    let before = fs::read(&state_file).unwrap();
    let summary_before = fs::read(meta.join("watermarks.json")).unwrap();
    let set = ["state", "set", "demo_orders_incr", "2024-01-01 00:00:00"];
    let reset = ["state", "reset", "demo_orders_incr"];
    {
        let _held = ingest::state::lock::DirLock::acquire(&meta).unwrap();
        for args in [&set[..], &reset[..]] {
            let out = ingest(s.path(), args);
            assert_eq!(code(&out), 3, "{args:?}: {}", text(&out));
            assert!(
                text(&out).contains("in use by another ingest run"),
                "{}",
                text(&out)
            );
            assert_eq!(fs::read(&state_file).unwrap(), before, "{args:?}");
            assert_eq!(
                fs::read(meta.join("watermarks.json")).unwrap(),
                summary_before
            );
        }
        // Reading state does not need the lock.
        let out = ingest(s.path(), &["state", "show", "demo_orders_incr"]);
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    let out = ingest(s.path(), &set);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        s.state("demo_orders_incr")["watermark"]["value"],
        "2024-01-01T00:00:00"
    );
    let out = ingest(s.path(), &reset);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(s.state("demo_orders_incr")["watermark"].is_null());
}

/// `run --dry-run --output json`: stdout is one JSON document holding each job's plan and SQL.
#[test]
fn a_json_dry_run_prints_only_json_with_the_plan() {
    let s = Sample::new();
    let out = s.run(&["--dry-run", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let reports: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    let reports = reports.as_array().expect("an array of job reports");
    assert_eq!(reports.len(), 2, "{stdout}");
    let orders = reports
        .iter()
        .find(|r| r["job_id"] == "demo_orders_incr")
        .expect("the orders job");
    assert_eq!(orders["status"], "SKIPPED");
    let plan = &orders["plan"];
    assert_eq!(plan["load_type"], "INCREMENTAL");
    assert_eq!(plan["window"]["column"], "updated_at");
    assert!(plan["window"]["from"].is_null(), "{plan}");
    assert_eq!(plan["window"]["to"], "2024-01-20T08:19:54");
    let chunks = plan["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 2, "{plan}");
    for c in chunks {
        let sql = c["sql"].as_str().unwrap();
        assert!(sql.contains("FROM \"orders\""), "{sql}");
        assert!(!sql.contains('\n'));
        assert!(c["params"].is_array());
    }
    let customers = reports
        .iter()
        .find(|r| r["job_id"] == "demo_customers_full")
        .expect("the customers job");
    assert!(customers["plan"]["window"].is_null());
    assert_eq!(customers["plan"]["chunks"].as_array().unwrap().len(), 1);
    // Text mode still prints the plan as text.
    let out = s.run(&["--dry-run"]);
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        t.contains("job demo_orders_incr (SQLite INCREMENTAL") && t.contains("  chunk 1: SELECT"),
        "{t}"
    );
}

/// The repository ships `config/` (the default place of the workbook and secrets.toml) with a
/// README, and keeps `config/secrets.toml` out of git.
#[test]
fn the_config_folder_ships_and_its_secrets_stay_out_of_git() {
    let root = crate::support::project_dir();
    let readme = fs::read_to_string(root.join("config/README.md")).expect("config/README.md");
    assert!(readme.contains("secrets.toml") && readme.contains(".gitignore"));
    let ignore = fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l.trim() == "/config/secrets.toml"),
        "{ignore}"
    );
}
