//! PostgreSQL source: one exported snapshot per job, binary COPY per chunk, exact types.

mod col;
mod connect;
pub mod copy;
mod extract;
pub mod numeric;
pub mod types;

use super::{Described, Extract, Native, Source, SourceError};
use crate::config::SourceType;
use crate::config::secrets::{Secret, SourceSecret};
use crate::plan::sql::{Dialect, Query, Relation, from_clause};
use crate::plan::{CursorKind, CursorValue};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use connect::{connect_message, connect_options, query_err, url_password};
use extract::run_extract;
use futures::stream::{BoxStream, StreamExt};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Column, Connection, Executor, Row, SqlSafeStr, Statement};
use std::sync::Arc;
use types::{BaseType, PgKind, PgOptions, map_base};

/// One described column: how to decode it and whether the COPY query casts it to text.
#[derive(Debug, Clone)]
pub struct PgCol {
    pub(super) name: String,
    pub(super) kind: PgKind,
    pub(super) cast: bool,
}

/// A PostgreSQL database read through one snapshot.
pub struct PgSource {
    opts: PgConnectOptions,
    conn: tokio::sync::Mutex<PgConnection>,
    snapshot: Option<String>,
    options: PgOptions,
}

pub(super) fn exec(sql: &str) -> sqlx::SqlStr {
    AssertSqlSafe(sql.to_string()).into_sql_str()
}

