//! Schema drift at run time: compare the described schema with the last committed load's,
//! apply the job's `schema_change` policy before anything is extracted, and keep the boundary
//! keys of the previous load comparable when the columns they were hashed over changed.

use super::job::JobError;
use super::plan::JobPlan;
use crate::config::{Job, LoadType, SchemaChange};
use crate::plan::boundary::{MatchColumn, native};
use crate::plan::column::column_index;
use crate::plan::sql;
use crate::sink::layout::TableLayout;
use crate::sink::manifest::{self, FieldInfo, Manifest};
use crate::sink::schema_diff::SchemaDiff;
use crate::state::store::JobState;
use arrow::array::Array;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashSet;
use std::str::FromStr;

/// Why a schema change stops a job (nothing is extracted, state and lake stay as they were).
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    /// `schema_change = fail` and the columns changed.
    #[error(
        "schema_change = fail and the columns changed since load {load_id}: {diff}; run once with --full-refresh to replace the table with the new columns, or set schema_change = evolve"
    )]
    Refused {
        /// The previous load.
        load_id: String,
        /// What changed.
        diff: Box<SchemaDiff>,
    },
    /// A type change that is not a widening.
    #[error(
        "column `{column}` changed type from {from} to {to} since load {load_id}, which is not a widening (the files already loaded cannot be read as the new type); run once with --full-refresh to replace the table"
    )]
    Incompatible {
        /// Column name.
        column: String,
        /// Previous Arrow type.
        from: String,
        /// Current Arrow type.
        to: String,
        /// The previous load.
        load_id: String,
    },
    /// A primary_key column is gone.
    #[error(
        "primary_key column `{column}` was dropped since load {load_id}; change primary_key, or run once with --full-refresh to replace the table"
    )]
    KeyDropped {
        /// Column name.
        column: String,
        /// The previous load.
        load_id: String,
    },
    /// The previous load's boundary rows could not be read back.
    #[error("reading the boundary rows of load {load_id} from {path}: {message}")]
    ReadBack {
        /// The load whose file was read.
        load_id: String,
        /// The data file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Compare the plan's schema with `previous` (the job's newest committed load); log one warning
/// with the difference and return it, or the policy's refusal. `load_type` is the effective
/// one: a FULL load replaces the table, so under `evolve` any type change is accepted.
pub fn check(
    job: &Job,
    load_type: LoadType,
    previous: &Manifest,
    schema: &Schema,
) -> Result<Option<SchemaDiff>, DriftError> {
    let diff = SchemaDiff::between(&previous.schema, &manifest::schema_fields(schema));
    if diff.is_empty() {
        return Ok(None);
    }
    tracing::warn!(
        "{}: the columns of `{}` changed since load {}: {diff}",
        job.job_id,
        job.output_table(),
        previous.load_id
    );
    let load_id = previous.load_id.clone();
    for key in &job.primary_key {
        if let Some(d) = diff.dropped.iter().find(|d| same_name(&d.name, key)) {
            return Err(DriftError::KeyDropped {
                column: d.name.clone(),
                load_id,
            });
        }
    }
    if job.schema_change == SchemaChange::Fail && diff.columns_changed() {
        return Err(DriftError::Refused {
            load_id,
            diff: Box::new(diff),
        });
    }
    if load_type == LoadType::Incremental
        && let Some(c) = diff.first_narrowing()
    {
        return Err(DriftError::Incompatible {
            column: c.column.clone(),
            from: c.from.clone(),
            to: c.to.clone(),
            load_id,
        });
    }
    Ok(Some(diff))
}

/// A workbook name matches a column: a quoted name exactly, a plain one ignoring case.
fn same_name(column: &str, name: &str) -> bool {
    match sql::unwrap_quoted(name) {
        Some(inner) => column == inner,
        None => column.eq_ignore_ascii_case(name),
    }
}

/// The columns (in order) whose values this load hashes into its boundary keys: the
/// primary_key columns, else every column.
pub fn boundary_columns(job: &Job, schema: &Schema) -> Result<Vec<String>, JobError> {
    if job.primary_key.is_empty() {
        return Ok(schema.fields().iter().map(|f| f.name().clone()).collect());
    }
    job.primary_key
        .iter()
        .map(|k| Ok(schema.field(column_index(schema, k)?).name().clone()))
        .collect()
}

/// When the previous load hashed its boundary keys over other columns or types than this load
/// would, tell the plan how to match them: over the previous columns as they are now, cast
/// back to their previous types. When one of those columns is gone, the previous keys cannot
/// be reproduced: the rows at the watermark are read back from the lake and hashed over the
/// columns that remain.
pub async fn match_previous_keys(
    job: &Job,
    plan: &mut JobPlan,
    previous: Option<&Manifest>,
    state: Option<&JobState>,
    store: &dyn ObjectStore,
    layout: &TableLayout,
) -> Result<(), JobError> {
    let Some(lo) = plan.window.as_ref().and_then(|w| w.lo) else {
        return Ok(());
    };
    let Some(prev) = previous else {
        return Ok(());
    };
    // The stored keys come from this manifest only when the state says so.
    if plan.previous_keys.is_empty()
        || state.and_then(|s| s.last_load_id.as_deref()) != Some(prev.load_id.as_str())
    {
        return Ok(());
    }
    let old: Vec<FieldInfo> = match &prev.boundary_columns {
        Some(names) => names.iter().map(|n| old_field(prev, n)).collect(),
        None if job.primary_key.is_empty() => prev.schema.clone(),
        None => job
            .primary_key
            .iter()
            .filter_map(|k| prev.schema.iter().find(|f| same_name(&f.name, k)).cloned())
            .collect(),
    };
    let now = manifest::schema_fields(&plan.schema);
    let current = boundary_columns(job, &plan.schema)?;
    let unchanged = old.len() == current.len()
        && old.iter().zip(&current).all(|(o, c)| {
            o.name == *c
                && now
                    .iter()
                    .any(|f| f.name == *c && f.data_type == o.data_type)
        });
    if unchanged {
        return Ok(());
    }
    let mut columns = Vec::new();
    let mut kept = Vec::new();
    for o in &old {
        if let Some(index) = plan
            .schema
            .fields()
            .iter()
            .position(|f| *f.name() == o.name)
        {
            let cast_to = (now[index].data_type != o.data_type)
                .then(|| DataType::from_str(&o.data_type).ok())
                .flatten();
            columns.push(MatchColumn { index, cast_to });
            kept.push(o.clone());
        }
    }
    if kept.len() < old.len() {
        let window = plan.window.as_ref().map(|w| w.column.clone());
        let cursor = window.unwrap_or_default();
        plan.previous_keys = read_back(job, prev, store, layout, &cursor, &lo, &kept).await?;
        tracing::info!(
            "{}: a column the boundary keys were hashed over is gone; matched {} rows at the watermark read back from the lake",
            job.job_id,
            plan.previous_keys.len()
        );
    }
    plan.boundary_match = Some(columns);
    Ok(())
}

fn old_field(prev: &Manifest, name: &str) -> FieldInfo {
    prev.schema
        .iter()
        .find(|f| f.name == name)
        .cloned()
        .unwrap_or_else(|| FieldInfo {
            name: name.to_string(),
            data_type: String::new(),
            nullable: true,
        })
}

/// Hashes (over `columns`, in their previous types) of the committed rows whose cursor equals
/// `lo`: from the files of this job's newest loads whose window ended at `lo`.
async fn read_back(
    job: &Job,
    prev: &Manifest,
    store: &dyn ObjectStore,
    layout: &TableLayout,
    cursor: &str,
    lo: &crate::plan::CursorValue,
    columns: &[FieldInfo],
) -> Result<HashSet<String>, JobError> {
    let watermark = prev.window.as_ref().and_then(|w| w.to.clone());
    let mut keys = HashSet::new();
    for id in manifest::list_load_ids(store, layout).await?.iter().rev() {
        let m = manifest::read(store, layout, id).await?;
        if m.job_id != job.job_id || m.load_id > prev.load_id {
            continue;
        }
        if m.load_type != LoadType::Incremental
            || m.window.as_ref().and_then(|w| w.to.clone()) != watermark
        {
            break;
        }
        for file in &m.files {
            let fail = |message: String| DriftError::ReadBack {
                load_id: m.load_id.clone(),
                path: file.path.clone(),
                message,
            };
            let path = Path::from(file.path.as_str());
            let bytes = match store.get(&path).await {
                Ok(r) => r.bytes().await.map_err(|e| fail(e.to_string()))?,
                Err(e) => return Err(fail(e.to_string()).into()),
            };
            hash_file(bytes, cursor, lo, columns, &mut keys).map_err(fail)?;
        }
    }
    Ok(keys)
}

/// Add the hashes of one Parquet file's rows at `lo` to `keys`.
fn hash_file(
    bytes: bytes::Bytes,
    cursor: &str,
    lo: &crate::plan::CursorValue,
    columns: &[FieldInfo],
    keys: &mut HashSet<String>,
) -> Result<(), String> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| e.to_string())?;
    let schema = builder.schema().clone();
    let find = |name: &str| {
        schema
            .fields()
            .iter()
            .position(|f| f.name() == name)
            .ok_or_else(|| format!("column `{name}` is not in the file"))
    };
    let cursor_at = find(cursor)?;
    let at: Vec<usize> = columns
        .iter()
        .map(|c| find(&c.name))
        .collect::<Result<_, _>>()?;
    let mut roots: Vec<usize> = at.clone();
    roots.push(cursor_at);
    roots.sort_unstable();
    roots.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    let target = native(lo, schema.field(cursor_at).data_type());
    let options = FormatOptions::default().with_null("\u{0}NULL");
    for batch in builder
        .with_projection(mask)
        .build()
        .map_err(|e| e.to_string())?
    {
        let batch = batch.map_err(|e| e.to_string())?;
        let pos = |i: usize| roots.iter().position(|r| *r == i).unwrap_or(0);
        let c = crate::plan::boundary::cursor_values(batch.column(pos(cursor_at)))
            .map_err(|e| e.to_string())?;
        let mut arrays = Vec::with_capacity(at.len());
        for (field, i) in columns.iter().zip(&at) {
            let a = batch.column(pos(*i)).clone();
            arrays.push(match DataType::from_str(&field.data_type) {
                Ok(t) if t != *a.data_type() => cast(&a, &t).map_err(|e| e.to_string())?,
                _ => a,
            });
        }
        let formatters = arrays
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        for (row, value) in c.iter().enumerate() {
            if value.is_some() && *value == target {
                keys.insert(crate::plan::boundary::row_hash(&formatters, row));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "drift_tests.rs"]
mod tests;
