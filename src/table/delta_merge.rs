//! `write_disposition = merge`: one increment upserted by primary key in one Delta commit.
//!
//! The increment is written by our streaming writer to `{table root}/_ingest_staging/{load_id}/`
//! (files the table never references), read back by DataFusion from the same object store,
//! reduced to the newest row per key (by cursor, ties broken by the other columns so the
//! choice is deterministic), and merged with delta-rs's MergeBuilder: matched keys updated
//! (every loaded column), the rest inserted. The first load of the job (no table yet) and a
//! FULL reload write the deduplicated rows as the whole table instead. The staged files are
//! removed after the commit; a killed load's are removed by the job's next run.

use super::delta::{DeltaError, DeltaTarget, LoadInfo, commit_err, commit_properties, delta_err};
use super::delta_schema::{SchemaPlan, plain};
use crate::sink::layout::{TableLayout, same_job};
use crate::sink::store::redact;
use arrow::datatypes::{DataType, SchemaRef};
use deltalake::datafusion::common::Column;
use deltalake::datafusion::error::DataFusionError;
use deltalake::datafusion::functions_window::expr_fn::row_number;
use deltalake::datafusion::prelude::{
    DataFrame, Expr, ExprFunctionExt, ParquetReadOptions, col, ident, lit,
};
use deltalake::delta_datafusion::{DeltaRuntimeEnvBuilder, DeltaSessionContext};
use deltalake::operations::merge::MergeBuilder;
use deltalake::operations::write::{SchemaMode, WriteBuilder};
use deltalake::protocol::SaveMode;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

/// DataFusion's memory budget for deduplicating and merging one increment.
pub const MERGE_MEMORY_BYTES: usize = 512 * 1024 * 1024;

/// The window column that numbers the rows of a key, newest first (dropped again).
const RANK: &str = "__ingest_rank";

/// What a MERGE load needs besides its rows.
pub struct MergeLoad<'a> {
    /// The load's metadata (txn and commitInfo).
    pub info: &'a LoadInfo,
    /// The Arrow schema the rows were staged with.
    pub schema: SchemaRef,
    /// The table schema change the job's policy allows.
    pub columns: &'a SchemaPlan,
    /// The primary key columns, as the schema names them.
    pub keys: &'a [String],
    /// The cursor (watermark) column, as the schema names it.
    pub cursor: &'a str,
    /// Write the rows as the whole table (a FULL reload) instead of merging them.
    pub replace: bool,
}

impl DeltaTarget {
    /// Merge the rows staged under `{table root}/_ingest_staging/{load_id}/` into the table as
    /// one commit; returns the new version.
    pub async fn merge(&mut self, load: MergeLoad<'_>) -> Result<i64, DeltaError> {
        let name = self.name.clone();
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&name, operation, e);
        let staged = self
            .url
            .join(&format!(
                "{}/{}/",
                crate::sink::layout::STAGING_DIR,
                load.info.load_id
            ))
            .map_err(|e| err("naming the staged rows", &e))?;
        // delta-rs's session (its planner runs the merge), with a memory budget: sorts spill
        // to disk beyond it, and what cannot spill fails with a clear error instead of growing.
        let runtime = DeltaRuntimeEnvBuilder::new()
            .with_max_spill_size(MERGE_MEMORY_BYTES)
            .build();
        let ctx = DeltaSessionContext::with_runtime_env(runtime).into_inner();
        ctx.register_object_store(&self.url, Arc::clone(&self.root));
        let source = ctx
            .read_parquet(
                staged.as_str(),
                ParquetReadOptions::default().schema(&plain(&load.schema)),
            )
            .await
            .map_err(|e| err("reading the staged rows", &e))?;
        let source = newest_per_key(source, load.keys, load.cursor)
            .map_err(|e| err("reducing the rows to the newest per key", &e))?;
        let props = commit_properties(&name, load.info)?;
        let session = Arc::new(ctx.state());
        if load.replace || self.version().is_none() {
            let snapshot = match self.version() {
                Some(_) => Some(
                    self.table
                        .snapshot()
                        .map_err(|e| err("reading the snapshot", &e))?
                        .snapshot()
                        .clone(),
                ),
                None => None,
            };
            self.table = WriteBuilder::new(self.log_store(), snapshot)
                .with_input_plan(source.logical_plan().clone())
                .with_session_state(session)
                .with_writer_properties(writer_properties(self.compression))
                .with_save_mode(SaveMode::Overwrite)
                .with_schema_mode(SchemaMode::Overwrite)
                .with_commit_properties(props)
                .await
                .map_err(|e| commit_err(&name, e))?;
        } else {
            let snapshot = self
                .table
                .snapshot()
                .map_err(|e| err("reading the snapshot", &e))?
                .snapshot()
                .clone();
            let side = |side: &str, c: &str| col(Column::new(Some(side), c));
            let predicate = load
                .keys
                .iter()
                .map(|k| side("target", k).eq(side("source", k)))
                .reduce(Expr::and)
                .ok_or(DeltaError::MergeNeeds("a primary_key"))?;
            let columns: Vec<String> = load
                .schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let (table, metrics) =
                MergeBuilder::new(self.log_store(), Some(snapshot), predicate, source)
                    .with_source_alias("source")
                    .with_target_alias("target")
                    .with_session_state(session)
                    .with_writer_properties(writer_properties(self.compression))
                    .with_merge_schema(load.columns.adds_columns())
                    .with_commit_properties(props)
                    .when_matched_update(|u| {
                        columns.iter().fold(u, |u, c| {
                            u.update(Column::from_name(c.as_str()), side("source", c))
                        })
                    })
                    .and_then(|m| {
                        m.when_not_matched_insert(|i| {
                            columns.iter().fold(i, |i, c| {
                                i.set(Column::from_name(c.as_str()), side("source", c))
                            })
                        })
                    })
                    .map_err(|e| err("preparing the merge", &e))?
                    .await
                    .map_err(|e| commit_err(&name, e))?;
            tracing::info!(
                "{name}: merged {} rows: {} updated, {} inserted ({} files rewritten, {} added)",
                metrics.num_source_rows,
                metrics.num_target_rows_updated,
                metrics.num_target_rows_inserted,
                metrics.num_target_files_removed,
                metrics.num_target_files_added,
            );
            self.table = table;
        }
        self.version()
            .ok_or_else(|| err("reading the new version", &"no version"))
    }
}

