//! Planning: the incremental window, chunk ranges and the SQL of each chunk. Pure: no I/O.

pub mod boundary;
pub mod chunk;
pub mod cursor;
pub mod sql;
pub mod window;

pub use cursor::{CursorKind, CursorValue, Watermark};
