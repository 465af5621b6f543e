//! Integration tests: one binary, a module per area.

mod azure;
mod cli;
mod e2e;
mod recovery;
mod support;
