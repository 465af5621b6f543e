//! SQLite source (sqlx): declared types mapped exactly, text dates and timestamps parsed.

mod text_time;
mod types;

pub use text_time::TextFormat;
pub use types::map_declared_type;

use super::arrow::{BatchBuilder, Cell};
use super::{Described, Extract, Native, Source, SourceError};
use crate::config::SourceType;
use crate::config::secrets::SourceSecret;
use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use futures::stream::{BoxStream, TryStreamExt};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{AssertSqlSafe, Column, Executor, Row, SqlSafeStr, Statement, TypeInfo};
use std::collections::HashMap;
use std::sync::Arc;
use text_time::{bind, learn};
use types::{cell, cursor_of, row_key};

/// A SQLite database file opened read-only.
pub struct SqliteSource {
    pool: SqlitePool,
    /// `query_timeout_secs`: the longest one statement may run (`None`: no limit).
    timeout: Option<std::time::Duration>,
}

/// A SQLite section, checked: the database file and the statement limit.
#[derive(Debug, Clone)]
pub struct SqliteSettings {
    /// The database file (the secrets loader resolved a relative path against its folder).
    pub path: std::path::PathBuf,
    /// `query_timeout_secs`: the longest one statement may run (`None`: no limit).
    pub timeout: Option<std::time::Duration>,
}

impl SqliteSettings {
    /// Check a section: `path` is required.
    pub fn of(secret: &SourceSecret) -> Result<SqliteSettings, String> {
        Ok(SqliteSettings {
            path: secret
                .path
                .clone()
                .ok_or("has no `path` (the database file)")?,
            timeout: secret.query_timeout(),
        })
    }
}

impl SqliteSource {
    /// Open the database file read-only.
    pub async fn connect(
        name: &str,
        settings: &SqliteSettings,
    ) -> Result<Box<dyn Source>, SourceError> {
        let connect_err = |message: String| SourceError::Connect {
            source_type: SourceType::Sqlite,
            name: name.to_string(),
            message,
        };
        let path = &settings.path;
        if !path.is_file() {
            return Err(connect_err(format!(
                "database file {} does not exist",
                path.display()
            )));
        }
        let opts = SqliteConnectOptions::new().filename(path).read_only(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(|e| connect_err(format!("{} ({})", e, path.display())))?;
        Ok(Box::new(SqliteSource {
            pool,
            timeout: settings.timeout,
        }))
    }
}

fn query_err(e: sqlx::Error, sql: &str) -> SourceError {
    SourceError::from_sqlx(&e, e.to_string(), sql)
}

#[async_trait::async_trait]
impl Source for SqliteSource {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn describe(&self, rel: &Relation) -> Result<Described, SourceError> {
        let sql = format!(
            "SELECT * FROM {} LIMIT 0",
            crate::plan::sql::from_clause(Dialect::Sqlite, rel)
        );
        let described = (&self.pool)
            .prepare(AssertSqlSafe(sql.clone()).into_sql_str())
            .await
            .map_err(|e| query_err(e, &sql))?;
        let declared = match (&rel.table, &rel.query) {
            (Some(table), None) => self.declared_types(rel.schema.as_deref(), table).await?,
            _ => HashMap::new(),
        };
        let mut fields = Vec::new();
        for col in described.columns() {
            let name = col.name().to_string();
            let ty_name = declared
                .get(&name)
                .cloned()
                .unwrap_or_else(|| col.type_info().name().to_string());
            let data_type = match ty_name.to_ascii_uppercase().as_str() {
                "" | "NULL" => DataType::Utf8,
                _ => map_declared_type(&ty_name).ok_or_else(|| SourceError::UnsupportedType {
                    column: name.clone(),
                    db_type: ty_name.clone(),
                })?,
            };
            fields.push(Field::new(name, data_type, true));
        }
        Ok(Described {
            schema: Arc::new(Schema::new(fields)),
            native: Native::Sqlite(Arc::default()),
        })
    }

    async fn bounds(
        &self,
        native: &mut Native,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let row = self.fetch_one(native, query).await?;
        let lo = cursor_of(
            cell(&row, 0).map_err(|e| query_err(e, &query.sql))?,
            kind,
            column,
        )?;
        let hi_cell = cell(&row, 1).map_err(|e| query_err(e, &query.sql))?;
        if let Cell::Text(t) = hi_cell {
            learn(native, column, t);
        }
        let hi = cursor_of(hi_cell, kind, column)?;
        Ok(lo.zip(hi))
    }

    async fn text_rows(
        &self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for p in params {
            q = q.bind(p.clone());
        }
        let rows = q
            .fetch_all(&self.pool)
            .await
            .map_err(|e| query_err(e, sql))?;
        super::text_rows::texts(&rows).map_err(|e| query_err(e, sql))
    }

    async fn count(&self, native: &Native, query: &Query) -> Result<u64, SourceError> {
        let row = self.fetch_one(native, query).await?;
        let n: i64 = row.try_get(0).map_err(|e| query_err(e, &query.sql))?;
        Ok(n.max(0) as u64)
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let pool = self.pool.clone();
        let timeout = self.timeout;
        super::spawn_batches(move |tx| async move {
            SqliteSource { pool, timeout }.run_extract(&spec, &tx).await
        })
    }
}

impl SqliteSource {
    /// Declared column types of a table, from `PRAGMA table_info`.
    async fn declared_types(
        &self,
        schema: Option<&str>,
        table: &str,
    ) -> Result<HashMap<String, String>, SourceError> {
        let d = Dialect::Sqlite;
        let sql = match schema {
            Some(s) => format!(
                "PRAGMA {}.table_info({})",
                d.quote_ident(s),
                d.quote_ident(table)
            ),
            None => format!("PRAGMA table_info({})", d.quote_ident(table)),
        };
        let rows = sqlx::query(AssertSqlSafe(sql.clone()))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| query_err(e, &sql))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("name")?,
                    r.try_get::<String, _>("type")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| query_err(e, &sql))
    }

    /// The first row of a query, within `query_timeout_secs`.
    async fn fetch_one(&self, native: &Native, query: &Query) -> Result<SqliteRow, SourceError> {
        let fetch = async {
            let row = bind(native, query).fetch_one(&self.pool).await;
            row.map_err(|e| query_err(e, &query.sql))
        };
        super::until(super::deadline(self.timeout), &query.sql, fetch).await
    }

    async fn run_extract(
        &self,
        spec: &Extract,
        tx: &super::BatchSender,
    ) -> Result<(), SourceError> {
        let sql = &spec.query.sql;
        let mut builder = BatchBuilder::new(spec.schema.clone(), spec.batch_rows)
            .map_err(|c| SourceError::Other(format!("no Arrow builder for column {c}")))?;
        let mut rows = bind(&spec.native, &spec.query).fetch(&self.pool);
        let deadline = super::deadline(self.timeout);
        // Dropping the row stream at the deadline stops the statement between rows.
        while let Some(row) = super::until(deadline, sql, async {
            rows.try_next().await.map_err(|e| query_err(e, sql))
        })
        .await?
        {
            for i in 0..spec.schema.fields().len() {
                let c = cell(&row, i).map_err(|e| query_err(e, sql))?;
                if let Err(reason) = builder.column(i).append(c) {
                    return Err(SourceError::BadValue {
                        column: spec.schema.field(i).name().clone(),
                        key: row_key(&row, &spec.key_columns),
                        value: c.display(),
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

#[cfg(test)]
mod tests;
