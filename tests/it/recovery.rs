//! Crashes: a killed run commits nothing partial; a manifest without its state is adopted.

use crate::e2e::{Sample, committed, order_ids};
use crate::support::{bin, code, parquet_files, text};
use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn a_manifest_newer_than_state_is_adopted_not_reloaded() {
    let s = Sample::new();
    assert_eq!(code(&s.run(&["--jobs", "demo_orders_incr"])), 0);
    let state_file = s.path().join("metadata/state/demo_orders_incr.json");
    let saved = fs::read(&state_file).unwrap();
    let mut db = s.db().await;
    sqlx::query("INSERT INTO orders (order_id, customer_id, status, order_date, updated_at) VALUES (300001, 1, 'x', '2030-01-01', '2030-01-01 00:00:00')")
        .execute(&mut db)
        .await
        .unwrap();
    assert_eq!(code(&s.run(&["--jobs", "demo_orders_incr"])), 0);
    // The crash: the second load's manifest exists, its state write never happened.
    fs::write(&state_file, saved).unwrap();
    let out = s.run(&["--jobs", "demo_orders_incr", "--output", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        summary[0]["rows"], 0,
        "the adopted window is not loaded again: {summary}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("adopting load"),
        "{}",
        text(&out)
    );
    assert_eq!(
        s.state("demo_orders_incr")["watermark"]["value"],
        "2030-01-01T00:00:00"
    );
    let (files, rows) = committed(&s.orders_dir());
    assert_eq!(rows, 120_001);
    assert_eq!(order_ids(&files).len(), 120_001);
}

/// SIGKILL at several moments of a run (early, mid-extract, as files appear, right after a
/// manifest), then a clean run: every source row is in exactly one committed load, state always
/// parses, and files no manifest lists are removed by the next success.
#[cfg(unix)]
#[tokio::test]
async fn killed_runs_commit_nothing_partial() {
    let s = Sample::new();
    let data_dir = s.orders_dir().join("orders");
    let loads_dir = s.orders_dir().join("_ingest_loads");
    // Finished objects only: a `#` name is object_store's staging file of an upload in progress.
    let count = |d: &std::path::Path| {
        fs::read_dir(d)
            .map(|r| {
                r.flatten()
                    .filter(|e| !e.file_name().to_string_lossy().contains('#'))
                    .count()
            })
            .unwrap_or(0)
    };
    let mut killed_while_running = 0;
    for moment in 0..6 {
        let loads_before = count(&loads_dir);
        let mut child = Command::new(bin())
            .current_dir(s.path())
            .args([
                "run",
                "--config",
                "cfg/ingestion_config.xlsx",
                "--jobs",
                "demo_orders_incr",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        loop {
            let elapsed = started.elapsed().as_millis();
            let due = match moment {
                0 => elapsed >= 100,
                1 => elapsed >= 800,
                2 => elapsed >= 2000,
                3 => count(&data_dir) > 0,
                _ => count(&loads_dir) > loads_before,
            };
            if due || elapsed > 60_000 || child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let state_file = s.path().join("cfg/../metadata/state/demo_orders_incr.json");
        if state_file.exists() {
            let parsed: serde_json::Value =
                serde_json::from_slice(&fs::read(&state_file).unwrap()).expect("state parses");
            assert_eq!(parsed["job_id"], "demo_orders_incr");
        }
        let (files, rows) = committed(&s.orders_dir());
        let ids = order_ids(&files);
        assert_eq!(
            ids.len() as u64,
            rows,
            "committed files hold what their manifests say"
        );
        let mut dedup = ids.clone();
        dedup.dedup();
        assert_eq!(
            dedup.len(),
            ids.len(),
            "no committed row twice (kill moment {moment})"
        );
    }
    assert!(
        killed_while_running >= 3,
        "only {killed_while_running} kills hit a running process"
    );
    // A leftover of a failed load: a data file no manifest lists.
    fs::create_dir_all(&data_dir).unwrap();
    let leftover = data_dir.join("20200101T000000.000000Z.0-0.parquet");
    let some_file = crate::support::parquet_files(&s.orders_dir())
        .into_iter()
        .next();
    fs::copy(
        some_file.unwrap_or_else(|| crate::support::project_dir().join("Cargo.toml")),
        &leftover,
    )
    .unwrap();
    let out = s.run(&["--jobs", "demo_orders_incr"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let (files, rows) = committed(&s.orders_dir());
    assert_eq!(rows, 120_000);
    let ids = order_ids(&files);
    assert_eq!(
        ids,
        (1..=120_000).collect::<Vec<i64>>(),
        "every row exactly once"
    );
    assert!(
        !leftover.exists(),
        "the leftover was removed by the successful run"
    );
    assert_eq!(
        parquet_files(&s.orders_dir()),
        files,
        "only committed files remain"
    );
    let stray: Vec<_> = walk(&s.orders_dir())
        .into_iter()
        .filter(|p| !p.ends_with(".parquet") && !p.ends_with(".json"))
        .collect();
    assert!(stray.is_empty(), "stray files left: {stray:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

/// Ctrl-C (SIGINT) stops the run between batches: exit 1, nothing committed, state untouched.
#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_commits_nothing() {
    let s = Sample::new();
    let child = Command::new(bin())
        .current_dir(s.path())
        .args([
            "run",
            "--config",
            "cfg/ingestion_config.xlsx",
            "--jobs",
            "demo_orders_incr",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the job has started extracting (its log line is written), then interrupt.
    let log_dir = s.path().join("logs");
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let log = fs::read_dir(&log_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<String>();
        if log.contains("demo_orders_incr: started") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(committed(&s.orders_dir()).1, 0, "nothing committed");
    assert!(
        !s.path()
            .join("metadata/state/demo_orders_incr.json")
            .exists()
    );
    assert_eq!(s.audit("demo_orders_incr")[0]["status"], "FAILED");
}
