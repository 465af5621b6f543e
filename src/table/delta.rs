//! Delta Lake tables through delta-rs: open a job's table on the destination's own object
//! store, read what the job's last load committed, and commit one load as one Delta version.
//!
//! The table root is the job's prefix `{folder}/{source}_{table}/`: `_delta_log/` plus the data
//! files our streaming writer puts under `{table}/`. Every commit carries a `txn` action
//! (appId = job id, version = the job's load sequence) and the load's [`LoadInfo`] in its
//! commitInfo under [`APP_METADATA_KEY`], so the table alone says what was loaded.

use crate::config::LoadType;
use crate::sink::layout::TableLayout;
use crate::sink::manifest::ManifestWindow;
use crate::sink::parquet::FileEntry;
use crate::sink::store::{Destination, redact};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use deltalake::DeltaTable;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add, MetadataExt, StructType, Transaction};
use deltalake::logstore::{LogStoreRef, StorageConfig, default_logstore};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The commitInfo key under which a load's [`LoadInfo`] is stored.
pub const APP_METADATA_KEY: &str = "ingest";

/// How many recent commits are searched for the job's last load.
const HISTORY_SEARCHED: usize = 100;

/// What went wrong with a Delta table.
#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    /// `write_disposition = merge`, which this build cannot do yet.
    #[error("write_disposition = merge is not supported yet; use append")]
    MergeNotBuilt,
    /// A column type a Delta table cannot hold exactly.
    #[error(
        "column `{column}` is {data_type}, which a Delta table cannot hold exactly ({why}); cast it in source_query or use target_format = parquet"
    )]
    Type {
        /// Column name.
        column: String,
        /// The Arrow type.
        data_type: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// An INCREMENTAL load whose columns differ from the table's.
    #[error(
        "Delta table {table}: the source columns changed ({detail}); run with --full-refresh to replace the table"
    )]
    SchemaChanged {
        /// Table root.
        table: String,
        /// Which columns differ.
        detail: String,
    },
    /// delta-rs failed.
    #[error("Delta table {table}: {operation}: {message}")]
    Delta {
        /// Table root.
        table: String,
        /// What was being done.
        operation: &'static str,
        /// The error, secrets redacted.
        message: String,
    },
}

/// What one load committed, as stored in its commitInfo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadInfo {
    /// The job that wrote it (also the txn appId).
    pub job_id: String,
    /// The job's load sequence number (also the txn version).
    pub seq: i64,
    /// The load id (also the prefix of its data file names).
    pub load_id: String,
    /// FULL or INCREMENTAL.
    pub load_type: LoadType,
    /// Source name.
    pub source: String,
    /// Source table.
    pub table: String,
    /// The cursor window loaded (INCREMENTAL only).
    pub window: Option<ManifestWindow>,
    /// Hashes of the keys of rows whose cursor equals the window's upper bound.
    pub boundary_keys: Vec<String>,
    /// Rows written.
    pub rows: u64,
    /// Data files added.
    pub files: usize,
    /// When the load started.
    pub started_at: DateTime<Utc>,
    /// When the last file was durable.
    pub finished_at: DateTime<Utc>,
}

/// The job's last commit found in the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// The table version that holds it.
    pub version: i64,
    /// The txn version of the job (its last load sequence).
    pub seq: i64,
    /// The load's metadata, when its commitInfo is among the recent commits.
    pub info: Option<LoadInfo>,
}

/// One job's Delta table on its destination.
pub struct DeltaTarget {
    table: DeltaTable,
    name: String,
    prefix: String,
}

