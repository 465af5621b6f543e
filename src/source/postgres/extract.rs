//! One PostgreSQL chunk: `COPY (query) TO STDOUT (FORMAT binary)` inside the job's snapshot,
//! streamed through the binary decoder into Arrow batches.

use super::connect::{connect_message, query_err};
use super::copy::CopyDecoder;
use super::types::{Infinity, PgKind};
use super::{PgCol, exec, quote_exact};
use crate::config::SourceType;
use crate::plan::sql::{Dialect, Query};
use crate::source::Extract;
use crate::source::SourceError;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

/// The COPY statement for a planned SELECT, casting the columns that load as their text form.
pub(super) fn copy_sql(query: &Query, cols: &[PgCol]) -> String {
    let inner = query.inline(Dialect::Postgres);
    let select = if cols.iter().any(|c| c.cast) {
        let list: Vec<String> = cols
            .iter()
            .map(|c| {
                let q = quote_exact(&c.name);
                match (&c.kind, c.cast) {
                    (PgKind::List(_), true) => format!("{q}::text[]"),
                    (_, true) => format!("{q}::text"),
                    _ => q,
                }
            })
            .collect();
        format!(
            "SELECT {} FROM (\n{inner}\n) AS ingest_src",
            list.join(", ")
        )
    } else {
        inner
    };
    format!("COPY (\n{select}\n) TO STDOUT (FORMAT binary)")
}

/// Extract one chunk on a connection of its own, sending batches to `tx`.
pub(super) async fn run_extract(
    opts: PgConnectOptions,
    snapshot: Option<String>,
    infinity: Infinity,
    cols: &[PgCol],
    spec: Extract,
    tx: &tokio::sync::mpsc::Sender<Result<RecordBatch, SourceError>>,
) -> Result<(), SourceError> {
    let mut conn = PgConnection::connect_with(&opts)
        .await
        .map_err(|e| SourceError::Connect {
            source_type: SourceType::PostgreSql,
            name: "extract".into(),
            message: connect_message(&e, &opts, None),
        })?;
    let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    conn.execute(exec(begin))
        .await
        .map_err(|e| query_err(e, begin))?;
    if let Some(id) = &snapshot {
        let set = format!("SET TRANSACTION SNAPSHOT '{}'", id.replace('\'', "''"));
        conn.execute(exec(&set))
            .await
            .map_err(|e| query_err(e, &set))?;
    }
    let sql = copy_sql(&spec.query, cols);
    let kinds: Vec<PgKind> = cols.iter().map(|c| c.kind.clone()).collect();
    let mut decoder = CopyDecoder::new(
        spec.schema.clone(),
        &kinds,
        spec.batch_rows,
        infinity,
        spec.key_columns.clone(),
    );
    // COPY goes out as a simple query, which runs every statement of its text: a filter or
    // query that closes the COPY's parentheses could add its own (`COMMIT; DROP …`). Parsing it
    // first as one prepared statement rejects any text that is more than one statement.
    (&mut conn)
        .prepare(exec(&sql))
        .await
        .map_err(|e| query_err(e, &sql))?;
    let mut out = Vec::new();
    {
        let mut stream = conn
            .copy_out_raw(&sql)
            .await
            .map_err(|e| query_err(e, &sql))?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| query_err(e, &sql))?;
            decoder.feed(&chunk, &mut out)?;
            for batch in out.drain(..) {
                if tx.send(Ok(batch)).await.is_err() {
                    return Ok(()); // the reader stopped
                }
            }
        }
    }
    if let Some(batch) = decoder.finish()? {
        let _ = tx.send(Ok(batch)).await;
    }
    conn.execute(exec("COMMIT")).await.ok();
    conn.close().await.ok();
    Ok(())
}
