//! Load manifests (`_ingest_loads/{load_id}.json`): the record that commits a load. The
//! cleanup of files no manifest needs any more is in [`super::cleanup`].

pub use super::cleanup::{CleanupReport, cleanup, remove_leftovers};
use super::error::SinkError;
use super::layout::{TableLayout, same_job};
use super::parquet::FileEntry;
use super::schema_diff::SchemaDiff;
use crate::config::job::LoadType;
use crate::plan::cursor::CursorKind;
use arrow::datatypes::Schema;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload};
use serde::{Deserialize, Serialize};

/// The manifest format version this build writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// What one successful load wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`MANIFEST_VERSION`]).
    pub version: u32,
    /// The load id (also the file name).
    pub load_id: String,
    /// The job that wrote it.
    pub job_id: String,
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
    /// The data files of this load.
    pub files: Vec<FileEntry>,
    /// Total rows written.
    pub rows: u64,
    /// The Arrow schema of the files.
    pub schema: Vec<FieldInfo>,
    /// When the load started.
    pub started_at: DateTime<Utc>,
    /// When the last file was durable.
    pub finished_at: DateTime<Utc>,
    /// The columns (in order) whose values were hashed into `boundary_keys`; absent in
    /// manifests of earlier versions (then: the key columns, else every column of `schema`).
    #[serde(default)]
    pub boundary_columns: Option<Vec<String>>,
    /// How `schema` differs from the previous load's, when it does.
    #[serde(default)]
    pub schema_change: Option<SchemaDiff>,
    /// The job's load sequence number (1, 2, …; 0 in manifests written before sequences).
    /// It names the manifest, so two workers committing the same sequence collide.
    #[serde(default)]
    pub seq: u64,
    /// The worker (`--worker-id`) that committed the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// That worker's run id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

impl Manifest {
    /// The manifest's name in `_ingest_loads/` (without `.json`): `s{seq:012}.{job_id}`, or
    /// the load id for a manifest written before sequence numbers.
    pub fn name(&self) -> String {
        if self.seq == 0 {
            self.load_id.clone()
        } else {
            seq_name(self.seq, &self.job_id)
        }
    }
}

/// The name of the manifest of load `seq` of job `job_id`.
pub fn seq_name(seq: u64, job_id: &str) -> String {
    format!("s{seq:012}.{job_id}")
}

/// The cursor window of an incremental load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestWindow {
    /// Cursor column.
    pub column: String,
    /// Cursor kind.
    pub kind: CursorKind,
    /// Lower bound (text form), `None` on a first load without a start value.
    pub from: Option<String>,
    /// Upper bound (text form), `None` when the source had no rows.
    pub to: Option<String>,
}

/// One Arrow field of the written schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldInfo {
    /// Column name.
    pub name: String,
    /// Arrow `DataType` as displayed (e.g. `Decimal128(38, 9)`).
    pub data_type: String,
    /// Whether the column may hold NULLs.
    pub nullable: bool,
}

/// The fields of an Arrow schema, for a manifest.
pub fn schema_fields(schema: &Schema) -> Vec<FieldInfo> {
    schema
        .fields()
        .iter()
        .map(|f| FieldInfo {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
            nullable: f.is_nullable(),
        })
        .collect()
}

