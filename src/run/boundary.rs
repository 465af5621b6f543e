//! Moved to [`crate::plan::boundary`]; this file goes when `run/mod.rs` drops `pub mod boundary`.
