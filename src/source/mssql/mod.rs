//! SQL Server source (tiberius over rustls): typed parameters, exact types, streamed rows.

mod connect;
pub mod error;
mod extract;
mod time;
pub mod types;

pub use connect::{MsSqlSettings, config_from};

use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use crate::source::{Described, Extract, Native, Source, SourceError, deadline, until};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use connect::{MsClient, open_client};
use error::query_err;
use extract::run_extract;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tiberius::{ColumnData, Config, IntoSql};

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

#[cfg(test)]
mod tests;
