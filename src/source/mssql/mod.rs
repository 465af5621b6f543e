//! SQL Server source (tiberius over rustls): typed parameters, exact types, streamed rows.

pub mod error;
mod time;
pub mod types;

use crate::config::SourceType;
use crate::config::secrets::SourceSecret;
use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use crate::source::arrow::BatchBuilder;
use crate::source::{
    BatchSender, Described, Extract, Native, Source, SourceError, deadline, until,
};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use error::query_err;
use futures::stream::{BoxStream, TryStreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tiberius::{AuthMethod, Client, ColumnData, Config, EncryptionLevel, IntoSql, SqlBrowser};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

type MsClient = Client<Compat<TcpStream>>;

/// A SQL Server database reached with a SQL login.
pub struct MsSqlSource {
    name: String,
    config: Config,
    /// `query_timeout_secs`: the longest one statement may run (`None`: no limit).
    timeout: Option<Duration>,
}

/// A typed tiberius parameter.
struct Param(ColumnData<'static>);

impl<'a> IntoSql<'a> for Param {
    fn into_sql(self) -> ColumnData<'a> {
        self.0
    }
}

/// Build the tiberius configuration from a secrets section. A `url` is an ADO.NET connection
/// string (`server=tcp:host,1433;database=…;user id=…;password=…`); otherwise `host` (required),
/// `port` (default 1433) or `instance` (resolved through SQL Browser), `database`, `username` and
/// `password`, `encrypt` (default true) and `trust_server_certificate` (default false).
pub fn config_from(secret: &SourceSecret) -> Result<Config, String> {
    let mut config = match &secret.url {
        Some(url) => Config::from_ado_string(url.expose())
            .map_err(|_| "has a `url` that is not a valid ADO.NET connection string".to_string())?,
        None => {
            let mut c = Config::new();
            let host = secret.host.as_deref().ok_or("has no `host` (or `url`)")?;
            c.host(host);
            if let Some(port) = secret.port {
                c.port(port);
            }
            if let Some(instance) = secret.instance.as_deref().filter(|i| !i.is_empty()) {
                c.instance_name(instance);
            }
            if let Some(db) = &secret.database {
                c.database(db);
            }
            match (&secret.username, &secret.password) {
                (Some(user), Some(pw)) => {
                    c.authentication(AuthMethod::sql_server(user, pw.expose()))
                }
                (Some(_), None) => {
                    return Err("has `username` but no `password`".into());
                }
                _ => {
                    return Err("needs `username` and `password` (SQL login)".into());
                }
            }
            c
        }
    };
    // A `url` keeps its own `encrypt=` setting unless the section sets `encrypt`.
    let encrypt = secret.encrypt.or(secret.url.is_none().then_some(true));
    if let Some(on) = encrypt {
        config.encryption(if on {
            EncryptionLevel::Required
        } else {
            EncryptionLevel::Off
        });
    }
    if secret.trust_server_certificate.unwrap_or(false) {
        config.trust_cert();
    }
    config.application_name("ingest");
    // tiberius fails any response the server is silent on for 30 s by default (its
    // `command_timeout`): a MIN/MAX over an unindexed column would hit it. Statements are
    // bounded by `query_timeout_secs` instead (see `until`), or not at all.
    config.command_timeout(None);
    Ok(config)
}

/// A SQL Server section, checked: the tiberius configuration and the statement limit.
#[derive(Debug, Clone)]
pub struct MsSqlSettings {
    /// Address, login and TLS settings.
    pub config: Config,
    /// `query_timeout_secs`: the longest one statement may run (`None`: no limit).
    pub timeout: Option<Duration>,
}

impl MsSqlSettings {
    /// Check a section (see [`config_from`]).
    pub fn of(secret: &SourceSecret) -> Result<MsSqlSettings, String> {
        Ok(MsSqlSettings {
            config: config_from(secret)?,
            timeout: secret.query_timeout(),
        })
    }
}

impl MsSqlSource {
    /// Connect once to prove the settings work, and keep them for later connections.
    pub async fn connect(
        name: &str,
        settings: &MsSqlSettings,
    ) -> Result<Box<dyn Source>, SourceError> {
        let source = MsSqlSource {
            name: name.to_string(),
            config: settings.config.clone(),
            timeout: settings.timeout,
        };
        source.client().await?;
        Ok(Box::new(source))
    }

    /// A new connection (following an Azure SQL redirect once).
    async fn client(&self) -> Result<MsClient, SourceError> {
        open_client(&self.name, self.config.clone()).await
    }

    /// A query's parameters, each typed as its described column (see [`Native::MsSql`]).
    fn params(native: &Native, query: &Query) -> Result<Vec<Param>, SourceError> {
        let kinds = match native {
            Native::MsSql(kinds) => Some(kinds.as_ref()),
            _ => None,
        };
        query
            .params
            .iter()
            .map(|p| {
                let kind = kinds
                    .and_then(|k| crate::plan::column::by_column(k, &p.column))
                    .copied()
                    .unwrap_or_default();
                types::param_data(&p.value, kind)
                    .map(Param)
                    .map_err(|reason| SourceError::BadValue {
                        column: p.column.clone(),
                        key: None,
                        value: p.value.to_text(),
                        reason,
                    })
            })
            .collect()
    }

    /// The first row of a query's result.
    async fn first_row(
        &self,
        native: &Native,
        query: &Query,
    ) -> Result<Option<tiberius::Row>, SourceError> {
        let mut client = self.client().await?;
        let mut q = tiberius::Query::new(query.sql.clone());
        for p in Self::params(native, query)? {
            q.bind(p);
        }
        until(deadline(self.timeout), &query.sql, async {
            let stream = q
                .query(&mut client)
                .await
                .map_err(|e| query_err(e, &query.sql))?;
            stream
                .into_row()
                .await
                .map_err(|e| query_err(e, &query.sql))
        })
        .await
    }
}

/// The longest a TCP connection to the server may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

async fn open_client(name: &str, mut config: Config) -> Result<MsClient, SourceError> {
    let err = |e: tiberius::error::Error| SourceError::Connect {
        source_type: SourceType::MsSql,
        name: name.to_string(),
        message: e.to_string(),
    };
    for _ in 0..2 {
        // Connecting keeps a limit whatever `query_timeout_secs` says (the login handshake
        // has tiberius's own 15 s `handshake_timeout`).
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect_named(&config))
            .await
            .map_err(|_| SourceError::Connect {
                source_type: SourceType::MsSql,
                name: name.to_string(),
                message: format!("timed out after {} s", CONNECT_TIMEOUT.as_secs()),
            })?
            .map_err(err)?;
        let _ = tcp.set_nodelay(true);
        match Client::connect(config.clone(), tcp.compat_write()).await {
            Ok(client) => return Ok(client),
            Err(tiberius::error::Error::Routing { host, port }) => {
                config.host(&host);
                config.port(port);
            }
            Err(e) => return Err(err(e)),
        }
    }
    Err(SourceError::Connect {
        source_type: SourceType::MsSql,
        name: name.to_string(),
        message: "the server redirected the connection more than once".into(),
    })
}

