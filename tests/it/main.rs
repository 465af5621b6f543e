//! Integration tests: one binary, a module per area.

mod mssql;
mod oracle;
mod support;