impl DeltaTarget {
    /// Open (not create) the table at the job's prefix, on the store the destination built.
    pub async fn open(
        destination: &Destination,
        container: &str,
        store: Arc<dyn ObjectStore>,
        layout: &TableLayout,
    ) -> Result<DeltaTarget, DeltaError> {
        let prefix = layout.prefix().clone();
        let name = format!("{container}/{prefix}");
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&name, operation, e);
        // delta-rs reads data and checkpoints through the root store by the path of the
        // table URL, and the log through a store rooted at the table.
        let (url, root): (url::Url, Arc<dyn ObjectStore>) = match destination {
            Destination::Local { root, .. } => {
                let dir = std::path::absolute(root.join(container).join(prefix.as_ref()))
                    .map_err(|e| err("resolving the folder", &e))?;
                let url = url::Url::from_directory_path(&dir)
                    .map_err(|()| err("resolving the folder", &"not an absolute path"))?;
                (url, Arc::new(LocalFileSystem::new()))
            }
            Destination::Azure { .. } => {
                let url = url::Url::parse(&format!("az://{container}/{prefix}/"))
                    .map_err(|e| err("naming the table", &e))?;
                (url, Arc::clone(&store))
            }
        };
        let prefixed: Arc<dyn ObjectStore> = Arc::new(PrefixStore::new(store, prefix.clone()));
        let log_store = default_logstore(prefixed, root, &url, &StorageConfig::default());
        let mut table = DeltaTable::new(log_store.clone());
        if log_store
            .is_delta_table_location()
            .await
            .map_err(|e| err("looking for _delta_log", &e))?
        {
            table.load().await.map_err(|e| err("reading the log", &e))?;
        }
        Ok(DeltaTarget {
            table,
            name,
            prefix: prefix.to_string(),
        })
    }

    /// The table version, `None` before the first commit.
    pub fn version(&self) -> Option<i64> {
        self.table.version().map(|v| v as i64)
    }

    fn log_store(&self) -> LogStoreRef {
        self.table.log_store()
    }

    /// The job's last committed load: its txn version and the commitInfo that carries it.
    pub async fn head(&self, job_id: &str) -> Result<Option<Head>, DeltaError> {
        let Some(version) = self.version() else {
            return Ok(None);
        };
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&self.name, operation, e);
        let state = self
            .table
            .snapshot()
            .map_err(|e| err("reading the snapshot", &e))?;
        let Some(seq) = state
            .transaction_version(self.log_store().as_ref(), job_id)
            .await
            .map_err(|e| err("reading the txn version", &e))?
        else {
            return Ok(None);
        };
        let infos: Vec<_> = self
            .table
            .history(Some(HISTORY_SEARCHED))
            .try_collect()
            .await
            .map_err(|e| err("reading the history", &e))?;
        let info = infos
            .iter()
            .filter_map(|c| c.info.get(APP_METADATA_KEY))
            .filter_map(|v| serde_json::from_value::<LoadInfo>(v.clone()).ok())
            .find(|i| i.job_id == job_id && i.seq == seq);
        Ok(Some(Head { version, seq, info }))
    }

    /// Commit one load as one table version: its files added (and, for `replace`, every
    /// current file removed) with the job's txn and `info` in the commitInfo. Creates the
    /// table on its first load. Returns the new version.
    pub async fn commit(
        &mut self,
        info: &LoadInfo,
        schema: &Schema,
        files: &[FileEntry],
        replace: bool,
    ) -> Result<i64, DeltaError> {
        let name = self.name.clone();
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&name, operation, e);
        let columns = delta_schema(schema)?;
        let mut actions: Vec<Action> = files
            .iter()
            .map(|f| self.add_action(f))
            .collect::<Result<_, _>>()?;
        let metadata = serde_json::to_value(info).map_err(|e| err("encoding commitInfo", &e))?;
        let props = CommitProperties::default()
            .with_metadata([(APP_METADATA_KEY.to_string(), metadata)])
            .with_application_transaction(Transaction::new(&info.job_id, info.seq));
        if self.table.version().is_none() {
            self.table = CreateBuilder::new()
                .with_log_store(self.log_store())
                .with_columns(columns.fields().cloned())
                .with_save_mode(SaveMode::ErrorIfExists)
                .with_actions(actions)
                .with_commit_properties(props)
                .await
                .map_err(|e| err("creating the table", &e))?;
            return self
                .version()
                .ok_or_else(|| err("creating the table", &"no version"));
        }
        let state = self
            .table
            .snapshot()
            .map_err(|e| err("reading the snapshot", &e))?;
        let current = state.schema();
        if !same_columns(&current, &columns) {
            if !replace {
                return Err(DeltaError::SchemaChanged {
                    table: name.clone(),
                    detail: column_diff(&current, &columns),
                });
            }
            let metadata = state
                .metadata()
                .clone()
                .with_schema(&columns)
                .map_err(|e| err("replacing the schema", &e))?;
            actions.push(Action::Metadata(metadata));
        }
        if replace {
            let removes: Vec<Action> = state
                .snapshot()
                .file_views(self.log_store().as_ref(), None)
                .map_ok(|f| Action::Remove(f.remove_action(true)))
                .try_collect()
                .await
                .map_err(|e| err("listing the current files", &e))?;
            actions.extend(removes);
        }
        let mode = if replace {
            SaveMode::Overwrite
        } else {
            SaveMode::Append
        };
        let operation = DeltaOperation::Write {
            mode,
            partition_by: None,
            predicate: None,
        };
        let done = CommitBuilder::from(props)
            .with_actions(actions)
            .build(Some(state), self.log_store(), operation)
            .await
            .map_err(|e| err("committing", &e))?;
        let version = done.version() as i64;
        self.table
            .update_state()
            .await
            .map_err(|e| err("reading the new version", &e))?;
        Ok(version)
    }

    /// The `add` action of a data file written under the table root.
    fn add_action(&self, f: &FileEntry) -> Result<Action, DeltaError> {
        let path = f
            .path
            .strip_prefix(&self.prefix)
            .and_then(|p| p.strip_prefix('/'))
            .ok_or_else(|| {
                delta_err(
                    &self.name,
                    "adding a file",
                    &format!("{} is not under the table root", f.path),
                )
            })?;
        let mut stats = serde_json::json!({ "numRecords": f.rows });
        if let Some(s) = &f.stats {
            let nulls: serde_json::Map<String, serde_json::Value> = s
                .null_counts
                .iter()
                .map(|(c, n)| (c.clone(), serde_json::Value::from(*n)))
                .collect();
            stats["nullCount"] = serde_json::Value::Object(nulls);
        }
        Ok(Action::Add(Add {
            path: path.to_string(),
            size: f.bytes as i64,
            partition_values: Default::default(),
            modification_time: Utc::now().timestamp_millis(),
            data_change: true,
            stats: Some(stats.to_string()),
            ..Default::default()
        }))
    }
}

