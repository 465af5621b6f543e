//! Delta Lake tables through delta-rs: open a job's table on the destination's own object
//! store, read what the job's last load committed, and commit one load as one Delta version.
//!
//! The table root is the job's prefix `{folder}/{source}_{table}/`: `_delta_log/` plus the data
//! files our streaming writer puts under `{table}/`. Every commit carries a `txn` action
//! (appId = job id, version = the job's load sequence) and the load's [`LoadInfo`] in its
//! commitInfo under [`APP_METADATA_KEY`], so the table alone says what was loaded.

pub use super::delta_error::DeltaError;
pub(super) use super::delta_error::{commit_err, commit_properties, delta_err};
use super::delta_schema::{SchemaPlan, delta_schema, plan_schema};
use super::emulator::ClientSideOffset;
use crate::config::LoadType;
use crate::sink::layout::TableLayout;
use crate::sink::manifest::{FieldInfo, ManifestWindow};
use crate::sink::parquet::FileEntry;
use crate::sink::store::{AzureAuth, Destination};
use arrow::datatypes::Schema;
use chrono::{DateTime, Utc};
use deltalake::DeltaTable;
use deltalake::kernel::transaction::CommitBuilder;
use deltalake::kernel::{Action, Add, MetadataExt, StructType};
use deltalake::logstore::{LogStoreRef, StorageConfig, default_logstore};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use parquet::basic::Compression;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The commitInfo key under which a load's [`LoadInfo`] is stored.
pub const APP_METADATA_KEY: &str = "ingest";

/// The commitInfo key under which a maintenance commit (OPTIMIZE, VACUUM) carries the
/// [`LoadInfo`] of the job's last load forward, so the head search still finds it.
pub const CARRIED_METADATA_KEY: &str = "ingest_head";

