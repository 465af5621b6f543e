//! SQLite source (sqlx): declared types mapped exactly, text dates and timestamps parsed.

use super::arrow::{BatchBuilder, Cell, DEFAULT_DECIMAL};
use super::{Described, Extract, Native, Source, SourceError};
use crate::config::SourceType;
use crate::config::secrets::SourceSecret;
use crate::plan::sql::{Dialect, Query, Relation};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use futures::stream::{BoxStream, TryStreamExt};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::{
    AssertSqlSafe, Column, Decode, Executor, Row, SqlSafeStr, Sqlite, Statement, TypeInfo, ValueRef,
};
use std::collections::HashMap;
use std::sync::Arc;

/// How a text timestamp column writes its values, learned from a value read at plan time,
/// so bound parameters compare correctly as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextFormat {
    /// `' '` or `'T'` between date and time.
    sep: char,
    /// Fractional second digits.
    frac: usize,
}

impl Default for TextFormat {
    fn default() -> Self {
        TextFormat { sep: ' ', frac: 0 }
    }
}

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

    /// The query with its parameters, timestamps written as the column writes them.
    fn bind(
        native: &Native,
        query: &Query,
    ) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
        let formats = match native {
            Native::Sqlite(f) => Some(f.as_ref()),
            _ => None,
        };
        let mut q = sqlx::query(AssertSqlSafe(query.sql.clone()));
        for p in &query.params {
            let fmt = formats
                .and_then(|f| f.get(&p.column))
                .copied()
                .unwrap_or_default();
            q = match p.value {
                CursorValue::Int(v) => match i64::try_from(v) {
                    Ok(v) => q.bind(v),
                    Err(_) => q.bind(v.to_string()),
                },
                // SQLite keeps such numbers as REALs: the double read at plan time comes back.
                CursorValue::Decimal(d) => q.bind(d.to_string().parse::<f64>().unwrap_or(f64::NAN)),
                CursorValue::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
                CursorValue::Timestamp(t) => q.bind(format_ts(t, fmt)),
                CursorValue::TimestampTz(t) => {
                    q.bind(format!("{}+00:00", format_ts(t.naive_utc(), fmt)))
                }
            };
        }
        q
    }
}

fn format_ts(t: chrono::NaiveDateTime, fmt: TextFormat) -> String {
    let base = t
        .format(&format!("%Y-%m-%d{}%H:%M:%S", fmt.sep))
        .to_string();
    let nanos = format!("{:09}", t.and_utc().timestamp_subsec_nanos());
    let needed = nanos.trim_end_matches('0').len();
    let digits = fmt.frac.max(needed);
    if digits == 0 {
        base
    } else {
        format!("{base}.{}", &nanos[..digits.min(9)])
    }
}

/// Remember in `native` how a text timestamp column writes its values (from a value read at
/// plan time), so parameters on it are written the same way.
fn learn(native: &mut Native, column: &str, sample: &str) {
    if !matches!(native, Native::Sqlite(_)) {
        *native = Native::Sqlite(Arc::default());
    }
    if let Native::Sqlite(formats) = native {
        Arc::make_mut(formats).insert(column.to_string(), learn_format(sample));
    }
}

fn learn_format(text: &str) -> TextFormat {
    let sep = if text.as_bytes().get(10) == Some(&b'T') {
        'T'
    } else {
        ' '
    };
    let frac = text
        .get(19..)
        .and_then(|rest| rest.strip_prefix('.'))
        .map(|f| f.bytes().take_while(u8::is_ascii_digit).count())
        .unwrap_or(0);
    TextFormat { sep, frac }
}

/// Map a SQLite declared type to Arrow; `None` when it cannot be mapped.
pub fn map_declared_type(declared: &str) -> Option<DataType> {
    let t = declared.trim().to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim();
    Some(match base {
        "DATE" => DataType::Date32,
        "DATETIME" | "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        }
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" | "DATETIMEOFFSET" => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        "TIME" => DataType::Time64(TimeUnit::Microsecond),
        "DECIMAL" | "NUMERIC" => {
            let (p, s) = precision_scale(&t).unwrap_or(DEFAULT_DECIMAL);
            if p == 0 || p > 38 || s < 0 || s as u8 > p {
                return None;
            }
            DataType::Decimal128(p, s)
        }
        "JSON" | "UUID" => DataType::Utf8,
        _ if base.contains("BOOL") => DataType::Boolean,
        _ if base.contains("INT") => DataType::Int64,
        _ if base.contains("CHAR") || base.contains("CLOB") || base.contains("TEXT") => {
            DataType::Utf8
        }
        _ if base.contains("BLOB") => DataType::Binary,
        _ if base.contains("REAL") || base.contains("FLOA") || base.contains("DOUB") => {
            DataType::Float64
        }
        _ => return None,
    })
}

fn precision_scale(t: &str) -> Option<(u8, i8)> {
    let inner = t.split_once('(')?.1.split_once(')')?.0;
    let mut parts = inner.split(',').map(|p| p.trim());
    let p: u8 = parts.next()?.parse().ok()?;
    let s: i8 = parts.next().map(|s| s.parse().ok()).unwrap_or(Some(0))?;
    Some((p, s))
}

fn query_err(e: sqlx::Error, sql: &str) -> SourceError {
    SourceError::from_sqlx(&e, e.to_string(), sql)
}

/// The untyped value of one cell, as SQLite stores it.
fn cell<'r>(row: &'r SqliteRow, i: usize) -> Result<Cell<'r>, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let class = raw.type_info().name().to_string();
    Ok(match class.as_str() {
        "INTEGER" => Cell::Int(<i64 as Decode<Sqlite>>::decode(raw).map_err(sqlx::Error::Decode)?),
        "REAL" => Cell::Float(<f64 as Decode<Sqlite>>::decode(raw).map_err(sqlx::Error::Decode)?),
        "TEXT" => match <&str as Decode<Sqlite>>::decode(raw) {
            Ok(s) => Cell::Text(s),
            Err(_) => Cell::Bytes(
                <&[u8] as Decode<Sqlite>>::decode(row.try_get_raw(i)?)
                    .map_err(sqlx::Error::Decode)?,
            ),
        },
        _ => Cell::Bytes(<&[u8] as Decode<Sqlite>>::decode(raw).map_err(sqlx::Error::Decode)?),
    })
}

fn cursor_of(
    c: Cell<'_>,
    kind: CursorKind,
    column: &str,
) -> Result<Option<CursorValue>, SourceError> {
    let text = match c {
        Cell::Null => return Ok(None),
        Cell::Int(v) if kind == CursorKind::Int => return Ok(Some(CursorValue::Int(v as i128))),
        Cell::Text(t) => t.to_string(),
        other => other.display(),
    };
    CursorValue::parse(kind, &text)
        .map(Some)
        .map_err(|e| SourceError::BadValue {
            column: column.to_string(),
            key: None,
            value: text,
            reason: format!("cannot be used as a cursor: {e}"),
        })
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
            let row = Self::bind(native, query).fetch_one(&self.pool).await;
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
        let mut rows = Self::bind(&spec.native, &spec.query).fetch(&self.pool);
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

fn row_key(row: &SqliteRow, key_columns: &[usize]) -> Option<String> {
    if key_columns.is_empty() {
        return None;
    }
    let parts: Vec<String> = key_columns
        .iter()
        .map(|&i| {
            cell(row, i)
                .map(|c| c.display())
                .unwrap_or_else(|_| "?".into())
        })
        .collect();
    Some(parts.join(", "))
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
