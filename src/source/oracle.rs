//! Oracle source (oracle crate over ODPI-C): the driver is blocking, so every call runs on a
//! `spawn_blocking` thread; extraction feeds a bounded channel.

use super::arrow::BatchBuilder;
use super::oracle_error::from_oracle;
use super::oracle_types::{
    self, MAX_FETCH_ROWS, OraValue, ReadAs, bind_values, describe_error, read, read_as_of,
};
use super::{BatchSender, Described, Extract, Native, Source, SourceError};
use crate::config::SourceType;
use crate::config::secrets::{Secret, SourceSecret};
use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use oracle::Connection;
use oracle::sql_type::{OracleType, ToSql};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to reach an Oracle database.
#[derive(Debug, Clone)]
struct Login {
    username: String,
    /// `None`: external authentication (`password = ""`: an OS login or a wallet).
    password: Option<Secret>,
    connect_string: String,
    /// `query_timeout_secs`: the call timeout of every round trip, and the longest an
    /// extraction may run (`None`: no limit).
    timeout: Option<Duration>,
}

impl Login {
    /// The login of a secrets section: `username` and `password`, or `password = ""` (no
    /// password) for external authentication, where `username` is optional.
    fn of(secret: &SourceSecret) -> Result<Login, String> {
        let connect_string = connect_string(secret)?;
        let password = match &secret.password {
            None => {
                return Err(
                    "has no `password` (write password = \"\" for external authentication)".into(),
                );
            }
            Some(_) => secret.login_password().cloned(),
        };
        let username = match (&secret.username, &password) {
            (Some(u), _) => u.clone(),
            (None, None) => String::new(),
            (None, Some(_)) => return Err("has no `username`".into()),
        };
        Ok(Login {
            username,
            password,
            connect_string,
            timeout: secret.query_timeout(),
        })
    }
}

/// An Oracle database.
pub struct OracleSource {
    name: String,
    login: Login,
    number_scale: u8,
}

/// The connect string of a secrets section: `connect_string` as given (EZConnect or a TNS
/// descriptor/alias); else `//host:port/service_name`; else a descriptor with `SID`.
pub fn connect_string(secret: &SourceSecret) -> Result<String, String> {
    if let Some(cs) = secret
        .connect_string
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        return Ok(cs.trim().to_string());
    }
    let host = secret
        .host
        .as_deref()
        .ok_or("needs `connect_string`, or `host` with `service_name` or `sid`")?;
    let port = secret.port.unwrap_or(1521);
    match (&secret.service_name, &secret.sid, &secret.database) {
        (Some(service), _, _) | (None, None, Some(service)) => {
            Ok(format!("//{host}:{port}/{service}"))
        }
        (None, Some(sid), _) => Ok(format!(
            "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST={host})(PORT={port}))(CONNECT_DATA=(SID={sid})))"
        )),
        (None, None, None) => Err("needs `service_name` or `sid` with `host`".into()),
    }
}

/// An Oracle section, checked: the login and how undeclared NUMBERs map.
#[derive(Debug, Clone)]
pub struct OracleSettings {
    login: Login,
    number_scale: u8,
}

impl OracleSettings {
    /// Check a section (see `Login::of` and [`connect_string`]).
    pub fn of(secret: &SourceSecret) -> Result<OracleSettings, String> {
        Ok(OracleSettings {
            login: Login::of(secret)?,
            number_scale: secret
                .number_scale
                .unwrap_or(oracle_types::DEFAULT_NUMBER_SCALE)
                .min(38),
        })
    }
}

impl OracleSource {
    /// Connect once (on a blocking thread) to prove the settings and the client library work.
    pub async fn connect(
        name: &str,
        settings: &OracleSettings,
    ) -> Result<Box<dyn Source>, SourceError> {
        let source = OracleSource {
            name: name.to_string(),
            login: settings.login.clone(),
            number_scale: settings.number_scale,
        };
        source.blocking(|_| Ok(())).await?;
        Ok(Box::new(source))
    }