/// The statement that describes the result of `select` without running it.
pub fn describe_sql() -> &'static str {
    "EXEC sp_describe_first_result_set @P1"
}

#[async_trait::async_trait]
impl Source for MsSqlSource {
    fn dialect(&self) -> Dialect {
        Dialect::MsSql
    }

    async fn describe(&self, rel: &Relation) -> Result<Described, SourceError> {
        let select = format!(
            "SELECT * FROM {}",
            crate::plan::sql::from_clause(Dialect::MsSql, rel)
        );
        let mut client = self.client().await?;
        let mut q = tiberius::Query::new(describe_sql());
        q.bind(select.clone());
        let rows = until(deadline(self.timeout), &select, async {
            q.query(&mut client)
                .await
                .map_err(|e| query_err(e, &select))?
                .into_first_result()
                .await
                .map_err(|e| query_err(e, &select))
        })
        .await?;
        let mut fields = Vec::new();
        let mut kinds = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let hidden: Option<bool> = row.try_get("is_hidden").ok().flatten();
            if hidden == Some(true) {
                continue;
            }
            let name: String = row
                .try_get::<&str, _>("name")
                .ok()
                .flatten()
                .map_or_else(|| format!("column{}", i + 1), str::to_string);
            let ty: String = row
                .try_get::<&str, _>("system_type_name")
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_string();
            let field = types::field(&name, &ty).ok_or_else(|| SourceError::UnsupportedType {
                column: name.clone(),
                db_type: ty.clone(),
            })?;
            kinds.insert(name.clone(), types::param_kind(&ty));
            fields.push(field);
        }
        Ok(Described {
            schema: Arc::new(Schema::new(fields)),
            native: Native::MsSql(Arc::new(kinds)),
        })
    }

    async fn bounds(
        &self,
        native: &mut Native,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let Some(row) = self.first_row(native, query).await? else {
            return Ok(None);
        };
        let mut cells = row.cells().map(|(_, d)| d);
        let mut next = || -> Result<Option<CursorValue>, SourceError> {
            let d = cells
                .next()
                .ok_or_else(|| SourceError::MissingColumn(column.to_string()))?;
            types::cursor_of(d, kind).map_err(|reason| SourceError::BadValue {
                column: column.to_string(),
                key: None,
                value: types::display(d),
                reason,
            })
        };
        let lo = next()?;
        let hi = next()?;
        Ok(lo.zip(hi))
    }

    async fn text_rows(
        &self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError> {
        let mut client = self.client().await?;
        let mut q = tiberius::Query::new(sql.to_string());
        for p in params {
            q.bind(p.clone());
        }
        let err = |e| query_err(e, sql);
        let rows = q.query(&mut client).await.map_err(err)?;
        let rows = rows.into_first_result().await.map_err(err)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<&str, _>(i).map(|v| v.map(str::to_string)))
                    .collect()
            })
            .collect::<Result<_, _>>()
            .map_err(err)
    }

    async fn count(&self, native: &Native, query: &Query) -> Result<u64, SourceError> {
        let row = self.first_row(native, query).await?;
        let n = row
            .as_ref()
            .and_then(|r| r.cells().next())
            .and_then(|(_, d)| match d {
                ColumnData::I32(Some(v)) => Some(*v as i64),
                ColumnData::I64(Some(v)) => Some(*v),
                ColumnData::U8(Some(v)) => Some(*v as i64),
                ColumnData::I16(Some(v)) => Some(*v as i64),
                _ => None,
            })
            .ok_or_else(|| SourceError::Query {
                message: "the count query returned no integer".into(),
                sql: query.sql.clone(),
            })?;
        Ok(n.max(0) as u64)
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let name = self.name.clone();
        let config = self.config.clone();
        let params = Self::params(&spec.native, &spec.query);
        let timeout = self.timeout;
        crate::source::spawn_batches(move |tx| async move {
            let params = params?;
            let mut client = open_client(&name, config).await?;
            run_extract(&mut client, params, &spec, timeout, &tx).await
        })
    }
}

