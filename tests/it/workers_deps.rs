//! `depends_on` across workers (Azurite + PostgreSQL, real `ingest run` processes): jobs
//! t1 → t2 (t2 depends on t1). Worker wa is held inside t1 by the debug-build pause seam
//! (`INGEST_TEST_PAUSE_AT=writing`) while worker wb starts: wb waits for wa's load of t1.

use super::workers_support::{Lake, exactly, finish, wait_for};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::process::Child;

const ROWS: i64 = 60_000;

/// A lake with t1 → t2 and worker `wa` paused inside t1 (`extra` are its flags).
fn paused_upstream(test: &str, extra: &[&str]) -> Option<(Lake, Paused)> {
    // Batches of 10,000 rows: the seam (after a chunk's second batch) falls inside the load.
    let lake = Lake::new(test, 2, ROWS, "10000")?;
    lake.write_jobs("10000", "parquet", &[("t2", "t1")]);
    let file = lake.path().join("pause-wa");
    let file_text = file.to_string_lossy().to_string();
    let env = [
        ("INGEST_TEST_PAUSE_AT", "writing"),
        ("INGEST_TEST_PAUSE_FILE", file_text.as_str()),
    ];
    let child = lake.spawn_env("wa", extra, &env);
    let paused = Paused {
        child: Some(child),
        file,
    };
    let reached = paused.reached();
    wait_for(120, "worker wa inside t1", || reached.exists());
    Some((lake, paused))
}

/// A worker paused at the seam; resumed (and reaped) when dropped.
struct Paused {
    child: Option<Child>,
    file: PathBuf,
}

impl Paused {
    fn reached(&self) -> PathBuf {
        let mut p = self.file.clone().into_os_string();
        p.push(".reached");
        p.into()
    }

    fn resume(&self) {
        std::fs::write(&self.file, "go").expect("resume file");
    }

    fn take(&mut self) -> Child {
        self.child.take().expect("the paused worker")
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.file, "go");
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Everything worker `worker` logged so far.
fn log_of(lake: &Lake, worker: &str) -> String {
    let dir = lake.path().join(format!("logs-{worker}"));
    let mut text = String::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
    }
    text
}

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a time: {v}"))
}

fn waiting_logged(lake: &Lake, worker: &str) -> bool {
    log_of(lake, worker).contains("t1: waiting for worker wa's load of it")
}

#[cfg(unix)]
fn interrupt(child: &Child) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -INT {}", child.id());
}