/// Quote a name exactly as the catalog spells it.
pub(super) fn quote_exact(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A PostgreSQL section, checked: connection options, type options, and the password (to
/// blank it out of driver messages).
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Connection options (`connect_options`).
    pub opts: PgConnectOptions,
    /// `numeric_default` and `infinity`.
    pub options: PgOptions,
    /// The login password or the one inside `url`, never shown.
    password: Option<Secret>,
}

impl PgSettings {
    /// Check a section: every key has a default, but `url`, `sslmode`, `numeric_default` and
    /// `infinity` must parse.
    pub fn of(secret: &SourceSecret) -> Result<PgSettings, String> {
        let options = PgOptions::parse(
            secret.numeric_default.as_deref(),
            secret.infinity.as_deref(),
        )?;
        let url_password = secret
            .url
            .as_ref()
            .and_then(|u| url_password(u.expose()))
            .map(Secret::new);
        Ok(PgSettings {
            opts: connect_options(secret)?,
            options,
            password: secret.login_password().cloned().or(url_password),
        })
    }
}

impl PgSource {
    /// Connect, open the REPEATABLE READ transaction and export its snapshot.
    pub async fn connect(
        name: &str,
        settings: &PgSettings,
    ) -> Result<Box<dyn Source>, SourceError> {
        let connect_err = |message: String| SourceError::Connect {
            source_type: SourceType::PostgreSql,
            name: name.to_string(),
            message,
        };
        let (opts, options) = (settings.opts.clone(), settings.options);
        let pw = settings.password.as_ref().map(Secret::expose);
        let mut conn = PgConnection::connect_with(&opts)
            .await
            .map_err(|e| connect_err(connect_message(&e, &opts, pw)))?;
        let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
        conn.execute(exec(begin))
            .await
            .map_err(|e| query_err(e, begin))?;
        let export = "SELECT pg_export_snapshot()";
        let snapshot = match sqlx::query_scalar::<_, String>(exec(export))
            .fetch_one(&mut conn)
            .await
        {
            Ok(id) => Some(id),
            Err(e) => {
                // A hot standby cannot export snapshots: chunks then read independently.
                tracing::warn!(
                    "source `{name}`: no shared snapshot ({}); parallel chunks may see different rows",
                    query_err(e, export)
                );
                conn.execute(exec("ROLLBACK")).await.ok();
                conn.execute(exec(begin))
                    .await
                    .map_err(|e| query_err(e, begin))?;
                None
            }
        };
        Ok(Box::new(PgSource {
            opts,
            conn: tokio::sync::Mutex::new(conn),
            snapshot,
            options,
        }))
    }

    async fn describe_cols(&self, rel: &Relation) -> Result<Vec<PgCol>, SourceError> {
        let sql = format!("SELECT * FROM {}", from_clause(Dialect::Postgres, rel));
        let mut conn = self.conn.lock().await;
        let stmt = (&mut *conn)
            .prepare(exec(&sql))
            .await
            .map_err(|e| query_err(e, &sql))?;
        let mut cols = Vec::new();
        for c in stmt.columns() {
            let name = c.name().to_string();
            let mut oid = c.type_info().oid().map(|o| o.0).unwrap_or(0);
            let mut typmod = -1i32;
            if let (Some(rel_id), Some(attno)) = (c.relation_id(), c.relation_attribute_no()) {
                let q = "SELECT atttypid, atttypmod FROM pg_attribute WHERE attrelid = $1 AND attnum = $2";
                if let Some(row) = sqlx::query(exec(q))
                    .bind(rel_id)
                    .bind(attno)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(|e| query_err(e, q))?
                {
                    let t: sqlx::postgres::types::Oid =
                        row.try_get(0).map_err(|e| query_err(e, q))?;
                    oid = t.0;
                    typmod = row.try_get(1).map_err(|e| query_err(e, q))?;
                }
            }
            let (kind, cast) = resolve(&mut conn, &name, oid, typmod, &self.options).await?;
            cols.push(PgCol { name, kind, cast });
        }
        Ok(cols)
    }

    async fn scalar_text(
        &self,
        sql: &str,
    ) -> Result<(Option<String>, Option<String>), SourceError> {
        let mut conn = self.conn.lock().await;
        let row = sqlx::query(exec(sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| query_err(e, sql))?;
        let a: Option<String> = row.try_get(0).map_err(|e| query_err(e, sql))?;
        let b: Option<String> = row.try_get(1).map_err(|e| query_err(e, sql))?;
        Ok((a, b))
    }
}

/// Resolve a type through domains and arrays to a decoding kind.
async fn resolve(
    conn: &mut PgConnection,
    column: &str,
    mut oid: u32,
    mut typmod: i32,
    options: &PgOptions,
) -> Result<(PgKind, bool), SourceError> {
    let q = "SELECT typtype::text, typbasetype, typtypmod, typelem, typcategory::text, typname::text, format_type(oid, $2) FROM pg_type WHERE oid = $1";
    let mut array_of: Option<String> = None;
    for _ in 0..32 {
        let row = sqlx::query(exec(q))
            .bind(sqlx::postgres::types::Oid(oid))
            .bind(typmod)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| query_err(e, q))?
            .ok_or_else(|| SourceError::UnsupportedType {
                column: column.to_string(),
                db_type: format!("oid {oid}"),
            })?;
        let get = |e: sqlx::Error| query_err(e, q);
        let typtype: String = row.try_get(0).map_err(get)?;
        let base: sqlx::postgres::types::Oid = row.try_get(1).map_err(get)?;
        let base_mod: i32 = row.try_get(2).map_err(get)?;
        let elem: sqlx::postgres::types::Oid = row.try_get(3).map_err(get)?;
        let category: String = row.try_get(4).map_err(get)?;
        let name: String = row.try_get(5).map_err(get)?;
        let shown: String = row.try_get(6).map_err(get)?;
        if typtype == "d" {
            oid = base.0;
            if typmod == -1 {
                typmod = base_mod;
            }
            continue;
        }
        if category == "A" && elem.0 != 0 && array_of.is_none() {
            array_of = Some(shown);
            oid = elem.0;
            continue;
        }
        let t = BaseType {
            oid,
            name: &name,
            typtype: &typtype,
            typmod,
        };
        let unsupported = || SourceError::UnsupportedType {
            column: column.to_string(),
            db_type: array_of.clone().unwrap_or_else(|| shown.clone()),
        };
        let (kind, cast) = map_base(t, options).ok_or_else(unsupported)?;
        return Ok(match array_of {
            Some(_) => (PgKind::List(Box::new(kind)), cast),
            None => (kind, cast),
        });
    }
    Err(SourceError::UnsupportedType {
        column: column.to_string(),
        db_type: format!("oid {oid} (domain nesting too deep)"),
    })
}

#[async_trait::async_trait]
impl Source for PgSource {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn describe(&self, rel: &Relation) -> Result<Described, SourceError> {
        let cols = self.describe_cols(rel).await?;
        let schema: SchemaRef = Arc::new(Schema::new(
            cols.iter()
                .map(|c| c.kind.field(&c.name))
                .collect::<Vec<_>>(),
        ));
        Ok(Described {
            schema,
            native: Native::Postgres(Arc::new(cols)),
        })
    }

    async fn bounds(
        &self,
        _native: &mut Native,
        query: &Query,
        column: &str,
        kind: CursorKind,
    ) -> Result<Option<(CursorValue, CursorValue)>, SourceError> {
        let text = |c: &str| match kind {
            CursorKind::Int | CursorKind::Decimal => format!("{c}::text"),
            CursorKind::Date => format!("to_char({c}, 'YYYY-MM-DD')"),
            CursorKind::Timestamp => format!("to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"),
            CursorKind::TimestampTz => {
                format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')")
            }
        };
        let sql = format!(
            "SELECT {}, {} FROM (\n{}\n) AS ingest_b(lo, hi)",
            text("lo"),
            text("hi"),
            query.inline(Dialect::Postgres)
        );
        let (lo, hi) = self.scalar_text(&sql).await?;
        let parse = |t: String| {
            CursorValue::parse(kind, &t).map_err(|e| SourceError::BadValue {
                column: column.to_string(),
                key: None,
                value: t.clone(),
                reason: format!("cannot be used as a cursor: {e}"),
            })
        };
        Ok(match (lo, hi) {
            (Some(lo), Some(hi)) => Some((parse(lo)?, parse(hi)?)),
            _ => None,
        })
    }

    async fn text_rows(
        &self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, SourceError> {
        let mut q = sqlx::query(exec(sql));
        for p in params {
            q = q.bind(p.clone());
        }
        let mut conn = self.conn.lock().await;
        let rows = q
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| query_err(e, sql))?;
        super::text_rows::texts(&rows).map_err(|e| query_err(e, sql))
    }

    async fn count(&self, _native: &Native, query: &Query) -> Result<u64, SourceError> {
        let sql = query.inline(Dialect::Postgres);
        let mut conn = self.conn.lock().await;
        let n: i64 = sqlx::query_scalar(exec(&sql))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| query_err(e, &sql))?;
        Ok(n.max(0) as u64)
    }

    fn extract(&self, spec: Extract) -> BoxStream<'static, Result<RecordBatch, SourceError>> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch, SourceError>>(2);
        let cols = match &spec.native {
            Native::Postgres(cols) => Ok(cols.clone()),
            other => Err(SourceError::Other(format!(
                "internal: a PostgreSQL extraction was handed {other:?} column information"
            ))),
        };
        let opts = self.opts.clone();
        let snapshot = self.snapshot.clone();
        let infinity = self.options.infinity;
        tokio::spawn(async move {
            let result = match cols {
                Ok(cols) => run_extract(opts, snapshot, infinity, &cols, spec, &tx).await,
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                let _ = tx.send(Err(e)).await;
            }
        });
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests;
