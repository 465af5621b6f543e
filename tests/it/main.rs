//! Integration tests: one binary, a module per area.

mod azure;
mod cli;
mod content;
mod delta;
mod e2e;
mod faults;
mod injection;
mod malformed;
mod malformed_layout;
mod malformed_secrets;
mod malformed_support;
mod mssql;
mod mysql;
mod oracle;
mod postgres;
mod recovery;
mod secrets_sweep;
mod support;