fn delta_err(table: &str, operation: &'static str, e: &dyn std::fmt::Display) -> DeltaError {
    DeltaError::Delta {
        table: table.to_string(),
        operation,
        message: redact(&e.to_string()),
    }
}

/// The Delta schema of the files we write, refusing types Delta cannot hold exactly.
pub fn delta_schema(schema: &Schema) -> Result<StructType, DeltaError> {
    for f in schema.fields() {
        check_type(f, f.data_type())?;
    }
    let converted: Result<StructType, _> = schema.try_into_kernel();
    converted.map_err(|e| DeltaError::Delta {
        table: String::new(),
        operation: "mapping the columns to Delta types",
        message: e.to_string(),
    })
}

fn check_type(field: &Field, t: &DataType) -> Result<(), DeltaError> {
    let refuse = |why| {
        Err(DeltaError::Type {
            column: field.name().clone(),
            data_type: t.to_string(),
            why,
        })
    };
    match t {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            refuse("Delta has signed integers only")
        }
        DataType::Time32(_) | DataType::Time64(_) => refuse("Delta has no time-of-day type"),
        DataType::Duration(_) | DataType::Interval(_) => refuse("Delta has no interval type"),
        DataType::Decimal256(..) => refuse("Delta decimals have at most 38 digits"),
        DataType::Timestamp(unit, _) if *unit != TimeUnit::Microsecond => {
            refuse("Delta timestamps have microsecond precision")
        }
        DataType::Struct(fields) => fields.iter().try_for_each(|f| check_type(f, f.data_type())),
        DataType::List(f) | DataType::LargeList(f) => check_type(f, f.data_type()),
        _ => Ok(()),
    }
}

/// Same column names and types, in order (nullability and metadata aside).
fn same_columns(a: &StructType, b: &StructType) -> bool {
    a.fields().count() == b.fields().count()
        && a.fields()
            .zip(b.fields())
            .all(|(x, y)| x.name() == y.name() && x.data_type() == y.data_type())
}

fn column_diff(table: &StructType, load: &StructType) -> String {
    let show = |s: &StructType| {
        s.fields()
            .map(|f| format!("{} {}", f.name(), f.data_type()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("table: {}; load: {}", show(table), show(load))
}

#[path = "delta_tidy.rs"]
mod tidy;

#[cfg(test)]
#[path = "delta_tests.rs"]
mod tests;
