//! State: per-job watermarks (atomic files), the directory lock, the audit log.

pub mod audit;
pub mod lock;
pub mod store;
