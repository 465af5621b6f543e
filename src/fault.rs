//! TEST SEAM, debug builds only. Release builds compile [`point`] to nothing and never read
//! these variables.
//!
//! - `INGEST_TEST_ABORT_AT=<point>`: the process aborts (`std::process::abort`, no cleanup,
//!   like a SIGKILL) when it reaches the named point, so tests crash a load at an exact moment.
//! - `INGEST_TEST_PAUSE_AT=<point>` with `INGEST_TEST_PAUSE_FILE=<path>`: at the point the
//!   process creates `<path>.reached` and waits (up to two minutes) until `<path>` exists, so a
//!   test can let another writer commit in between.
//!
//! Points: `writing` (a chunk has handed its second batch to the Parquet writer: files are
//! being written), `delta-before-commit` (every data file is durable, the Delta commit not
//! made), `delta-after-commit` (the commit is made, local state not saved).

/// The environment variable naming the point to abort at (debug builds only).
#[cfg(debug_assertions)]
pub const ABORT_AT_VAR: &str = "INGEST_TEST_ABORT_AT";

/// Abort or pause at `name` when the test variables say so (debug builds only).
#[cfg(debug_assertions)]
pub fn point(name: &str) {
    use std::sync::OnceLock;
    static ABORT: OnceLock<Option<String>> = OnceLock::new();
    static PAUSE: OnceLock<Option<(String, std::path::PathBuf)>> = OnceLock::new();
    if ABORT
        .get_or_init(|| std::env::var(ABORT_AT_VAR).ok())
        .as_deref()
        == Some(name)
    {
        eprintln!("{ABORT_AT_VAR}={name}: aborting (test seam)");
        std::process::abort();
    }
    let pause = PAUSE.get_or_init(|| {
        let at = std::env::var("INGEST_TEST_PAUSE_AT").ok()?;
        let file = std::env::var_os("INGEST_TEST_PAUSE_FILE")?;
        Some((at, file.into()))
    });
    if let Some((at, file)) = pause
        && at == name
    {
        let mut reached = file.clone().into_os_string();
        reached.push(".reached");
        if let Err(e) = std::fs::write(&reached, name) {
            eprintln!("test seam: cannot write {}: {e}", file.display());
        }
        for _ in 0..2400 {
            if file.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Release builds: no seam.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_name: &str) {}
