//! Streaming a SELECT's rows from SQL Server into Arrow batches.

use super::Param;
use super::connect::MsClient;
use super::error::query_err;
use super::types;
use crate::source::arrow::BatchBuilder;
use crate::source::{BatchSender, Extract, SourceError, deadline, until};
use futures::stream::TryStreamExt;
use std::time::Duration;
use tiberius::ColumnData;

/// Run the extraction's SELECT with `params` on `client` and send its rows as batches.
pub(super) async fn run_extract(
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
