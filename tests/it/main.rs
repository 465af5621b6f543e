//! Integration tests: one binary, a module per area.

mod azure;
mod cli;
mod e2e;
mod mssql;
mod mysql;
mod oracle;
mod recovery;
mod support;
