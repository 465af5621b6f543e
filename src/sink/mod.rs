//! Sink: Parquet objects and load manifests on an object store (local folder or ADLS Gen2).

pub mod layout;
pub mod manifest;
pub mod parquet;
pub mod store;
