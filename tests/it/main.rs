//! Integration tests: one binary, a module per area.

mod mysql;
mod support;
