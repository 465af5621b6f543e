//! Integration tests: one binary, a module per area.

mod azure;
mod cli;
mod content;
mod e2e;
mod faults;
mod mssql;
mod mysql;
mod oracle;
mod postgres;
mod recovery;
mod support;
