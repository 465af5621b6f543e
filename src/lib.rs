//! `ingest`: Excel-driven batch ingestion from relational databases into Parquet.
//!
//! The modules follow the data: [`config`] (workbook + secrets, validated) → [`plan`]
//! (windows, chunks, SQL) → [`source`] (Arrow batches) → [`sink`] (Parquet objects and
//! manifests) → [`state`] (watermarks, audit). [`run`] drives one run end to end.

pub mod app;
pub mod cli;
pub mod config;
pub mod discover;
pub mod fault;
pub mod logging;
pub mod notify;
pub mod plan;
pub mod progress;
pub mod report;
pub mod run;
pub mod sink;
pub mod source;
pub mod state;
pub mod table;
