//! Sources: a database read as a schema, bounds, and a stream of Arrow record batches.

pub mod api;
pub mod arrow;
mod batches;
mod error;
pub mod mssql;
pub mod mysql;
pub mod mysql_types;
pub mod oracle;
pub mod oracle_error;
pub mod oracle_types;
pub mod postgres;
pub mod settings;
pub mod sqlite;
mod text_rows;
mod timeout;

pub use batches::{BatchSender, spawn_batches, spawn_blocking_batches};
pub use error::SourceError;
pub use settings::SourceSettings;
pub use timeout::{deadline, until};

use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use ::arrow::datatypes::SchemaRef;
use ::arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::Arc;

/// What `describe` found: the Arrow schema of the result and the source's own column
/// information, handed back to `bounds`, `count` and `extract` (sources keep no copy).
#[derive(Debug, Clone)]
pub struct Described {
    /// The result's columns as Arrow fields, in select order.
    pub schema: SchemaRef,
    /// How the source reads and binds those columns beyond their Arrow types.
    pub native: Native,
}

/// A source's column information beyond Arrow types, by source kind.
#[derive(Debug, Clone, Default)]
pub enum Native {
    /// Nothing beyond the Arrow types (MySQL, or a statement that reads no described relation).
    #[default]
    None,
    /// PostgreSQL: how each column is decoded from binary COPY and whether it is cast to text.
    Postgres(Arc<Vec<postgres::PgCol>>),
    /// SQL Server: how a cursor value binds for each column (by result column name).
    MsSql(Arc<HashMap<String, mssql::types::ParamKind>>),
    /// Oracle: which columns are `DATE` (bound as DATE, not TIMESTAMP), by result column name.
    Oracle(Arc<HashMap<String, bool>>),
    /// SQLite: how text timestamps are written, by column (learned from the values `bounds` read).
    Sqlite(Arc<HashMap<String, sqlite::TextFormat>>),
    /// API: the columns inferred from the first pages, fixed for the load.
    Api(SchemaRef),
}

/// One extraction: a planned SELECT and the shape of its result.
#[derive(Debug, Clone)]
pub struct Extract {
    /// The SELECT (from `plan::sql::select_sql`).
    pub query: Query,
    /// The schema `describe` returned.
    pub schema: SchemaRef,
    /// The native column information `describe` (and `bounds`) returned.
    pub native: Native,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Indexes of the key columns, to name a row in errors.
    pub key_columns: Vec<usize>,
    /// The incremental window the query reads (an API source filters it on the client).
    pub window: Option<crate::plan::window::Window>,
}

/// A database the tool reads from.
#[async_trait::async_trait]
pub trait Source: Send + Sync {
    /// The SQL dialect used to build this source's queries.
    fn dialect(&self) -> Dialect;

    /// The relation's columns, in select order, before any data moves: Arrow schema and the
    /// native information the other calls need.
    async fn describe(&self, rel: &Relation) -> Result<Described, SourceError>;

    /// Run a `SELECT MIN(c), MAX(c) …` query on `column`; `None` when the result is NULL (no rows).
    /// A source may add what the values show to `native` (SQLite learns how text timestamps
    /// are written, so later parameters are written the same way).
    async fn bounds(
        &self,
        native: &mut Native,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError>;

    /// The window's bounds for an INCREMENTAL job: `MIN`/`MAX` of `column` over the relation
    /// (`None`: no rows). `lo` is the stored lower bound; a database ignores it (the planner
    /// compares), an API sends it as its `incremental_param`.
    async fn window_bounds(
        &self,
        native: &mut Native,
        rel: &Relation,
        column: &str,
        kind: CursorKind,
        lo: Option<&CursorValue>,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let _ = lo;
        let q = crate::plan::sql::bounds_sql(self.dialect(), rel, column, None);
        self.bounds(native, &q, column, kind).await
    }

    /// Rows whose `column` is NULL (an incremental load never reads them).
    async fn null_count(
        &self,
        native: &Native,
        rel: &Relation,
        column: &str,
    ) -> Result<u64, SourceError> {
        let q = crate::plan::sql::null_count_sql(self.dialect(), rel, column);
        self.count(native, &q).await
    }

    /// Run a `SELECT COUNT(*) …` query.
    async fn count(&self, native: &Native, query: &Query) -> Result<u64, SourceError>;

    /// Run a catalog query whose columns are all text (or NULL), binding `params` as text in
    /// placeholder order; every row, each column as `Option<String>` (`ingest discover`).
    async fn text_rows(
        &self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError>;

    /// Prove the source answers ([`Dialect::ping_sql`]).
    async fn ping(&self) -> Result<(), SourceError> {
        let q = Query {
            sql: self.dialect().ping_sql().into(),
            params: Vec::new(),
        };
        self.count(&Native::None, &q).await.map(|_| ())
    }

    /// Stream the rows of a SELECT as batches of at most `batch_rows` rows in `schema`.
    /// Errors are stream items; the stream ends only when the rows do.
    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>>;
}

/// Open the source named `name` (its secrets section): the one place that picks an
/// implementation.
pub async fn open(name: &str, settings: &SourceSettings) -> Result<Box<dyn Source>, SourceError> {
    match settings {
        SourceSettings::Sqlite(s) => sqlite::SqliteSource::connect(name, s).await,
        SourceSettings::MsSql(s) => mssql::MsSqlSource::connect(name, s).await,
        SourceSettings::MySql(s) => mysql::MySqlSource::connect(name, s).await,
        SourceSettings::Oracle(s) => oracle::OracleSource::connect(name, s).await,
        SourceSettings::Postgres(s) => postgres::PgSource::connect(name, s).await,
        SourceSettings::Api(s) => api::ApiSource::for_ping(name, s),
    }
}

/// Open the source of one job: an API source reads the job's endpoint; a database is the
/// same for every job ([`open`]). `retry` bounds an API's request retries.
pub async fn open_job(
    name: &str,
    settings: &SourceSettings,
    job: &crate::config::Job,
    retry: crate::run::RetryPolicy,
) -> Result<Box<dyn Source>, SourceError> {
    match settings {
        SourceSettings::Api(s) => api::ApiSource::open(name, s, job, retry),
        _ => open(name, settings).await,
    }
}
