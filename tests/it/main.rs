//! Integration tests: one binary, a module per area.

mod azure;
mod support;
