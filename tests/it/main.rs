//! Integration tests: one binary, a module per area.

mod azure;
mod cli;
mod e2e;
mod faults;
mod injection;
mod mssql;
mod mysql;
mod oracle;
mod postgres;
mod recovery;
mod secrets_sweep;
mod support;
