//! MySQL / MariaDB source (sqlx): binary-protocol values decoded exactly into Arrow, sessions in
//! UTC, zero dates read as NULL with one warning per column.

use super::arrow::BatchBuilder;
use super::mysql_types::{
    Value, WIDEST_DECIMAL, Wire, append, cursor_of, decode, map_column_type, map_wire_type, show,
};
use super::{BatchSender, Described, Extract, Native, Source, SourceError};
use crate::config::SourceType;
use crate::config::secrets::SourceSecret;
use crate::plan::sql::{Dialect, Query, Relation, from_clause};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use futures::stream::{BoxStream, TryStreamExt};
use sqlx::mysql::{
    MySqlArguments, MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow, MySqlSslMode,
};
use sqlx::{AssertSqlSafe, Column, Decode, Executor, MySql, Row, SqlSafeStr, Statement, TypeInfo};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

/// A MySQL or MariaDB database reached through a connection pool.
pub struct MySqlSource {
    pool: MySqlPool,
}

/// Connection options from a secrets section: `url`, or host/port/database/username/password,
/// and `sslmode` (disable, prefer, require, verify-ca, verify-full). Errors never hold secrets.
pub fn connect_options(secret: &SourceSecret) -> Result<MySqlConnectOptions, String> {
    let mut opts = match &secret.url {
        Some(url) => MySqlConnectOptions::from_str(url.expose())
            .map_err(|_| "has a `url` that is not a valid mysql:// URL".to_string())?,
        None => {
            let host = secret.host.as_deref().ok_or("has no `host` (or `url`)")?;
            let mut o = MySqlConnectOptions::new()
                .host(host)
                .port(secret.port.unwrap_or(3306));
            if let Some(u) = &secret.username {
                o = o.username(u);
            }
            if let Some(p) = secret.login_password() {
                o = o.password(p.expose());
            }
            if let Some(d) = &secret.database {
                o = o.database(d);
            }
            o
        }
    };
    if let Some(mode) = &secret.sslmode {
        opts = opts.ssl_mode(ssl_mode(mode)?);
    }
    // UTC sessions (TIMESTAMP values come back in UTC); keep the server's `||` meaning.
    Ok(opts
        .timezone(Some("+00:00".to_string()))
        .pipes_as_concat(false))
}