    /// Run `f` with a fresh connection on a blocking thread.
    async fn blocking<T, F>(&self, f: F) -> Result<T, SourceError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, SourceError> + Send + 'static,
    {
        let login = self.login.clone();
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || f(&open(&name, &login)?))
            .await
            .map_err(|_| SourceError::Other("the Oracle driver thread panicked".into()))?
    }

    async fn first_row(
        &self,
        native: &Native,
        query: &Query,
    ) -> Result<Vec<OraValue>, SourceError> {
        let q = query.clone();
        let dates = date_columns(native);
        let timeout = self.login.timeout;
        self.blocking(move |conn| {
            let params = bind_values(&q, &dates);
            let refs: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
            let row = conn
                .query_row(&q.sql, &refs)
                .map_err(|e| from_oracle(&e, &q.sql, timeout))?;
            let info = row.column_info();
            row.sql_values()
                .iter()
                .zip(info)
                .map(|(v, c)| {
                    read(v, read_as_of(c.oracle_type())).map_err(|message| SourceError::Query {
                        message,
                        sql: q.sql.clone(),
                    })
                })
                .collect()
        })
        .await
    }
}

/// The DATE columns of a description (timestamp parameters on them bind as DATE, which keeps
/// an index on the column usable); none for a statement that reads no described relation.
fn date_columns(native: &Native) -> Arc<HashMap<String, bool>> {
    match native {
        Native::Oracle(dates) => dates.clone(),
        _ => Arc::default(),
    }
}

/// Open a connection with the session in UTC (so LOCAL TIME ZONE values read as UTC).
fn open(name: &str, login: &Login) -> Result<Connection, SourceError> {
    let err = |e: oracle::Error| SourceError::Connect {
        source_type: SourceType::Oracle,
        name: name.to_string(),
        message: describe_error(&e),
    };
    let conn = match &login.password {
        Some(password) => {
            Connection::connect(&login.username, password.expose(), &login.connect_string)
        }
        None => oracle::Connector::new(login.username.as_str(), "", login.connect_string.as_str())
            .external_auth(true)
            .connect(),
    }
    .map_err(err)?;
    conn.execute("ALTER SESSION SET TIME_ZONE = '+00:00'", &[])
        .map_err(err)?;
    // Every later round trip to the server is bounded by `query_timeout_secs` (DPI-1067).
    conn.set_call_timeout(login.timeout).map_err(err)?;
    Ok(conn)
}

#[async_trait::async_trait]
impl Source for OracleSource {
    fn dialect(&self) -> Dialect {
        Dialect::Oracle
    }

    async fn describe(&self, rel: &Relation) -> Result<Described, SourceError> {
        let sql = format!(
            "SELECT * FROM {} WHERE 1 = 0",
            crate::plan::sql::from_clause(Dialect::Oracle, rel)
        );
        let scale = self.number_scale;
        let timeout = self.login.timeout;
        let (fields, dates) = self
            .blocking(move |conn| {
                let rows = conn
                    .query(&sql, &[])
                    .map_err(|e| from_oracle(&e, &sql, timeout))?;
                let mut fields = Vec::new();
                let mut dates = HashMap::new();
                for c in rows.column_info() {
                    let t = c.oracle_type();
                    let (dt, _) = oracle_types::map_type(t, scale).ok_or_else(|| {
                        SourceError::UnsupportedType {
                            column: c.name().to_string(),
                            db_type: t.to_string(),
                        }
                    })?;
                    dates.insert(c.name().to_string(), *t == OracleType::Date);
                    fields.push(Field::new(c.name(), dt, true));
                }
                Ok((fields, dates))
            })
            .await?;
        Ok(Described {
            schema: Arc::new(Schema::new(fields)),
            native: Native::Oracle(Arc::new(dates)),
        })
    }

    async fn bounds(
        &self,
        native: &mut Native,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let row = self.first_row(native, query).await?;
        let cursor = |v: Option<&OraValue>| -> Result<Option<CursorValue>, SourceError> {
            let v = v.ok_or_else(|| SourceError::MissingColumn(column.to_string()))?;
            oracle_types::cursor_of(v, kind).map_err(|reason| SourceError::BadValue {
                column: column.to_string(),
                key: None,
                value: oracle_types::display(v),
                reason,
            })
        };
        Ok(cursor(row.first())?.zip(cursor(row.get(1))?))
    }

