//! Planning: the incremental window, chunk ranges, the SQL of each chunk, the boundary filter
//! and the dry-run view. Pure: no I/O.

pub mod boundary;
pub mod chunk;
pub mod column;
pub mod cursor;
pub mod error;
pub mod partition;
pub mod report;
pub mod sql;
pub mod window;

pub use cursor::{CursorKind, CursorValue, Watermark};
pub use error::PlanError;
