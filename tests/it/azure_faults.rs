//! Destination faults: Azurite cut off for a few seconds behind a proxy (chunks are retried
//! into fresh files), and an Azurite of the test's own stopped for good (the job fails, the
//! rerun commits once).

use super::*;
use proxy::Proxy;

#[path = "azure_proxy.rs"]
mod proxy;
use std::process::Child;

/// Start `ingest run` for the sample's large incremental job in the background.
fn spawn_run(dir: &std::path::Path, extra: &[&str]) -> Child {
    Command::new(support::bin())
        .current_dir(dir)
        .args([
            "run",
            "--config",
            "ingestion_config.xlsx",
            "--jobs",
            "demo_orders_incr",
        ])
        .args(extra)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts")
}

/// Wait until the first upload parts have reached `own` (or the run ended).
fn wait_for_upload(own: &OwnAzurite, child: &mut Child) {
    let started = Instant::now();
    while own.stored_bytes() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no upload reached Azurite"
        );
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The committed load of the job: one manifest, 120,000 rows in the files it lists.
fn assert_one_load(port: u16, container: &str, scratch: &std::path::Path) {
    let loads = manifests(port, container, "demo_orders");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["rows"], 120000);
    assert_eq!(loads[0]["window"]["to"], "2024-01-20T08:19:54");
    let files: Vec<&str> = loads[0]["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    let mut rows = 0;
    for f in files {
        rows += support::parquet_rows(&[download(port, container, f, scratch)]);
    }
    assert_eq!(rows, 120000);
}

/// The sample on an Azurite of the test's own, whose client gives up on a request quickly
/// (one retry, 2 s) so that an outage reaches ingest's own handling.
struct Outage {
    dir: tempfile::TempDir,
    data: tempfile::TempDir,
    port: u16,
    own: OwnAzurite,
    c: String,
}

impl Outage {
    fn start(name: &str) -> Option<Outage> {
        if !azurite() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let own = OwnAzurite::start(port, data.path())?;
        let c = container(name);
        sample_on_azurite(
            dir.path(),
            &c,
            port,
            "part_size_mib = 1\nmax_retries = 1\nretry_timeout_secs = 2\n",
        );
        Some(Outage {
            dir,
            data,
            port,
            own,
            c,
        })
    }
}

#[test]
fn a_destination_refusing_writes_for_seconds_is_ridden_out_by_chunk_retries() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let proxy = Proxy::start(PORT);
    let c = container("outage");
    // The store gives up on a request quickly, so the outage reaches the chunk retries.
    sample_on_azurite(
        dir.path(),
        &c,
        proxy.port,
        "part_size_mib = 1\nmax_retries = 1\nretry_timeout_secs = 2\n",
    );
    let mut child = spawn_run(dir.path(), &["--max-retries", "6", "--retry-backoff", "1"]);
    // Cut the destination once upload parts are flowing, for 3 seconds.
    let started = Instant::now();
    while proxy.sent() < 2 << 20 && child.try_wait().ok().flatten().is_none() {
        assert!(started.elapsed() < Duration::from_secs(120), "no upload");
        std::thread::sleep(Duration::from_millis(5));
    }
    proxy.outage();
    std::thread::sleep(Duration::from_secs(3));
    proxy.restore();
    let out = child.wait_with_output().expect("ingest ends");
    let text = support::text(&out);
    assert_eq!(support::code(&out), 0, "the outage is ridden out: {text}");
    assert!(
        text.contains("retrying the chunk from its start"),
        "every retry is logged: {text}"
    );
    let state = dir.path().join("metadata/state/demo_orders_incr.json");
    assert!(state.exists(), "state committed");
    // Checked on Azurite directly, not through the proxy.
    assert_one_load(PORT, &c, dir.path());
    // The files of the broken attempts are not in the lake's listing once the run tidied up.
    let listed = list(PORT, &c);
    let data_files = listed.keys().filter(|k| k.ends_with(".parquet")).count();
    let manifest_files: usize = manifests(PORT, &c, "demo_orders")
        .iter()
        .map(|m| m["files"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(data_files, manifest_files, "{listed:?}");
}

#[test]
fn azurite_stopped_mid_run_fails_the_job_and_the_rerun_commits_once() {
    let Some(Outage {
        dir,
        data,
        port,
        mut own,
        c,
    }) = Outage::start("midrun")
    else {
        return;
    };
    // No chunk retries: the outage fails the job.
    let mut child = spawn_run(dir.path(), &["--max-retries", "0"]);
    wait_for_upload(&own, &mut child);
    own.kill();
    let out = child.wait_with_output().expect("ingest ends");
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "the job fails: {text}");
    assert!(text.contains("FAILED"), "{text}");
    let state = dir
        .path()
        .join("metadata")
        .join("state")
        .join("demo_orders_incr.json");
    assert!(!state.exists(), "state unchanged after the failed load");
    let watermarks =
        std::fs::read_to_string(dir.path().join("metadata/watermarks.json")).unwrap_or_default();
    assert!(!watermarks.contains("demo_orders_incr"), "{watermarks}");

    let own = OwnAzurite::start(port, data.path()).expect("Azurite restarts");
    assert!(
        manifests(own.port, &c, "demo_orders").is_empty(),
        "no manifest for the half-written load"
    );
    let out = run(dir.path(), &["--jobs", "demo_orders_incr"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    assert_one_load(own.port, &c, dir.path());
    assert!(state.exists(), "state committed by the rerun");
}
