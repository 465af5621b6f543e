//! Table formats: how a job's loads become one table readers see whole.
//!
//! `delta` writes Delta Lake tables through delta-rs. The Parquet + `_ingest_loads` manifest
//! format still lives in `sink/manifest.rs` and `run/job.rs`; it moves here behind one trait
//! once both formats are in place (ARCHITECTURE.md, "Where the house goes next", item 1).

pub mod delta;
pub mod delta_error;
pub mod delta_files;
pub mod delta_merge;
pub mod delta_schema;
pub mod emulator;
pub mod lease;
pub mod maintain;
pub mod tidy;

#[cfg(test)]
#[path = "delta_fence_tests.rs"]
mod delta_fence_tests;
