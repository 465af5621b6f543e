//! What can go wrong reading a source, and which failures are worth a retry.

use crate::config::SourceType;
use std::time::Duration;

/// What can go wrong reading a source. Messages name the job's column or SQL; never a secret.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Could not connect.
    #[error("cannot connect to {source_type} source `{name}`: {message}")]
    Connect {
        /// Source kind.
        source_type: SourceType,
        /// Secrets section name.
        name: String,
        /// Driver message, redacted.
        message: String,
    },
    /// The connection broke or the server asked to retry (lost connection, server shutdown,
    /// serialization failure, deadlock): worth retrying from the start.
    #[error("connection lost: {message} (SQL: {sql})")]
    Lost {
        /// Driver message, redacted.
        message: String,
        /// The SQL text.
        sql: String,
    },
    /// A statement failed.
    #[error("query failed: {message} (SQL: {sql})")]
    Query {
        /// Driver message, redacted.
        message: String,
        /// The SQL text (no values are inlined into it).
        sql: String,
    },
    /// A column type has no mapping.
    #[error("column `{column}` has type {db_type}, which ingest cannot map to Parquet")]
    UnsupportedType {
        /// Column name.
        column: String,
        /// Database type name.
        db_type: String,
    },
    /// A value does not fit its column's declared type.
    #[error("column `{column}`{}: value `{value}` {reason}", key.as_ref().map(|k| format!(" (row key {k})")).unwrap_or_default())]
    BadValue {
        /// Column name.
        column: String,
        /// Row key, when known.
        key: Option<String>,
        /// The value, as text.
        value: String,
        /// Why it does not fit.
        reason: String,
    },
    /// A column needed for planning is not in the result.
    #[error("column `{0}` is not in the source's result")]
    MissingColumn(String),
    /// An API request or page failed (already retried where that may help).
    #[error("{0}")]
    Api(#[from] super::api::error::ApiError),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl SourceError {
    /// Whether retrying the same work from its start may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SourceError::Connect { .. } | SourceError::Lost { .. })
    }

    /// A failed sqlx statement: [`SourceError::Lost`] when the error is transient (I/O, TLS,
    /// pool, SQLSTATE 08xxx connection errors, 57P0x shutdowns, 40001/40P01 serialization
    /// failures and deadlocks), else `Query`.
    /// `message` is the (already redacted) text to show.
    /// A statement stopped by the server's statement timeout (`query_timeout_secs`: PostgreSQL
    /// 57014 "statement timeout", MariaDB 1969, MySQL 3024) is a `Query` error naming the limit.
    pub fn from_sqlx(e: &sqlx::Error, message: String, sql: &str) -> SourceError {
        if sqlx_timed_out(e) {
            return SourceError::timed_out(None, &message, sql);
        }
        let transient = match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                c.starts_with("08")
                    || c.starts_with("57P0")
                    || matches!(c.as_ref(), "40001" | "40P01")
            }),
            _ => false,
        };
        let sql = sql.to_string();
        if transient {
            SourceError::Lost { message, sql }
        } else {
            SourceError::Query { message, sql }
        }
    }
}

impl SourceError {
    /// A statement stopped because it ran longer than the source's `query_timeout_secs`
    /// (`limit`, when the caller knows it). Not transient: the same statement would run as long
    /// again, so retrying it only multiplies the wait.
    pub fn timed_out(limit: Option<Duration>, detail: &str, sql: &str) -> SourceError {
        let limit = limit.map_or_else(String::new, |d| format!(" = {}", d.as_secs()));
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        };
        SourceError::Query {
            message: format!(
                "the statement ran longer than the source's query_timeout_secs{limit} and was stopped{detail}"
            ),
            sql: sql.to_string(),
        }
    }

    /// Whether this is the error of [`SourceError::timed_out`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, SourceError::Query { message, .. } if message.starts_with(TIMEOUT_PREFIX))
    }
}

const TIMEOUT_PREFIX: &str = "the statement ran longer than the source's query_timeout_secs";

/// Whether a sqlx error is a server-side statement timeout.
fn sqlx_timed_out(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(d) = e else {
        return false;
    };
    if let Some(my) = d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return matches!(my.number(), 1969 | 3024);
    }
    d.code().as_deref() == Some("57014") && d.message().contains("statement timeout")
}
