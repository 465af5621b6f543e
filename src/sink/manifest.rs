//! Load manifests (`_ingest_loads/{load_id}.json`): the record that commits a load, and the
//! cleanup of files no manifest needs any more.

use super::error::SinkError;
use super::layout::TableLayout;
use super::parquet::FileEntry;
use super::schema_diff::SchemaDiff;
use crate::config::job::LoadType;
use crate::plan::cursor::CursorKind;
use arrow::datatypes::Schema;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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

/// What [`cleanup`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    /// Data files removed.
    pub removed_files: Vec<String>,
    /// Manifests removed.
    pub removed_manifests: Vec<String>,
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

/// Write a manifest (one `put` of pretty JSON): this is the commit of a load.
pub async fn write(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    manifest: &Manifest,
) -> Result<(), SinkError> {
    let path = layout.manifest_path(&manifest.load_id);
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| SinkError::Manifest {
        path: path.to_string(),
        message: format!("cannot encode: {e}"),
    })?;
    store
        .put(&path, PutPayload::from(json))
        .await
        .map_err(|e| SinkError::store("put", &path, &e))?;
    Ok(())
}

/// The load ids that have a manifest, oldest first.
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

/// Read and check one manifest.
pub async fn read(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    load_id: &str,
) -> Result<Manifest, SinkError> {
    let path = layout.manifest_path(load_id);
    let bytes = get(store, &path).await?;
    parse(&path, &bytes)
}

/// The newest manifest, or `None` when the table has none. A newest manifest that does not
/// parse is an error naming its path (never silently skipped).
pub async fn latest(
    store: &dyn ObjectStore,
    layout: &TableLayout,
) -> Result<Option<Manifest>, SinkError> {
    for id in list_load_ids(store, layout).await?.iter().rev() {
        let path = layout.manifest_path(id);
        // Gone between list and get (a concurrent cleanup): look at the next one.
        if let Some(bytes) = get_opt(store, &path).await? {
            return parse(&path, &bytes).map(Some);
        }
    }
    Ok(None)
}

/// After a successful commit: for FULL, delete every data file `committed` does not list and
/// the older manifests; for INCREMENTAL, delete the data files no manifest lists (leftovers of
/// failed runs). Files of loads newer than `committed` are never touched.
pub async fn cleanup(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    committed: &Manifest,
) -> Result<CleanupReport, SinkError> {
    if committed.load_type == LoadType::Incremental {
        return remove_leftovers(store, layout, &committed.load_id).await;
    }
    let keep: HashSet<String> = committed.files.iter().map(|f| f.path.clone()).collect();
    let mut report = CleanupReport {
        removed_files: remove_unlisted(store, layout, &keep, &committed.load_id).await?,
        ..CleanupReport::default()
    };
    for id in list_load_ids(store, layout)
        .await?
        .iter()
        .filter(|id| **id < committed.load_id)
    {
        let path = layout.manifest_path(id);
        delete(store, &path).await?;
        report.removed_manifests.push(path.to_string());
    }
    Ok(report)
}

/// Delete the data files of loads up to `until` (a load id) that no manifest lists: what failed
/// or killed runs left. Used after every successful run, also one that loaded nothing.
pub async fn remove_leftovers(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    until: &str,
) -> Result<CleanupReport, SinkError> {
    let mut keep = HashSet::new();
    for id in list_load_ids(store, layout).await? {
        let path = layout.manifest_path(&id);
        // Deleted meanwhile: its files are no longer protected by it.
        if let Some(bytes) = get_opt(store, &path).await? {
            keep.extend(parse(&path, &bytes)?.files.into_iter().map(|f| f.path));
        }
    }
    let removed_files = remove_unlisted(store, layout, &keep, until).await?;
    Ok(CleanupReport {
        removed_files,
        ..CleanupReport::default()
    })
}

/// Delete data files of loads up to `until` whose path is not in `keep`.
async fn remove_unlisted(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    keep: &HashSet<String>,
    until: &str,
) -> Result<Vec<String>, SinkError> {
    let mut removed = Vec::new();
    for path in list(store, &layout.data_prefix()).await? {
        let Some((load_id, _)) = layout.parse_data_file(&path) else {
            continue;
        };
        let name = path.to_string();
        if load_id.as_str() > until || keep.contains(&name) {
            continue;
        }
        delete(store, &path).await?;
        removed.push(name);
    }
    Ok(removed)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Manifest, SinkError> {
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

async fn list(store: &dyn ObjectStore, prefix: &Path) -> Result<Vec<Path>, SinkError> {
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
async fn get_opt(store: &dyn ObjectStore, path: &Path) -> Result<Option<bytes::Bytes>, SinkError> {
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

async fn delete(store: &dyn ObjectStore, path: &Path) -> Result<(), SinkError> {
    match store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(SinkError::store("delete", path, &e)),
    }
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
