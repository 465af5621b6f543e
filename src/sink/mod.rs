//! Sink: Parquet objects and load manifests on an object store (local folder or ADLS Gen2).
//!
//! There is no `Sink` trait: `Arc<dyn ObjectStore>` is the seam. [`store`] opens a destination,
//! [`layout`] names objects, [`parquet`] writes batches into files with rollover (in the destination's
//! [`compression`]), and
//! [`manifest`] records each load (the manifest is the commit) and [`cleanup`] removes what a
//! job no longer needs afterwards (only ever that job's own files).

pub mod azure;
pub mod cleanup;
pub mod compression;
pub mod container;
pub mod error;
pub mod layout;
pub mod manifest;
pub mod parquet;
pub mod parquet_encode;
pub mod parquet_stats;
pub mod schema_diff;
pub mod store;

pub use error::SinkError;
