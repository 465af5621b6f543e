//! Many `ingest run` processes on one workbook and one lake (Azurite), each with a state
//! folder of its own as on separate machines: leases share the jobs, sequenced manifests fence
//! stale commits, and `ingest status` reads the result from the lake.

#[path = "workers_support.rs"]
mod workers_support;

#[path = "workers_deps.rs"]
mod workers_deps;

use serde_json::Value;
use std::collections::BTreeMap;
use workers_support::{Lake, exactly, finish, wait_for};

/// Sum of rows each worker's summary reports for `job`, and how many workers loaded rows.
fn rows_loaded(reports: &[BTreeMap<String, Value>], job: &str) -> (u64, usize) {
    let rows: Vec<u64> = reports
        .iter()
        .filter_map(|r| r.get(job))
        .map(|r| r["rows"].as_u64().unwrap_or(0))
        .collect();
    (rows.iter().sum(), rows.iter().filter(|&&r| r > 0).count())
}

/// `ingest status` says what the newest manifest of each job says.
fn status_agrees_with_the_lake(lake: &Lake) {
    let status = lake.status();
    for t in &lake.tables {
        let manifests = lake.manifests(t);
        let newest = manifests.last().expect("a committed load");
        let s = &status[t.as_str()]["last_load"];
        assert_eq!(s["load_id"], newest["load_id"], "{t}: {s}");
        assert_eq!(s["seq"], newest["seq"], "{t}: {s}");
        assert_eq!(s["rows"], newest["rows"], "{t}: {s}");
        assert_eq!(s["worker"], newest["worker"], "{t}: {s}");
        assert_eq!(s["watermark"], newest["window"]["to"], "{t}: {s}");
        let lease = &status[t.as_str()]["lease"];
        assert!(
            lease["state"] == "released" || lease["state"] == "expired",
            "{t}: no worker runs, yet its lease is {lease}"
        );
        // Sequences are 1, 2, … without gaps: no load was committed twice or lost.
        let seqs: Vec<u64> = manifests
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{t}");
    }
}

#[test]
fn three_workers_share_six_jobs_and_load_every_row_once() {
    let Some(lake) = Lake::new("three", 6, 2000, "") else {
        return;
    };
    for (round, total) in [(1, 2000), (2, 2500)] {
        if round == 2 {
            lake.insert(2001, 2500);
        }
        let children: Vec<_> = ["w1", "w2", "w3"]
            .iter()
            .map(|w| lake.spawn(w, &["--parallelism", "2"]))
            .collect();
        let mut reports = Vec::new();
        for c in children {
            let (code, by_job, text) = finish(c);
            assert_eq!(code, 0, "round {round}: {text}");
            reports.push(by_job);
        }
        for t in &lake.tables {
            assert_eq!(lake.ids(t), exactly(total), "round {round}, table {t}");
            let (rows, loaders) = rows_loaded(&reports, t);
            let new = if round == 1 { 2000 } else { 500 };
            assert_eq!((rows, loaders), (new, 1), "round {round}, {t}: {reports:?}");
        }
        status_agrees_with_the_lake(&lake);
    }
}

/// The same on Delta tables: the txn version is the load sequence, the lake audit names the
/// worker, and a worker with an empty state folder adopts the table's last commit.
#[test]
fn three_workers_share_delta_tables_and_load_every_row_once() {
    let Some(lake) = Lake::with_format("delta", 3, 2000, "", "delta") else {
        return;
    };
    for (round, total) in [(1, 2000), (2, 2600)] {
        if round == 2 {
            lake.insert(2001, 2600);
        }
        let children: Vec<_> = ["d1", "d2", "d3"]
            .iter()
            .map(|w| lake.spawn(w, &["--parallelism", "2"]))
            .collect();
        let mut reports = Vec::new();
        for c in children {
            let (code, by_job, text) = finish(c);
            assert_eq!(code, 0, "round {round}: {text}");
            reports.push(by_job);
        }
        let status = lake.status();
        for t in &lake.tables {
            assert_eq!(lake.ids(t), exactly(total), "round {round}, table {t}");
            let (rows, loaders) = rows_loaded(&reports, t);
            let new = if round == 1 { 2000 } else { 600 };
            assert_eq!((rows, loaders), (new, 1), "round {round}, {t}: {reports:?}");
            assert_eq!(
                status[t.as_str()]["format"],
                "delta",
                "{t}: {:?}",
                status[t.as_str()]
            );
            let last = &status[t.as_str()]["last_load"];
            let loader = reports
                .iter()
                .find(|r| r[t.as_str()]["rows"].as_u64() == Some(new))
                .map(|r| r[t.as_str()]["worker"].clone());
            assert_eq!(last["seq"], round, "{t}: {last}");
            assert_eq!(last["delta_version"], round - 1, "{t}: {last}");
            assert_eq!(last["rows"], new, "{t}: {last}");
            assert_eq!(Some(last["worker"].clone()), loader, "{t}: {last}");
            assert_eq!(status[t.as_str()]["lease"]["state"], "released", "{t}");
        }
    }
}