/// Write a manifest (one `put` of pretty JSON): this is the commit of a load. The put only
/// creates: a manifest already at that path is never replaced (another worker committed the
/// same sequence number of the job: this load is fenced off), unless it is this very manifest
/// (a retried request that succeeded).
/// A store that cannot create atomically (a local folder without hard links, such as some
/// network shares) is checked first, then written.
pub async fn write(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    manifest: &Manifest,
) -> Result<(), SinkError> {
    let path = layout.manifest_path(&manifest.name());
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| SinkError::Manifest {
        path: path.to_string(),
        message: format!("cannot encode: {e}"),
    })?;
    let json = bytes::Bytes::from(json);
    let create = PutMode::Create.into();
    let existing = match store
        .put_opts(&path, PutPayload::from(json.clone()), create)
        .await
    {
        Ok(_) => return Ok(()),
        Err(object_store::Error::AlreadyExists { .. }) => get(store, &path).await?,
        Err(e) => {
            let e = super::error::redact(&e.to_string());
            tracing::debug!("create-only put of {path} failed ({e}); checking, then writing");
            match get_opt(store, &path).await? {
                Some(bytes) => bytes,
                None => {
                    store
                        .put(&path, PutPayload::from(json))
                        .await
                        .map_err(|e| SinkError::store("put", &path, &e))?;
                    return Ok(());
                }
            }
        }
    };
    let existing = parse(&path, &existing)?;
    if existing == *manifest {
        return Ok(());
    }
    if same_job(&existing.job_id, &manifest.job_id) {
        return Err(SinkError::Manifest {
            path: path.to_string(),
            message: format!(
                "load {} of job `{}` was committed first by worker {} (load {}); this worker's load {} is refused and its files are removed by the job's next run",
                manifest.seq,
                manifest.job_id,
                existing.worker.as_deref().unwrap_or("unknown"),
                existing.load_id,
                manifest.load_id
            ),
        });
    }
    Err(SinkError::Manifest {
        path: path.to_string(),
        message: format!(
            "exists already, written by job `{}`: two jobs write into this folder",
            existing.job_id
        ),
    })
}

/// The names of the manifests (load ids, then `s{seq}.{job}`), oldest first.
pub async fn list_load_ids(
    store: &dyn ObjectStore,
    layout: &TableLayout,
) -> Result<Vec<String>, SinkError> {
    let prefix = layout.manifests_prefix();
    let mut ids: Vec<String> = list(store, &prefix)
        .await?
        .iter()
        .filter_map(|p| layout.parse_manifest(p))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Read and check one manifest by its name (see [`list_load_ids`]).
pub async fn read(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    name: &str,
) -> Result<Manifest, SinkError> {
    let path = layout.manifest_path(name);
    let bytes = get(store, &path).await?;
    parse(&path, &bytes)
}

/// The newest manifest of job `job_id` (highest sequence, else newest load id), or `None`
/// when the table has none of it. Manifests of other jobs are passed over; one that does not parse, newer than the one found, is an
/// error naming its path (never silently skipped: it may be this job's).
pub async fn latest(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    job_id: &str,
) -> Result<Option<Manifest>, SinkError> {
    for id in list_load_ids(store, layout).await?.iter().rev() {
        let path = layout.manifest_path(id);
        // Gone between list and get (a concurrent cleanup): look at the next one.
        if let Some(bytes) = get_opt(store, &path).await? {
            let m = parse(&path, &bytes)?;
            if same_job(&m.job_id, job_id) {
                return Ok(Some(m));
            }
        }
    }
    Ok(None)
}

pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Manifest, SinkError> {
    let err = |message: String| SinkError::Manifest {
        path: path.to_string(),
        message,
    };
    let m: Manifest =
        serde_json::from_slice(bytes).map_err(|e| err(format!("does not parse: {e}")))?;
    if m.version != MANIFEST_VERSION {
        return Err(err(format!(
            "version {} is not supported (this build reads version {MANIFEST_VERSION})",
            m.version
        )));
    }
    Ok(m)
}

pub(super) async fn list(store: &dyn ObjectStore, prefix: &Path) -> Result<Vec<Path>, SinkError> {
    store
        .list(Some(prefix))
        .map_ok(|meta| meta.location)
        .try_collect()
        .await
        .map_err(|e| SinkError::store("list", prefix, &e))
}

async fn get(store: &dyn ObjectStore, path: &Path) -> Result<bytes::Bytes, SinkError> {
    get_opt(store, path)
        .await?
        .ok_or_else(|| SinkError::Manifest {
            path: path.to_string(),
            message: "not found".into(),
        })
}

/// The bytes of an object, `None` when it does not exist.
pub(super) async fn get_opt(
    store: &dyn ObjectStore,
    path: &Path,
) -> Result<Option<bytes::Bytes>, SinkError> {
    let r = match store.get(path).await {
        Ok(r) => r,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(SinkError::store("get", path, &e)),
    };
    match r.bytes().await {
        Ok(b) => Ok(Some(b)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(SinkError::store("get", path, &e)),
    }
}

pub(super) async fn delete(store: &dyn ObjectStore, path: &Path) -> Result<(), SinkError> {
    match store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(SinkError::store("delete", path, &e)),
    }
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
