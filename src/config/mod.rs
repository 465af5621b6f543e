//! Configuration: the workbook and secrets, loaded and validated into typed jobs.

pub mod cell;
pub mod issue;
pub mod job;
pub mod rules;
pub mod sample;
pub mod secrets;
pub mod validate;
pub mod workbook;

pub use issue::{Issue, Location, Severity};
pub use job::{Job, LoadType, SourceType};
pub use secrets::Secrets;