/// wa runs only t1 and is held inside it; wb (every job) waits, then loads t2 after wa's
/// commit of t1.
#[test]
fn a_dependent_waits_for_its_upstream_job_on_another_worker() {
    let Some((lake, mut wa)) = paused_upstream("waitdep", &["--jobs", "t1"]) else {
        return;
    };
    let wb = lake.spawn("wb", &["--lease-seconds", "8"]);
    wait_for(60, "worker wb waiting for t1", || {
        waiting_logged(&lake, "wb")
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(
        lake.manifests("t2").is_empty(),
        "t2 ran before t1 was loaded"
    );
    wa.resume();
    let (code_a, ra, text_a) = finish(wa.take());
    let (code_b, rb, text_b) = finish(wb);
    assert_eq!((code_a, code_b), (0, 0), "{text_a}\n{text_b}");
    assert_eq!(ra["t1"]["status"], "SUCCESS", "{text_a}");
    assert_eq!(ra["t1"]["rows"], ROWS, "{text_a}");
    assert_eq!(rb["t1"]["status"], "SKIPPED", "{text_b}");
    let reason = rb["t1"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("waited for worker wa's load of t1 (run "),
        "{reason}"
    );
    assert_eq!(rb["t2"]["status"], "SUCCESS", "{text_b}");
    assert_eq!(rb["t2"]["rows"], ROWS, "{text_b}");
    assert!(rb["t2"]["reason"].is_null(), "{text_b}");
    assert_eq!(lake.ids("t1"), exactly(ROWS));
    assert_eq!(lake.ids("t2"), exactly(ROWS));
    let (m1, m2) = (lake.manifests("t1"), lake.manifests("t2"));
    assert_eq!((m1.len(), m2.len()), (1, 1));
    assert_eq!(
        (&m1[0]["worker"], &m2[0]["worker"]),
        (&"wa".into(), &"wb".into())
    );
    assert!(
        time(&m2[0]["started_at"]) > time(&m1[0]["finished_at"]),
        "t2 began before t1's load was committed: {} {}",
        m2[0]["started_at"],
        m1[0]["finished_at"]
    );
    // The waited job's audit record in the lake carries the reason too.
    let audit = lake.objects("/_ingest_audit/t1/");
    assert!(audit.iter().any(|p| p.ends_with(".wb.json")), "{audit:?}");
}

/// Both workers run every job: t2 is loaded by exactly one of them, and neither skips it
/// because of t1.
#[test]
fn with_two_full_workers_the_dependent_is_loaded_once() {
    let Some((lake, mut wa)) = paused_upstream("bothdep", &["--lease-seconds", "8"]) else {
        return;
    };
    let wb = lake.spawn("wb", &["--lease-seconds", "8"]);
    wait_for(60, "worker wb waiting for t1", || {
        waiting_logged(&lake, "wb")
    });
    wa.resume();
    let (code_a, ra, text_a) = finish(wa.take());
    let (code_b, rb, text_b) = finish(wb);
    assert_eq!((code_a, code_b), (0, 0), "{text_a}\n{text_b}");
    let t2: Vec<_> = [&ra, &rb].iter().map(|r| r["t2"].clone()).collect();
    let loaders = t2.iter().filter(|r| r["status"] == "SUCCESS").count();
    assert_eq!(loaders, 1, "{t2:?}");
    for r in &t2 {
        let reason = r["reason"].as_str().unwrap_or_default();
        assert!(!reason.contains("dependency"), "{t2:?}");
    }
    assert_eq!(lake.ids("t1"), exactly(ROWS));
    assert_eq!(lake.ids("t2"), exactly(ROWS));
}

/// wa's load of t1 fails (interrupted): wb does not count it as met; it takes the lease and
/// loads t1 itself, then t2. wa skips t2 because its t1 failed.
#[cfg(unix)]
#[test]
fn when_the_upstream_job_fails_on_another_worker_this_worker_runs_it() {
    let Some((lake, mut wa)) = paused_upstream("faildep", &["--lease-seconds", "8"]) else {
        return;
    };
    let wb = lake.spawn("wb", &["--lease-seconds", "8"]);
    wait_for(60, "worker wb waiting for t1", || {
        waiting_logged(&lake, "wb")
    });
    let a = wa.take();
    // The paused thread blocks wa's runtime: the signal is handled once it is resumed, before
    // the rest of t1's batches are read.
    interrupt(&a);
    std::thread::sleep(std::time::Duration::from_millis(300));
    wa.resume();
    let (code_a, ra, text_a) = finish(a);
    let (code_b, rb, text_b) = finish(wb);
    assert_eq!(code_a, 1, "{text_a}");
    assert_eq!(ra["t1"]["status"], "FAILED", "{text_a}");
    assert_eq!(ra["t2"]["reason"], "dependency `t1` failed", "{text_a}");
    assert_eq!(code_b, 0, "{text_b}");
    assert_eq!(rb["t1"]["status"], "SUCCESS", "{text_b}");
    assert_eq!(rb["t1"]["rows"], ROWS, "{text_b}");
    assert!(
        rb["t1"]["reason"].is_null(),
        "not met by wa's failed load: {text_b}"
    );
    assert_eq!(rb["t2"]["status"], "SUCCESS", "{text_b}");
    assert!(
        log_of(&lake, "wb").contains("t1: worker wa released its lease after a failure"),
        "{}",
        log_of(&lake, "wb")
    );
    assert_eq!(lake.ids("t1"), exactly(ROWS));
    assert_eq!(lake.ids("t2"), exactly(ROWS));
    let m1 = lake.manifests("t1");
    assert_eq!(m1.len(), 1);
    assert_eq!(m1[0]["worker"], "wb");
}

/// Ctrl-C stops the waiting at once: the waited job FAILED (interrupted), its dependent
/// skipped, nothing loaded by the interrupted worker.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_worker_that_waits() {
    let Some((lake, wa)) = paused_upstream("ctrlcdep", &["--jobs", "t1"]) else {
        return;
    };
    let wb = lake.spawn("wb", &["--lease-seconds", "60"]);
    wait_for(60, "worker wb waiting for t1", || {
        waiting_logged(&lake, "wb")
    });
    let asked = std::time::Instant::now();
    interrupt(&wb);
    let (code, rb, text) = finish(wb);
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(5),
        "the wait went on after Ctrl-C: {text}"
    );
    assert_eq!(code, 1, "{text}");
    assert_eq!(rb["t1"]["status"], "FAILED", "{text}");
    let error = rb["t1"]["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("interrupted while waiting for worker wa's load of t1"),
        "{error}"
    );
    assert_eq!(rb["t2"]["reason"], "dependency `t1` failed", "{text}");
    assert!(lake.manifests("t2").is_empty());
    drop(wa);
}