/// The files delta-rs writes compress like ours (the destination's codec).
pub(super) fn writer_properties(compression: Compression) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(compression)
        .build()
}

/// Rows of one increment that share a key reduced to the one with the newest `cursor`; ties
/// go to the row first in the order of the other columns (NULLs last), so reruns choose alike.
pub fn newest_per_key(
    df: DataFrame,
    keys: &[String],
    cursor: &str,
) -> Result<DataFrame, DataFusionError> {
    let fields = df.schema().fields().clone();
    let mut order = vec![ident(cursor).sort(false, false)];
    order.extend(
        fields
            .iter()
            .filter(|f| f.name() != cursor && !keys.contains(f.name()))
            .filter(|f| sortable(f.data_type()))
            .map(|f| ident(f.name()).sort(true, false)),
    );
    let rank = row_number()
        .partition_by(keys.iter().map(ident).collect())
        .order_by(order)
        .build()?
        .alias(RANK);
    df.window(vec![rank])?
        .filter(ident(RANK).eq(lit(1u64)))?
        .select(fields.iter().map(|f| ident(f.name())).collect::<Vec<_>>())
}

/// Types a tie between rows of one key is broken by.
fn sortable(t: &DataType) -> bool {
    t.is_primitive()
        || matches!(
            t,
            DataType::Boolean
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::FixedSizeBinary(_)
        )
}

/// Remove the staged files of `job_id` under the table's `_ingest_staging/` (a finished load's,
/// or a killed one's); other jobs' files stay. Best effort: returns how many were removed.
pub async fn remove_staged(
    store: &Arc<dyn ObjectStore>,
    layout: &TableLayout,
    job_id: &str,
    load_id: Option<&str>,
) -> usize {
    let root = match load_id {
        Some(id) => layout.staging(id).data_prefix(),
        None => layout.staging_root(),
    };
    let mut listing = store.list(Some(&root));
    let mut removed = 0;
    while let Some(item) = listing.next().await {
        let meta = match item {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(
                    "listing {root} to remove staged rows: {}",
                    redact(&e.to_string())
                );
                return removed;
            }
        };
        if !is_staged_by(layout, &meta.location, job_id) {
            continue;
        }
        match store.delete(&meta.location).await {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(
                "could not remove staged file {}: {}",
                meta.location,
                redact(&e.to_string())
            ),
        }
    }
    removed
}

/// Whether `path` is a file staged by `job_id`: `{staging root}/{load_id}/{data file name}`.
fn is_staged_by(layout: &TableLayout, path: &Path, job_id: &str) -> bool {
    let Some(mut rest) = path.prefix_match(&layout.staging_root()) else {
        return false;
    };
    let Some(load_id) = rest.next() else {
        return false;
    };
    layout
        .staging(load_id.as_ref())
        .parse_data_file(path)
        .and_then(|f| f.job)
        .is_some_and(|j| same_job(&j, job_id))
}

#[cfg(test)]
#[path = "delta_merge_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "delta_conflict_tests.rs"]
mod conflict_tests;
