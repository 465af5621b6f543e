//! Integration tests: one binary, a module per area.

mod azure;
mod cli;
mod commands;
mod content;
mod deps_vars;
mod drift;
mod e2e;
mod empty_password;
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
mod shared_folder;
mod support;
