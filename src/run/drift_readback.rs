//! Reading back the rows a job committed at its watermark, from either table format, and
//! hashing them over given columns (as the boundary hashes rows) to stand for the previous
//! load's boundary keys when those cannot be recomputed.

use super::{DriftError, PreviousLoad};
use crate::config::{Job, LoadType};
use crate::plan::CursorValue;
use crate::plan::boundary::{cursor_values, native, row_hash};
use crate::run::job::JobError;
use crate::sink::layout::TableLayout;
use crate::sink::manifest::{self, FieldInfo};
use crate::table::delta::DeltaTarget;
use arrow::array::{ArrayRef, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashSet;
use std::str::FromStr;

/// Where a job's committed rows are, for reading them back.
pub enum Lake<'a> {
    /// Parquet files listed by the job's manifests in `layout`'s folder.
    Parquet {
        /// The destination container.
        store: &'a dyn ObjectStore,
        /// The job's table folder.
        layout: &'a TableLayout,
    },
    /// A Delta table's active data files.
    Delta {
        /// The destination container (the table's files are read through it).
        store: &'a dyn ObjectStore,
        /// The table.
        table: &'a DeltaTarget,
    },
}

impl Lake<'_> {
    /// The columns the table has, when the format keeps a table schema (Delta).
    pub(super) fn columns(&self) -> Option<Vec<String>> {
        match self {
            Lake::Parquet { .. } => None,
            Lake::Delta { table, .. } => table
                .schema()
                .map(|s| s.fields().map(|f| f.name().clone()).collect()),
        }
    }

    /// Hashes (over `columns`, cast to their types there) of the committed rows whose `cursor`
    /// equals `lo`. A column a file lacks reads as NULL there, as lake readers see it.
    pub(super) async fn read_back(
        &self,
        job: &Job,
        prev: &PreviousLoad<'_>,
        cursor: &str,
        lo: &CursorValue,
        columns: &[FieldInfo],
    ) -> Result<HashSet<String>, JobError> {
        let (store, files) = match self {
            Lake::Parquet { store, layout } => {
                (*store, manifest_files(job, prev, *store, layout).await?)
            }
            Lake::Delta { store, table } => {
                let files = table.files_reaching(cursor, lo).await?;
                let label = prev.load_id.to_string();
                (
                    *store,
                    files.into_iter().map(|f| (label.clone(), f)).collect(),
                )
            }
        };
        let mut keys = HashSet::new();
        for (load_id, path) in files {
            let fail = |message: String| DriftError::ReadBack {
                load_id: load_id.clone(),
                path: path.to_string(),
                message,
            };
            let bytes = match store.get(&path).await {
                Ok(r) => r.bytes().await.map_err(|e| fail(e.to_string()))?,
                Err(e) => return Err(fail(e.to_string()).into()),
            };
            hash_file(bytes, cursor, lo, columns, &mut keys).map_err(fail)?;
        }
        Ok(keys)
    }
}

/// The files (with their load ids) of this job's newest loads up to `prev` whose window ended
/// at `prev`'s upper bound: every row committed at it.
async fn manifest_files(
    job: &Job,
    prev: &PreviousLoad<'_>,
    store: &dyn ObjectStore,
    layout: &TableLayout,
) -> Result<Vec<(String, Path)>, JobError> {
    let watermark = prev.window.and_then(|w| w.to.clone());
    let mut files = Vec::new();
    for id in manifest::list_load_ids(store, layout).await?.iter().rev() {
        let m = manifest::read(store, layout, id).await?;
        if m.job_id != job.job_id || m.load_id.as_str() > prev.load_id {
            continue;
        }
        if m.load_type != LoadType::Incremental
            || m.window.as_ref().and_then(|w| w.to.clone()) != watermark
        {
            break;
        }
        files.extend(
            m.files
                .iter()
                .map(|f| (m.load_id.clone(), Path::from(f.path.as_str()))),
        );
    }
    Ok(files)
}

/// Add the hashes of one Parquet file's rows at `lo` to `keys`.
fn hash_file(
    bytes: bytes::Bytes,
    cursor: &str,
    lo: &CursorValue,
    columns: &[FieldInfo],
    keys: &mut HashSet<String>,
) -> Result<(), String> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| e.to_string())?;
    let schema = builder.schema().clone();
    let find = |name: &str| schema.fields().iter().position(|f| f.name() == name);
    let cursor_at = find(cursor).ok_or_else(|| format!("column `{cursor}` is not in the file"))?;
    // Each column's index in the file, `None` when the file predates it.
    let at: Vec<Option<usize>> = columns.iter().map(|c| find(&c.name)).collect();
    let mut roots: Vec<usize> = at.iter().flatten().copied().collect();
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
        let c = cursor_values(batch.column(pos(cursor_at))).map_err(|e| e.to_string())?;
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(at.len());
        for (field, i) in columns.iter().zip(&at) {
            let wanted = DataType::from_str(&field.data_type).ok();
            arrays.push(match (i, wanted) {
                (None, t) => new_null_array(&t.unwrap_or(DataType::Utf8), batch.num_rows()),
                (Some(i), Some(t)) if t != *batch.column(pos(*i)).data_type() => {
                    cast(batch.column(pos(*i)), &t).map_err(|e| e.to_string())?
                }
                (Some(i), _) => batch.column(pos(*i)).clone(),
            });
        }
        let formatters = arrays
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        for (row, value) in c.iter().enumerate() {
            if value.is_some() && *value == target {
                keys.insert(row_hash(&formatters, row));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::boundary::Boundary;
    use arrow::array::{Int32Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use std::sync::Arc;

    fn field(name: &str, data_type: &str) -> FieldInfo {
        FieldInfo {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
        }
    }

    /// Rows read back from a file hash as the boundary hashes the same rows now: a column the
    /// file predates as NULL, a column of another type cast to the one asked for.
    #[test]
    fn read_back_hashes_equal_the_boundary_hashes() {
        let file_schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("c", DataType::Int64, true),
            Field::new("v", DataType::Utf8, true),
        ]));
        let file = RecordBatch::try_new(
            file_schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![1, 2, 3])),
                Arc::new(Int64Array::from(vec![Some(5), Some(5), Some(4)])),
                Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
            ],
        )
        .unwrap();
        let mut w = ArrowWriter::try_new(Vec::new(), file_schema, None).unwrap();
        w.write(&file).unwrap();
        let bytes = bytes::Bytes::from(w.into_inner().unwrap());
        let columns = [
            field("id", "Int64"),
            field("c", "Int64"),
            field("v", "Utf8"),
            field("extra", "Int32"),
        ];
        let mut keys = HashSet::new();
        hash_file(bytes, "c", &CursorValue::Int(5), &columns, &mut keys).unwrap();
        assert_eq!(keys.len(), 2, "the two rows at 5");

        let now = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("c", DataType::Int64, true),
            Field::new("v", DataType::Utf8, true),
            Field::new("extra", DataType::Int32, true),
        ]));
        let rows = RecordBatch::try_new(
            now,
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(Int64Array::from(vec![5, 5])),
                Arc::new(StringArray::from(vec![Some("a"), None])),
                Arc::new(Int32Array::from(vec![None, None])),
            ],
        )
        .unwrap();
        let b = Boundary::new(
            1,
            &DataType::Int64,
            vec![],
            None,
            &CursorValue::Int(5),
            HashSet::new(),
        );
        let (_, at_hi) = b.apply(&rows).unwrap();
        assert_eq!(at_hi.into_iter().collect::<HashSet<_>>(), keys);
    }
}