/// How many recent commits are searched for the job's last load.
const HISTORY_SEARCHED: usize = 100;

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
    /// The Arrow schema of the load's files (what its boundary keys were hashed over); absent
    /// in commits of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Vec<FieldInfo>>,
    /// The columns (in order) whose values were hashed into `boundary_keys`; absent in commits
    /// of earlier versions and of loads without a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_columns: Option<Vec<String>>,
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
    pub(super) table: DeltaTable,
    pub(super) name: String,
    pub(super) prefix: String,
    /// The table root as delta-rs names it (`file:///…/` or `az://container/…/`).
    pub(super) url: url::Url,
    /// The store that `url`'s scheme and host name (for DataFusion).
    pub(super) root: Arc<dyn ObjectStore>,
    /// The destination's Parquet codec, for the files delta-rs writes (MERGE, OPTIMIZE).
    pub(super) compression: Compression,
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
        let (store, root) = match destination {
            Destination::Azure { cfg, .. } if cfg.auth == AzureAuth::Emulator => (
                Arc::new(ClientSideOffset(store)) as Arc<dyn ObjectStore>,
                Arc::new(ClientSideOffset(root)) as Arc<dyn ObjectStore>,
            ),
            _ => (store, root),
        };
        let prefixed: Arc<dyn ObjectStore> = Arc::new(PrefixStore::new(store, prefix.clone()));
        let log_store = default_logstore(prefixed, root.clone(), &url, &StorageConfig::default());
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
            url,
            root,
            compression: destination.compression(),
        })
    }

    /// The table version, `None` before the first commit.
    pub fn version(&self) -> Option<i64> {
        self.table.version().map(|v| v as i64)
    }

    /// The table as delta-rs holds it (maintenance and tidy work on it).
    pub fn table(&self) -> &DeltaTable {
        &self.table
    }

    /// `{container}/{prefix}`, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The table's columns, `None` before the first commit.
    pub fn schema(&self) -> Option<StructType> {
        let state = self.table.snapshot().ok()?;
        Some(state.schema().as_ref().clone())
    }

    /// The job's `schema_change` policy applied to a load of `schema` (`replace`: a FULL load;
    /// `forced`: `--full-refresh`); nothing to do before the first commit.
    pub fn plan_schema(
        &self,
        schema: &Schema,
        job: &crate::config::Job,
        replace: bool,
        forced: bool,
    ) -> Result<SchemaPlan, DeltaError> {
        let load = delta_schema(schema)?;
        match self.schema() {
            None => Ok(SchemaPlan::default()),
            Some(current) => plan_schema(
                &self.name,
                &current,
                &load,
                job.schema_change,
                replace,
                forced,
                &job.primary_key,
            ),
        }
    }

    pub(super) fn log_store(&self) -> LogStoreRef {
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
            .filter_map(|c| {
                c.info
                    .get(APP_METADATA_KEY)
                    .or_else(|| c.info.get(CARRIED_METADATA_KEY))
            })
            .filter_map(|v| serde_json::from_value::<LoadInfo>(v.clone()).ok())
            .find(|i| i.job_id == job_id && i.seq == seq);
        Ok(Some(Head { version, seq, info }))
    }

    /// Commit one load as one table version: its files added (and, for `replace`, every
    /// current file removed) with the job's txn and `info` in the commitInfo, and the table
    /// schema `columns.new_schema` when it changes. Creates the table on its first load.
    /// Returns the new version.
    pub async fn commit(
        &mut self,
        info: &LoadInfo,
        schema: &Schema,
        columns: &SchemaPlan,
        files: &[FileEntry],
        replace: bool,
    ) -> Result<i64, DeltaError> {
        let name = self.name.clone();
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&name, operation, e);
        let mut actions: Vec<Action> = files
            .iter()
            .map(|f| self.add_action(f))
            .collect::<Result<_, _>>()?;
        let props = commit_properties(&name, info)?;
        // delta-rs lets an overwrite without predicate commit over a concurrent append (it
        // would keep the other writer's files beside the new load), and a table creation that
        // lost the race for version 0 commit on top of the winner without a conflict check.
        // Neither retries: any commit in between fails the load cleanly; the next run
        // repeats it. Appends keep delta-rs's retries under its conflict rules (the txn of
        // the job conflicts with a concurrent load of the same job).
        let props = if replace || self.table.version().is_none() {
            props.with_max_retries(0)
        } else {
            props
        };
        if self.table.version().is_none() {
            let columns = delta_schema(schema)?;
            self.table = CreateBuilder::new()
                .with_log_store(self.log_store())
                .with_columns(columns.fields().cloned())
                .with_save_mode(SaveMode::ErrorIfExists)
                .with_actions(actions)
                .with_commit_properties(props)
                .await
                .map_err(|e| commit_err(&name, e))?;
            return self
                .version()
                .ok_or_else(|| err("creating the table", &"no version"));
        }
        let state = self
            .table
            .snapshot()
            .map_err(|e| err("reading the snapshot", &e))?;
        if let Some(new_schema) = &columns.new_schema {
            let metadata = state
                .metadata()
                .clone()
                .with_schema(new_schema)
                .map_err(|e| err("changing the table schema", &e))?;
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
            .map_err(|e| commit_err(&name, e))?;
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
        Ok(Action::Add(Add {
            path: path.to_string(),
            size: f.bytes as i64,
            partition_values: Default::default(),
            modification_time: Utc::now().timestamp_millis(),
            data_change: true,
            stats: Some(stats_json(f).to_string()),
            ..Default::default()
        }))
    }
}

/// Delta's `add` statistics of a file: numRecords, nullCount, minValues, maxValues.
pub fn stats_json(f: &FileEntry) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut stats = serde_json::json!({ "numRecords": f.rows });
    if let Some(s) = &f.stats {
        let nulls: Map<String, Value> = s
            .null_counts
            .iter()
            .map(|(c, n)| (c.clone(), Value::from(*n)))
            .collect();
        stats["nullCount"] = Value::Object(nulls);
        let (min, max): (Map<String, Value>, Map<String, Value>) = s
            .bounds
            .iter()
            .map(|(c, lo, hi)| ((c.clone(), lo.clone()), (c.clone(), hi.clone())))
            .unzip();
        if !min.is_empty() {
            stats["minValues"] = Value::Object(min);
            stats["maxValues"] = Value::Object(max);
        }
    }
    stats
}

#[cfg(test)]
#[path = "delta_tests.rs"]
mod tests;
