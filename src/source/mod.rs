//! Sources: a database read as a schema, bounds, and a stream of Arrow record batches.

pub mod api;
pub mod arrow;
pub mod error;
pub mod mssql;
pub mod mssql_error;
mod mssql_time;
pub mod mssql_types;
pub mod mysql;
pub mod mysql_types;
pub mod oracle;
pub mod oracle_error;
pub mod oracle_types;
pub mod postgres;
pub mod settings;
pub mod sqlite;
mod text_rows;

pub use error::SourceError;

use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use ::arrow::datatypes::SchemaRef;
use ::arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Run `work`, stopped at `deadline` (no deadline: no limit) with [`SourceError::timed_out`].
pub async fn until<T>(
    deadline: Option<(tokio::time::Instant, Duration)>,
    sql: &str,
    work: impl std::future::Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    match deadline {
        None => work.await,
        Some((at, limit)) => tokio::time::timeout_at(at, work)
            .await
            .unwrap_or_else(|_| Err(SourceError::timed_out(Some(limit), "", sql))),
    }
}

/// The deadline of a statement starting now under `limit`.
pub fn deadline(limit: Option<Duration>) -> Option<(tokio::time::Instant, Duration)> {
    limit.map(|l| (tokio::time::Instant::now() + l, l))
}

/// The entry of a map keyed by result column names for a workbook column name, matched as
/// the planner matches it: a quoted name (`"a""b"`, `[a]]b]`) exactly once unquoted, a plain
/// one exactly or else ignoring case (Oracle reports `updated_at` as `UPDATED_AT`).
pub fn by_column<'a, V>(map: &'a HashMap<String, V>, name: &str) -> Option<&'a V> {
    match crate::plan::sql::unwrap_quoted(name) {
        Some(inner) => map.get(&inner),
        None => map.get(name).or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        }),
    }
}

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
    MsSql(Arc<HashMap<String, mssql_types::ParamKind>>),
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

pub use settings::SourceSettings;

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

impl arrow::BatchBuilder {
    /// Count a finished row and send the batch once it is full. `Ok(false)`: the reader is
    /// gone, stop producing.
    pub async fn end_row_and_send(&mut self, tx: &BatchSender) -> Result<bool, SourceError> {
        if !self.end_row() {
            return Ok(true);
        }
        self.send(tx).await
    }

    /// Send the buffered rows, if any. `Ok(false)`: the reader is gone.
    pub async fn send(&mut self, tx: &BatchSender) -> Result<bool, SourceError> {
        if self.is_empty() {
            return Ok(true);
        }
        let batch = self
            .finish()
            .map_err(|e| SourceError::Other(e.to_string()))?;
        Ok(tx.send(Ok(batch)).await.is_ok())
    }
}

/// The sending half handed to a producer of batches.
pub type BatchSender = tokio::sync::mpsc::Sender<Result<RecordBatch, SourceError>>;

/// Run `produce` on a task feeding a bounded channel (capacity 2) and return the receiving end
/// as a stream. An `Err` returned by `produce` becomes the stream's last item.
pub fn spawn_batches<F, Fut>(produce: F) -> BoxStream<'static, Result<RecordBatch, SourceError>>
where
    F: FnOnce(BatchSender) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), SourceError>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, SourceError>>(2);
    tokio::spawn(async move {
        let err_tx = tx.clone();
        if let Err(e) = produce(tx).await {
            let _ = err_tx.send(Err(e)).await;
        }
    });
    receiver_stream(rx)
}

/// Run a blocking `produce` (a driver without async support) on a blocking thread feeding a
/// bounded channel (capacity 2); it sends with `blocking_send`. A panic becomes an error item.
pub fn spawn_blocking_batches<F>(produce: F) -> BoxStream<'static, Result<RecordBatch, SourceError>>
where
    F: FnOnce(&BatchSender) -> Result<(), SourceError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, SourceError>>(2);
    let handle = tokio::task::spawn_blocking(move || {
        if let Err(e) = produce(&tx) {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let (done_tx, done_rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        if handle.await.is_err() {
            let _ = done_tx
                .send(Err(SourceError::Other(
                    "the extraction thread panicked".into(),
                )))
                .await;
        }
    });
    use futures::StreamExt;
    receiver_stream(rx).chain(receiver_stream(done_rx)).boxed()
}

fn receiver_stream(
    rx: tokio::sync::mpsc::Receiver<Result<RecordBatch, SourceError>>,
) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
    use futures::StreamExt;
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::{SourceError, by_column, deadline, until};
    use std::collections::HashMap;
    use std::time::Duration;

    #[tokio::test]
    async fn a_statement_past_its_deadline_is_a_query_error_naming_the_limit_and_sql() {
        let limit = Some(Duration::from_secs(1));
        let never = futures::future::pending::<Result<(), SourceError>>();
        let e = until(deadline(limit), "SELECT MAX(x) FROM t", never)
            .await
            .unwrap_err();
        assert!(!e.is_transient(), "a timeout is not retried: {e:?}");
        assert!(e.is_timeout());
        let text = e.to_string();
        assert!(text.contains("query_timeout_secs = 1"), "{text}");
        assert!(text.contains("SELECT MAX(x) FROM t"), "{text}");
        let quick = async { Ok::<_, SourceError>(7) };
        assert_eq!(until(deadline(limit), "q", quick).await.unwrap(), 7);
        let slow = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok::<_, SourceError>(8)
        };
        assert_eq!(until(None, "q", slow).await.unwrap(), 8, "no limit");
    }

    #[test]
    fn workbook_names_find_their_column_entry() {
        let map: HashMap<String, u8> = [("UPDATED_AT", 1), ("x\"y", 2), ("a]b", 3), ("Id", 4)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        assert_eq!(by_column(&map, "updated_at"), Some(&1));
        assert_eq!(by_column(&map, "\"UPDATED_AT\""), Some(&1));
        assert_eq!(
            by_column(&map, "\"updated_at\""),
            None,
            "quoted: exact case"
        );
        assert_eq!(by_column(&map, "\"x\"\"y\""), Some(&2));
        assert_eq!(by_column(&map, "[a]]b]"), Some(&3));
        assert_eq!(by_column(&map, "[Id]"), Some(&4));
        assert_eq!(by_column(&map, "id"), Some(&4));
        assert_eq!(by_column(&map, "nope"), None);
    }
}
