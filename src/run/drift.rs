//! Schema drift at run time: compare the described schema with the last committed load's,
//! apply the job's `schema_change` policy before anything is extracted, and keep the boundary
//! keys of the previous load comparable when the columns they were hashed over changed.

use super::job::JobError;
use super::plan::JobPlan;
use crate::config::{Job, LoadType, SchemaChange};
use crate::plan::boundary::MatchColumn;
use crate::plan::column::column_index;
use crate::plan::sql;
use crate::sink::manifest::{self, FieldInfo, Manifest, ManifestWindow};
use crate::sink::schema_diff::SchemaDiff;
use crate::state::store::JobState;
use crate::table::delta::LoadInfo;
use arrow::datatypes::{DataType, Schema};
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

/// What a previous load hashed its boundary keys over, as its manifest (Parquet) or its
/// commitInfo (Delta) records it.
#[derive(Debug, Clone, Copy)]
pub struct PreviousLoad<'a> {
    /// The load id.
    pub load_id: &'a str,
    /// Its cursor window.
    pub window: Option<&'a ManifestWindow>,
    /// The Arrow schema of its files; `None` when its record predates it (Delta commits of
    /// earlier versions).
    pub schema: Option<&'a [FieldInfo]>,
    /// The columns its keys were hashed over; `None` in records of earlier versions.
    pub boundary_columns: Option<&'a [String]>,
}

impl<'a> PreviousLoad<'a> {
    /// A load known only by its id: what it hashed is unknown.
    pub fn unknown(load_id: &'a str) -> Self {
        PreviousLoad {
            load_id,
            window: None,
            schema: None,
            boundary_columns: None,
        }
    }
}

impl<'a> From<&'a Manifest> for PreviousLoad<'a> {
    fn from(m: &'a Manifest) -> Self {
        PreviousLoad {
            load_id: &m.load_id,
            window: m.window.as_ref(),
            schema: Some(&m.schema),
            boundary_columns: m.boundary_columns.as_deref(),
        }
    }
}

impl<'a> From<&'a LoadInfo> for PreviousLoad<'a> {
    fn from(i: &'a LoadInfo) -> Self {
        PreviousLoad {
            load_id: &i.load_id,
            window: i.window.as_ref(),
            schema: i.schema.as_deref(),
            boundary_columns: i.boundary_columns.as_deref(),
        }
    }
}

/// When the previous load hashed its boundary keys over other columns or types than this load
/// would, tell the plan how to match them: over the previous columns as they are now, cast
/// back to their previous types. When one of those columns is gone, the previous keys cannot
/// be reproduced: the rows at the watermark are read back from the lake and hashed over the
/// columns that remain. When the previous load's record does not say what it hashed (a Delta
/// commit of an earlier version) and the job has no key, the rows at the watermark are read
/// back too, hashed over the current columns the table already had.
pub async fn match_previous_keys(
    job: &Job,
    plan: &mut JobPlan,
    previous: Option<PreviousLoad<'_>>,
    state: Option<&JobState>,
    lake: &Lake<'_>,
) -> Result<(), JobError> {
    let Some(lo) = plan.window.as_ref().and_then(|w| w.lo) else {
        return Ok(());
    };
    let Some(prev) = previous else {
        return Ok(());
    };
    // The stored keys come from this load only when the state says so.
    if plan.previous_keys.is_empty()
        || state.and_then(|s| s.last_load_id.as_deref()) != Some(prev.load_id)
    {
        return Ok(());
    }
    let now = manifest::schema_fields(&plan.schema);
    let Some(schema) = prev.schema else {
        if !job.primary_key.is_empty() {
            // Keyed: the key columns, as they are now (a Delta table refuses type changes and
            // dropped key columns).
            return Ok(());
        }
        let had = lake.columns();
        let kept: Vec<FieldInfo> = now
            .iter()
            .filter(|f| had.as_ref().is_none_or(|h| h.contains(&f.name)))
            .cloned()
            .collect();
        return read_back_and_match(
            job,
            plan,
            &prev,
            lake,
            &lo,
            &kept,
            "its commit does not record which columns its boundary keys were hashed over",
        )
        .await;
    };
    let old: Vec<FieldInfo> = match prev.boundary_columns {
        Some(names) => names.iter().map(|n| old_field(schema, n)).collect(),
        None if job.primary_key.is_empty() => schema.to_vec(),
        None => job
            .primary_key
            .iter()
            .filter_map(|k| schema.iter().find(|f| same_name(&f.name, k)).cloned())
            .collect(),
    };
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
    let kept: Vec<FieldInfo> = old
        .iter()
        .filter(|o| now.iter().any(|f| f.name == o.name))
        .cloned()
        .collect();
    if kept.len() < old.len() {
        return read_back_and_match(
            job,
            plan,
            &prev,
            lake,
            &lo,
            &kept,
            "a column its boundary keys were hashed over is gone",
        )
        .await;
    }
    plan.boundary_match = Some(match_columns(plan, &now, &kept));
    Ok(())
}

/// Replace the previous keys by the hashes, over `kept`, of the rows at `lo` read back from
/// the lake, and match over those columns.
async fn read_back_and_match(
    job: &Job,
    plan: &mut JobPlan,
    prev: &PreviousLoad<'_>,
    lake: &Lake<'_>,
    lo: &crate::plan::CursorValue,
    kept: &[FieldInfo],
    why: &str,
) -> Result<(), JobError> {
    let cursor = plan
        .window
        .as_ref()
        .map(|w| w.column.clone())
        .unwrap_or_default();
    plan.previous_keys = lake.read_back(job, prev, &cursor, lo, kept).await?;
    tracing::info!(
        "{}: load {}: {why}; matched {} rows at the watermark read back from the lake",
        job.job_id,
        prev.load_id,
        plan.previous_keys.len()
    );
    let now = manifest::schema_fields(&plan.schema);
    plan.boundary_match = Some(match_columns(plan, &now, kept));
    Ok(())
}

/// The current columns named in `kept`, each cast back to its type there when it differs now.
fn match_columns(plan: &JobPlan, now: &[FieldInfo], kept: &[FieldInfo]) -> Vec<MatchColumn> {
    kept.iter()
        .filter_map(|o| {
            let index = plan
                .schema
                .fields()
                .iter()
                .position(|f| *f.name() == o.name)?;
            let cast_to = (now[index].data_type != o.data_type)
                .then(|| DataType::from_str(&o.data_type).ok())
                .flatten();
            Some(MatchColumn { index, cast_to })
        })
        .collect()
}

fn old_field(schema: &[FieldInfo], name: &str) -> FieldInfo {
    schema
        .iter()
        .find(|f| f.name == name)
        .cloned()
        .unwrap_or_else(|| FieldInfo {
            name: name.to_string(),
            data_type: String::new(),
            nullable: true,
        })
}

#[path = "drift_readback.rs"]
mod readback;
pub use readback::Lake;

#[cfg(test)]
#[path = "drift_tests.rs"]
mod tests;