async fn run_extract(
    client: &mut MsClient,
    params: Vec<Param>,
    spec: &Extract,
    timeout: Option<Duration>,
    tx: &BatchSender,
) -> Result<(), SourceError> {
    let sql = &spec.query.sql;
    let deadline = deadline(timeout);
    let mut builder = BatchBuilder::new(spec.schema.clone(), spec.batch_rows)
        .map_err(|c| SourceError::Other(format!("no Arrow builder for column {c}")))?;
    let mut q = tiberius::Query::new(sql.clone());
    for p in params {
        q.bind(p);
    }
    let stream = until(deadline, sql, async {
        q.query(client).await.map_err(|e| query_err(e, sql))
    })
    .await?;
    let mut rows = stream.into_row_stream();
    let width = spec.schema.fields().len();
    while let Some(row) = until(deadline, sql, async {
        rows.try_next().await.map_err(|e| query_err(e, sql))
    })
    .await?
    {
        if row.len() != width {
            return Err(SourceError::Other(format!(
                "the query returned {} columns where {width} were described (SQL: {sql})",
                row.len()
            )));
        }
        for (i, (_, data)) in row.cells().enumerate() {
            if let Err(reason) = types::append(builder.column(i), data) {
                return Err(SourceError::BadValue {
                    column: spec.schema.field(i).name().clone(),
                    key: row_key(&row, &spec.key_columns),
                    value: types::display(data),
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

fn row_key(row: &tiberius::Row, key_columns: &[usize]) -> Option<String> {
    if key_columns.is_empty() {
        return None;
    }
    let cells: Vec<&ColumnData<'static>> = row.cells().map(|(_, d)| d).collect();
    let parts: Vec<String> = key_columns
        .iter()
        .map(|&i| {
            cells
                .get(i)
                .map_or_else(|| "?".into(), |d| types::display(d))
        })
        .collect();
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests;
