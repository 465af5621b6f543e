//! SQL text per dialect: quoted identifiers, the job's relation, window and chunk predicates.

use super::{CursorValue, chunk::Chunk, window::Window};
use crate::config::{Job, SourceType};

/// SQL dialect of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `"ident"`, `$1`.
    Postgres,
    /// MySQL / MariaDB: `` `ident` ``, `?`.
    MySql,
    /// SQLite: `"ident"`, `?`.
    Sqlite,
    /// SQL Server: `[ident]`, `@P1`.
    MsSql,
    /// Oracle: `"IDENT"` (plain names upper-cased), `:1`.
    Oracle,
}

impl Dialect {
    /// The dialect of a source type.
    pub fn of(source_type: SourceType) -> Dialect {
        match source_type {
            SourceType::PostgreSql => Dialect::Postgres,
            SourceType::MySql => Dialect::MySql,
            SourceType::Sqlite => Dialect::Sqlite,
            SourceType::MsSql => Dialect::MsSql,
            SourceType::Oracle => Dialect::Oracle,
        }
    }
}

/// A bound parameter: the column it is compared with, and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Column the value is compared with (a source may format the value as that column needs).
    pub column: String,
    /// Typed value.
    pub value: CursorValue,
}

/// SQL text with placeholders in the dialect's style, and the values to bind, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// SQL text.
    pub sql: String,
    /// Values for the placeholders, in order.
    pub params: Vec<Param>,
}

/// What a job reads: a table (optionally schema-qualified) or a query, with an optional filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Schema / owner.
    pub schema: Option<String>,
    /// Table or view.
    pub table: Option<String>,
    /// A SELECT used instead of the table.
    pub query: Option<String>,
    /// Extra WHERE condition (raw SQL).
    pub filter: Option<String>,
}

impl Relation {
    /// The relation of a job.
    pub fn of(job: &Job) -> Relation {
        Relation {
            schema: job.schema_name.clone(),
            table: job.table_name.clone(),
            query: job.source_query.clone(),
            filter: job.query_filter.clone(),
        }
    }
}
