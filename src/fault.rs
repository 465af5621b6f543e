//! TEST SEAM, debug builds only: `INGEST_TEST_ABORT_AT=<point>` makes the process abort
//! (`std::process::abort`, no cleanup, like a SIGKILL) when it reaches the named point, so
//! tests can crash a load at an exact moment. Release builds compile [`point`] to nothing and
//! never read the variable.
//!
//! Points: `writing` (a chunk has handed its second batch to the Parquet writer: files are
//! being written), `delta-before-commit` (every data file is durable, the Delta commit not
//! made), `delta-after-commit` (the commit is made, local state not saved).

/// The environment variable naming the point to abort at (debug builds only).
#[cfg(debug_assertions)]
pub const ABORT_AT_VAR: &str = "INGEST_TEST_ABORT_AT";

/// Abort the process when `INGEST_TEST_ABORT_AT` names `name` (debug builds only).
#[cfg(debug_assertions)]
pub fn point(name: &str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let wanted = WANTED.get_or_init(|| std::env::var(ABORT_AT_VAR).ok());
    if wanted.as_deref() == Some(name) {
        eprintln!("{ABORT_AT_VAR}={name}: aborting (test seam)");
        std::process::abort();
    }
}

/// Release builds: no seam.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_name: &str) {}