#[test]
fn two_workers_racing_for_one_job_run_it_once() {
    let Some(lake) = Lake::new("race", 1, 60_000, "") else {
        return;
    };
    let (a, b) = (lake.spawn("wa", &[]), lake.spawn("wb", &[]));
    let (ca, ra, ta) = finish(a);
    let (cb, rb, tb) = finish(b);
    assert_eq!((ca, cb), (0, 0), "{ta}\n{tb}");
    let statuses: Vec<&str> = [&ra, &rb]
        .iter()
        .map(|r| r["t1"]["status"].as_str().unwrap())
        .collect();
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["SKIPPED", "SUCCESS"], "{ta}\n{tb}");
    let skipped = if statuses[0] == "SKIPPED" { &ra } else { &rb };
    let runner = if statuses[0] == "SKIPPED" { "wb" } else { "wa" };
    let reason = skipped["t1"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("worker {runner} holds its lease since")),
        "{reason}"
    );
    assert_eq!(lake.ids("t1"), exactly(60_000));
    status_agrees_with_the_lake(&lake);
    assert_eq!(lake.status()["t1"]["last_load"]["worker"], runner);
}

/// SIGKILL a worker mid-job: a second worker is SKIPPED while the dead worker's lease lives,
/// takes it over once it expired, and loads every row once.
#[cfg(unix)]
#[test]
fn a_killed_workers_lease_expires_and_another_worker_finishes_the_job() {
    let Some(lake) = Lake::new("killed", 1, 150_000, "20000") else {
        return;
    };
    let mut dead = lake.spawn("dead", &["--lease-seconds", "4"]);
    wait_for(60, "the first worker's lease", || {
        !lake.objects("/_ingest_leases/t1/").is_empty()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    dead.kill().expect("SIGKILL");
    let _ = dead.wait();
    assert!(
        lake.manifests("t1").is_empty(),
        "the killed worker committed before it was killed: make the table bigger"
    );
    let (code, early, text) = finish(lake.spawn("next", &["--lease-seconds", "4"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(early["t1"]["status"], "SKIPPED", "{text}");
    std::thread::sleep(std::time::Duration::from_secs(4));
    let (code, late, text) = finish(lake.spawn("next", &["--lease-seconds", "4"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(late["t1"]["status"], "SUCCESS", "{text}");
    assert!(
        text.contains("took over the lease of worker dead"),
        "{text}"
    );
    assert_eq!(lake.ids("t1"), exactly(150_000));
    status_agrees_with_the_lake(&lake);
    assert_eq!(lake.status()["t1"]["last_load"]["worker"], "next");
}

/// SIGSTOP a worker past its lease while another takes the job over, then SIGCONT: its
/// commit is refused, nothing is duplicated, and the next run removes its files.
#[cfg(unix)]
#[test]
fn a_paused_worker_cannot_commit_after_its_lease_was_taken_over() {
    let Some(lake) = Lake::new("paused", 1, 150_000, "20000") else {
        return;
    };
    let mut paused = Resumed(Some(lake.spawn("paused", &["--lease-seconds", "3"])));
    let pid = paused
        .0
        .as_ref()
        .map(|c| c.id().to_string())
        .unwrap_or_default();
    wait_for(60, "the first worker's lease", || {
        !lake.objects("/_ingest_leases/t1/").is_empty()
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill {sig} {pid}");
    };
    signal("-STOP");
    assert!(
        lake.manifests("t1").is_empty(),
        "the paused worker committed before it was paused: make the table bigger"
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    let (code, taker, text) = finish(lake.spawn("taker", &["--lease-seconds", "3"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(taker["t1"]["status"], "SUCCESS", "{text}");
    assert!(
        text.contains("took over the lease of worker paused"),
        "{text}"
    );
    signal("-CONT");
    let (code, stale, text) = finish(paused.0.take().expect("the paused worker"));
    assert_eq!(code, 1, "the paused worker must fail: {text}");
    assert_eq!(stale["t1"]["status"], "FAILED", "{text}");
    let error = stale["t1"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("lost the lease of job t1"), "{error}");
    assert_eq!(lake.manifests("t1").len(), 1, "one committed load");
    // The paused worker's finished files (if any) are tidied by the job's next success.
    let (code, _, text) = finish(lake.spawn("taker", &["--lease-seconds", "3"]));
    assert_eq!(code, 0, "{text}");
    assert_eq!(lake.ids("t1"), exactly(150_000));
    status_agrees_with_the_lake(&lake);
    assert_eq!(lake.status()["t1"]["last_load"]["worker"], "taker");
    let audit = lake.objects("/_ingest_audit/t1/");
    assert!(
        audit.iter().any(|p| p.ends_with(".paused.json"))
            && audit.iter().any(|p| p.ends_with(".taker.json")),
        "{audit:?}"
    );
    assert!(lake.state_dir("paused").join("audit_log.jsonl").exists());
    let _ = lake.path();
}

/// A worker that may be stopped: resumed and killed if the test ends early.
#[cfg(unix)]
struct Resumed(Option<std::process::Child>);

#[cfg(unix)]
impl Drop for Resumed {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