    async fn text_rows(
        &self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError> {
        let (sql, params) = (sql.to_string(), params.to_vec());
        self.blocking(move |conn| {
            let refs: Vec<&dyn ToSql> = params.iter().map(|p| p as &dyn ToSql).collect();
            let err = |e: oracle::Error| from_oracle(&e, &sql, None);
            let rows = conn.query(&sql, &refs).map_err(err)?;
            let mut out = Vec::new();
            for row in rows {
                let row = row.map_err(err)?;
                let n = row.column_info().len();
                out.push(
                    (0..n)
                        .map(|i| row.get::<usize, Option<String>>(i))
                        .collect::<Result<_, _>>()
                        .map_err(err)?,
                );
            }
            Ok(out)
        })
        .await
    }

    async fn count(&self, native: &Native, query: &Query) -> Result<u64, SourceError> {
        match self.first_row(native, query).await?.first() {
            Some(OraValue::Text(t)) => t.trim().parse().map_err(|_| SourceError::Query {
                message: format!("the count query returned `{t}`"),
                sql: query.sql.clone(),
            }),
            _ => Err(SourceError::Query {
                message: "the count query returned no number".into(),
                sql: query.sql.clone(),
            }),
        }
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let login = self.login.clone();
        let name = self.name.clone();
        let dates = date_columns(&spec.native);
        super::spawn_blocking_batches(move |tx| {
            let conn = open(&name, &login)?;
            run_extract(&conn, &spec, &dates, login.timeout, tx)
        })
    }
}

fn run_extract(
    conn: &Connection,
    spec: &Extract,
    dates: &HashMap<String, bool>,
    timeout: Option<Duration>,
    tx: &BatchSender,
) -> Result<(), SourceError> {
    let sql = &spec.query.sql;
    // The call timeout bounds each round trip; this bounds the whole statement.
    let deadline = timeout.map(|t| Instant::now() + t);
    let query_err = |e: &oracle::Error, sql: &str| from_oracle(e, sql, timeout);
    let fetch = spec.batch_rows.clamp(1, MAX_FETCH_ROWS) as u32;
    let mut stmt = conn
        .statement(sql)
        .prefetch_rows(fetch)
        .fetch_array_size(fetch)
        .build()
        .map_err(|e| query_err(&e, sql))?;
    let params = bind_values(&spec.query, dates);
    let refs: Vec<&dyn ToSql> = params.iter().map(|p| p.as_ref()).collect();
    let rows = stmt.query(&refs).map_err(|e| query_err(&e, sql))?;
    let how: Vec<ReadAs> = rows
        .column_info()
        .iter()
        .map(|c| read_as_of(c.oracle_type()))
        .collect();
    if how.len() != spec.schema.fields().len() {
        return Err(SourceError::Other(format!(
            "the query returned {} columns where {} were described (SQL: {sql})",
            how.len(),
            spec.schema.fields().len()
        )));
    }
    let mut builder = BatchBuilder::new(spec.schema.clone(), spec.batch_rows)
        .map_err(|c| SourceError::Other(format!("no Arrow builder for column {c}")))?;
    for row in rows {
        let row = row.map_err(|e| query_err(&e, sql))?;
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err(SourceError::timed_out(timeout, "", sql));
        }
        let values = row
            .sql_values()
            .iter()
            .zip(&how)
            .map(|(v, h)| read(v, *h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| SourceError::Query {
                message,
                sql: sql.clone(),
            })?;
        for (i, v) in values.iter().enumerate() {
            if let Err(reason) = oracle_types::append(builder.column(i), v) {
                let key = (!spec.key_columns.is_empty()).then(|| {
                    let parts: Vec<String> = spec
                        .key_columns
                        .iter()
                        .map(|&k| {
                            values
                                .get(k)
                                .map_or_else(|| "?".into(), oracle_types::display)
                        })
                        .collect();
                    parts.join(", ")
                });
                return Err(SourceError::BadValue {
                    column: spec.schema.field(i).name().clone(),
                    key,
                    value: oracle_types::display(v),
                    reason,
                });
            }
        }
        if builder.end_row() {
            let batch = builder
                .finish()
                .map_err(|e| SourceError::Other(e.to_string()))?;
            if tx.blocking_send(Ok(batch)).is_err() {
                return Ok(()); // the reader stopped
            }
        }
    }
    if !builder.is_empty() {
        let batch = builder
            .finish()
            .map_err(|e| SourceError::Other(e.to_string()))?;
        let _ = tx.blocking_send(Ok(batch));
    }
    Ok(())
}

#[cfg(test)]
#[path = "oracle_tests.rs"]
mod tests;