/// The sqlx TLS mode for a `sslmode` value.
pub fn ssl_mode(mode: &str) -> Result<MySqlSslMode, String> {
    Ok(
        match mode.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "disable" | "disabled" => MySqlSslMode::Disabled,
            "prefer" | "preferred" => MySqlSslMode::Preferred,
            "require" | "required" => MySqlSslMode::Required,
            "verify-ca" => MySqlSslMode::VerifyCa,
            "verify-full" | "verify-identity" => MySqlSslMode::VerifyIdentity,
            other => {
                return Err(format!(
                    "sslmode `{other}` is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        },
    )
}

/// A MySQL/MariaDB section, checked: connection options, the statement limit, and the
/// section's secrets (to blank them out of driver messages).
#[derive(Debug, Clone)]
pub struct MySqlSettings {
    /// Connection options ([`connect_options`]).
    pub opts: MySqlConnectOptions,
    /// `query_timeout_secs`: the longest one statement may run (`None`: no limit).
    pub timeout: Option<std::time::Duration>,
    /// `password` and `url`, never shown.
    secrets: Vec<crate::config::secrets::Secret>,
}

impl MySqlSettings {
    /// Check a section (see [`connect_options`]).
    pub fn of(secret: &SourceSecret) -> Result<MySqlSettings, String> {
        Ok(MySqlSettings {
            opts: connect_options(secret)?,
            timeout: secret.query_timeout(),
            secrets: [&secret.password, &secret.url]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
        })
    }

    /// A driver message with any secret of the section blanked out.
    fn redact(&self, message: String) -> String {
        let mut m = message;
        for s in &self.secrets {
            if !s.expose().is_empty() {
                m = m.replace(s.expose(), "***");
            }
        }
        m
    }
}

/// The statement that bounds each statement of a session to `limit` (`query_timeout_secs`):
/// MariaDB's `max_statement_time` (seconds), MySQL's `max_execution_time` (milliseconds,
/// read-only SELECTs — all ingest runs). `version` is `SELECT VERSION()`.
pub fn statement_limit_sql(version: &str, limit: std::time::Duration) -> String {
    if version.to_ascii_lowercase().contains("mariadb") {
        format!("SET SESSION max_statement_time = {}", limit.as_secs())
    } else {
        format!("SET SESSION max_execution_time = {}", limit.as_millis())
    }
}

fn query_err(e: sqlx::Error, sql: &str) -> SourceError {
    SourceError::from_sqlx(&e, e.to_string(), sql)
}

impl MySqlSource {
    /// Connect to the server named by the secret and check it answers.
    pub async fn connect(
        name: &str,
        settings: &MySqlSettings,
    ) -> Result<Box<dyn Source>, SourceError> {
        let connect_err = |message: String| SourceError::Connect {
            source_type: SourceType::MySql,
            name: name.to_string(),
            message: settings.redact(message),
        };
        let opts = settings.opts.clone();
        // One direct connection first: a pool retries refused connections until its acquire
        // timeout and then reports only "pool timed out", hiding the driver's reason.
        let timeout = std::time::Duration::from_secs(30);
        let first = <sqlx::MySqlConnection as sqlx::Connection>::connect_with(&opts);
        let mut first = tokio::time::timeout(timeout, first)
            .await
            .map_err(|_| connect_err(format!("timed out after {} s", timeout.as_secs())))?
            .map_err(|e| connect_err(e.to_string()))?;
        let limit = match settings.timeout {
            Some(t) => {
                let version: String = sqlx::query_scalar("SELECT VERSION()")
                    .fetch_one(&mut first)
                    .await
                    .map_err(|e| connect_err(e.to_string()))?;
                Some(statement_limit_sql(&version, t))
            }
            None => None,
        };
        let _ = sqlx::Connection::close(first).await;
        let mut pool = MySqlPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(timeout);
        if let Some(set) = limit {
            pool = pool.after_connect(move |conn, _| {
                let set = set.clone();
                Box::pin(async move { conn.execute(AssertSqlSafe(set)).await.map(|_| ()) })
            });
        }
        let pool = pool.connect_lazy_with(opts);
        Ok(Box::new(MySqlSource { pool }))
    }

    /// `COLUMN_TYPE` of each column of a table, keyed by lower-cased name.
    async fn column_types(
        &self,
        schema: Option<&str>,
        table: &str,
    ) -> Result<HashMap<String, String>, SourceError> {
        let sql = "SELECT COLUMN_NAME, CAST(COLUMN_TYPE AS CHAR) FROM information_schema.columns \
                   WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? \
                   ORDER BY ORDINAL_POSITION";
        let unquote = |n: &str| {
            let d = Dialect::MySql.quote_ident(n);
            d[1..d.len() - 1].replace("``", "`")
        };
        let rows = sqlx::query(sql)
            .bind(schema.filter(|s| !s.trim().is_empty()).map(unquote))
            .bind(unquote(table))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| query_err(e, sql))?;
        rows.iter()
            .map(|r| {
                let name: String = r.try_get(0)?;
                let ty: String = r.try_get(1)?;
                Ok((name.to_lowercase(), ty))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| query_err(e, sql))
    }

    fn bind(query: &Query) -> sqlx::query::Query<'static, MySql, MySqlArguments> {
        let mut q = sqlx::query(AssertSqlSafe(query.sql.clone()));
        for p in &query.params {
            q = match p.value {
                CursorValue::Int(v) => match (i64::try_from(v), u64::try_from(v)) {
                    (Ok(v), _) => q.bind(v),
                    (_, Ok(v)) => q.bind(v),
                    _ => q.bind(v.to_string()),
                },
                CursorValue::Decimal(d) => q.bind(d),
                CursorValue::Date(d) => q.bind(d),
                CursorValue::Timestamp(t) => q.bind(t),
                CursorValue::TimestampTz(t) => q.bind(t.naive_utc()),
            };
        }
        q
    }

    async fn run_extract(&self, spec: &Extract, tx: &BatchSender) -> Result<(), SourceError> {
        let sql = &spec.query.sql;
        let fields = spec.schema.fields();
        let mut builder = BatchBuilder::new(spec.schema.clone(), spec.batch_rows)
            .map_err(|c| SourceError::Other(format!("no Arrow builder for column {c}")))?;
        let mut wires: Option<Vec<Wire>> = None;
        let mut warned = vec![false; fields.len()];
        // One connection of our own: streaming through the pool adds a stream layer per row.
        let mut conn = self.pool.acquire().await.map_err(|e| query_err(e, sql))?;
        let mut rows = Self::bind(&spec.query).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await.map_err(|e| query_err(e, sql))? {
            let wires = wires.get_or_insert_with(|| {
                row.columns()
                    .iter()
                    .map(|c| Wire::of(c.type_info().name()))
                    .collect()
            });
            if wires.len() < fields.len() {
                return Err(SourceError::Other(format!(
                    "the query returned {} columns but {} were described (SQL: {sql})",
                    wires.len(),
                    fields.len()
                )));
            }
            for i in 0..fields.len() {
                let bytes = raw(&row, i).map_err(|e| query_err(e, sql))?;
                let result = match bytes {
                    None => {
                        builder.column(i).append_null();
                        Ok(())
                    }
                    Some(b) => match decode(wires[i], b) {
                        Ok(Value::ZeroDate) => {
                            if !warned[i] {
                                warned[i] = true;
                                tracing::warn!(
                                    "column `{}` holds zero dates (0000-00-00); they are loaded as NULL",
                                    fields[i].name()
                                );
                            }
                            builder.column(i).append_null();
                            Ok(())
                        }
                        Ok(v) => append(builder.column(i), v),
                        Err(e) => Err(e),
                    },
                };
                if let Err(reason) = result {
                    return Err(SourceError::BadValue {
                        column: fields[i].name().clone(),
                        key: row_key(&row, &spec.key_columns, wires),
                        value: show(bytes, wires[i]),
                        reason,
                    });
                }
            }
            if !builder.end_row_and_send(tx).await? {
                return Ok(()); // the reader stopped
            }
        }
        builder.send(tx).await?;
        Ok(())
    }
}

/// The raw bytes of cell `i` (length prefix of dates kept), `None` for SQL NULL.
fn raw(row: &MySqlRow, i: usize) -> Result<Option<&[u8]>, sqlx::Error> {
    let v = row.try_get_raw(i)?;
    // `&[u8]` decoding reads the bytes as sent, also for zero dates that sqlx calls NULL.
    Ok(<&[u8] as Decode<MySql>>::decode(v).ok())
}

fn row_key(row: &MySqlRow, key_columns: &[usize], wires: &[Wire]) -> Option<String> {
    if key_columns.is_empty() {
        return None;
    }
    let parts: Vec<String> = key_columns
        .iter()
        .map(|&i| match (raw(row, i), wires.get(i)) {
            (Ok(b), Some(w)) => show(b, *w),
            _ => "?".into(),
        })
        .collect();
    Some(parts.join(", "))
}

#[async_trait::async_trait]
impl Source for MySqlSource {
    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    async fn describe(&self, rel: &Relation) -> Result<Described, SourceError> {
        let sql = format!("SELECT * FROM {} LIMIT 0", from_clause(Dialect::MySql, rel));
        let described = (&self.pool)
            .prepare(AssertSqlSafe(sql.clone()).into_sql_str())
            .await
            .map_err(|e| query_err(e, &sql))?;
        let declared = match (&rel.table, &rel.query) {
            (Some(table), None) => self.column_types(rel.schema.as_deref(), table).await?,
            _ => HashMap::new(),
        };
        let mut fields = Vec::new();
        for col in described.columns() {
            let name = col.name().to_string();
            let (ty_name, data_type) = match declared.get(&name.to_lowercase()) {
                Some(t) => (t.clone(), map_column_type(t)),
                None => {
                    let wire = col.type_info().name().to_string();
                    let mapped = map_wire_type(&wire);
                    if mapped == Some(DataType::Decimal256(WIDEST_DECIMAL.0, WIDEST_DECIMAL.1)) {
                        tracing::debug!(
                            "query column `{name}` is DECIMAL of unknown precision: Decimal256(65, 30)"
                        );
                    }
                    (wire, mapped)
                }
            };
            let data_type = data_type.ok_or_else(|| SourceError::UnsupportedType {
                column: name.clone(),
                db_type: ty_name,
            })?;
            fields.push(Field::new(name, data_type, true));
        }
        Ok(Described {
            schema: Arc::new(Schema::new(fields)),
            native: Native::None,
        })
    }

    async fn bounds(
        &self,
        _native: &mut Native,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let row = Self::bind(query)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| query_err(e, &query.sql))?;
        let mut out = Vec::with_capacity(2);
        for i in 0..2 {
            let wire = Wire::of(row.column(i).type_info().name());
            match raw(&row, i).map_err(|e| query_err(e, &query.sql))? {
                None => return Ok(None),
                Some(b) => {
                    let v = decode(wire, b).map_err(|reason| SourceError::BadValue {
                        column: column.to_string(),
                        key: None,
                        value: format!("<{} bytes>", b.len()),
                        reason,
                    })?;
                    out.push(cursor_of(v, kind, column)?);
                }
            }
        }
        Ok(Some((out[0], out[1])))
    }

    async fn text_rows(
        &self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError> {
        let mut q = sqlx::query(AssertSqlSafe(sql.to_string()));
        for p in params {
            q = q.bind(p.clone());
        }
        let rows = q
            .fetch_all(&self.pool)
            .await
            .map_err(|e| query_err(e, sql))?;
        super::text_rows::texts(&rows).map_err(|e| query_err(e, sql))
    }

    async fn count(&self, _native: &Native, query: &Query) -> Result<u64, SourceError> {
        let row = Self::bind(query)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| query_err(e, &query.sql))?;
        let wire = Wire::of(row.column(0).type_info().name());
        match raw(&row, 0).map_err(|e| query_err(e, &query.sql))? {
            None => Ok(0),
            Some(b) => match decode(wire, b) {
                Ok(Value::Int(n)) => Ok(u64::try_from(n).unwrap_or(0)),
                _ => Err(SourceError::Other(format!(
                    "the count query did not return an integer (SQL: {})",
                    query.sql
                ))),
            },
        }
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let pool = self.pool.clone();
        super::spawn_batches(
            move |tx| async move { MySqlSource { pool }.run_extract(&spec, &tx).await },
        )
    }
}

#[cfg(test)]
#[path = "mysql_tests.rs"]
mod tests;
