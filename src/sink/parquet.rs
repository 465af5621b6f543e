//! Arrow batches → Parquet files on an object store, streamed as multipart uploads, with
//! rollover to a new file past a size threshold. The columns of a row group are encoded on
//! several threads ([`super::parquet_encode`]); each finished row group is handed to the upload.

use super::error::{SinkError, redact};
use super::layout::{TableLayout, file_id};
use super::parquet_encode::FileEncoder;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use object_store::ObjectStore;
use object_store::ObjectStoreExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// Default rollover threshold: 256 MiB.
pub const DEFAULT_ROLLOVER_BYTES: u64 = 256 * 1024 * 1024;

/// How Parquet files are written.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Column compression (default ZSTD level 1; a destination's `compression` sets it).
    pub compression: Compression,
    /// Rows per row group (the job's `chunk_size`).
    pub row_group_rows: usize,
    /// Start a new file once a file reaches this many bytes (encoded, estimated).
    pub rollover_bytes: u64,
    /// Multipart part size in bytes.
    pub part_size: usize,
    /// Parallel part uploads per file.
    pub upload_concurrency: usize,
    /// Threads encoding the columns of a row group (default: the machine's cores).
    pub encode_threads: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            compression: default_compression(),
            row_group_rows: 100_000,
            rollover_bytes: DEFAULT_ROLLOVER_BYTES,
            part_size: super::store::DEFAULT_PART_SIZE,
            upload_concurrency: super::store::DEFAULT_UPLOAD_CONCURRENCY,
            encode_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl WriterOptions {
    /// Defaults with a destination's codec and transfer settings and the job's rows per row
    /// group.
    pub fn for_destination(dest: &super::store::Destination, row_group_rows: usize) -> Self {
        WriterOptions {
            compression: dest.compression(),
            row_group_rows,
            part_size: dest.part_size(),
            upload_concurrency: dest.upload_concurrency(),
            ..Default::default()
        }
    }
}

pub use super::compression::default_compression;

/// One data file written by a load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Full object path inside the container.
    pub path: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// What the Parquet footer says about the columns (not written to manifests).
    #[serde(skip)]
    pub stats: Option<FileStats>,
}

/// Column statistics of a finished file, read from its Parquet footer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileStats {
    /// NULLs per top-level column (columns whose row groups all report a count).
    pub null_counts: Vec<(String, u64)>,
    /// `(column, min, max)` as Delta's statistics JSON holds them ([`super::parquet_stats`]).
    pub bounds: Vec<(String, serde_json::Value, serde_json::Value)>,
}

impl FileStats {
    /// Sum the NULL counts of each top-level leaf column over the row groups, and take the
    /// bounds of the columns of `schema` (the file's Arrow schema).
    pub fn from_metadata(
        meta: &parquet::file::metadata::ParquetMetaData,
        schema: &arrow::datatypes::Schema,
    ) -> FileStats {
        let mut totals: Vec<(String, Option<u64>)> = Vec::new();
        for (i, rg) in meta.row_groups().iter().enumerate() {
            for (c, col) in rg.columns().iter().enumerate() {
                let parts = col.column_path().parts();
                let count = col.statistics().and_then(|s| s.null_count_opt());
                if i == 0 {
                    let name = (parts.len() == 1).then(|| parts[0].clone());
                    totals.push((name.unwrap_or_default(), count));
                } else if let Some(t) = totals.get_mut(c) {
                    t.1 = t.1.zip(count).map(|(a, b)| a + b);
                }
            }
        }
        FileStats {
            null_counts: totals
                .into_iter()
                .filter(|(name, _)| !name.is_empty())
                .filter_map(|(name, n)| n.map(|n| (name, n)))
                .collect(),
            bounds: super::parquet_stats::column_bounds(meta, schema),
        }
    }
}

/// The file currently being written: encoded in memory, a row group at a time handed to the
/// upload.
struct OpenFile {
    path: Path,
    encoder: FileEncoder,
    upload: BufWriter,
    rows: u64,
}

impl OpenFile {
    /// Encoded bytes, those of the open row group estimated.
    fn size(&self) -> u64 {
        self.encoder.bytes_written() as u64 + self.encoder.in_progress_size() as u64
    }

    /// Hand the encoded bytes to the upload (which sends a part once it has one).
    async fn drain(&mut self) -> Result<(), SinkError> {
        let bytes = self.encoder.take_buffer();
        if bytes.is_empty() {
            return Ok(());
        }
        self.upload
            .write_all(&bytes)
            .await
            .map_err(|e| SinkError::parquet(&self.path, &ParquetError::from(e)))
    }
}

/// Writes the batches of one chunk into `{load_id}.{chunk}-{seq}.parquet` files.
pub struct ChunkWriter {
    store: Arc<dyn ObjectStore>,
    layout: TableLayout,
    load_id: String,
    chunk: usize,
    schema: SchemaRef,
    opts: WriterOptions,
    props: WriterProperties,
    next_seq: usize,
    current: Option<OpenFile>,
    done: Vec<FileEntry>,
}

impl ChunkWriter {
    /// A writer for one chunk of a load; no file is created until the first row arrives.
    pub fn new(
        store: Arc<dyn ObjectStore>,
        layout: TableLayout,
        load_id: String,
        chunk: usize,
        schema: SchemaRef,
        opts: WriterOptions,
    ) -> ChunkWriter {
        let mut builder = WriterProperties::builder()
            .set_compression(opts.compression)
            .set_max_row_group_row_count(Some(opts.row_group_rows.max(1)));
        for field in schema
            .fields()
            .iter()
            .filter(|f| rarely_repeats(f.data_type()))
        {
            builder = builder
                .set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
        let props = builder.build();
        ChunkWriter {
            store,
            layout,
            load_id,
            chunk,
            schema,
            opts,
            props,
            next_seq: 0,
            current: None,
            done: Vec::new(),
        }
    }

    /// Number this writer's files from `seq` on (a retried chunk never reuses a name).
    pub fn starting_at(mut self, seq: usize) -> ChunkWriter {
        self.next_seq = seq;
        self
    }

    /// Files finished so far (the current file is not included).
    pub fn finished_files(&self) -> &[FileEntry] {
        &self.done
    }

    /// Bytes of the finished files and of the open one (encoded so far, estimated).
    pub fn bytes_so_far(&self) -> u64 {
        let open = self.current.as_ref().map_or(0, OpenFile::size);
        self.done.iter().map(|f| f.bytes).sum::<u64>() + open
    }

    /// Append a batch; rolls over to a new file once the current one reaches the threshold.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), SinkError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.current.is_none() {
            self.current = Some(self.open()?);
        }
        let Some(file) = self.current.as_mut() else {
            return Ok(());
        };
        let row_group_done = file
            .encoder
            .write(batch)
            .map_err(|e| SinkError::parquet(&file.path, &e))?;
        if row_group_done {
            file.drain().await?;
        }
        file.rows += batch.num_rows() as u64;
        if file.size() >= self.opts.rollover_bytes
            && let Some(file) = self.current.take()
        {
            let entry = close(file, &self.schema).await?;
            self.done.push(entry);
        }
        Ok(())
    }

    /// Close the open file and return every file written, in order.
    pub async fn finish(mut self) -> Result<Vec<FileEntry>, SinkError> {
        if let Some(file) = self.current.take() {
            let entry = close(file, &self.schema).await?;
            self.done.push(entry);
        }
        Ok(self.done)
    }

    /// Best effort: abort the open upload and delete the files this writer already finished.
    pub async fn abort(mut self) {
        if let Some(file) = self.current.take() {
            let OpenFile {
                path, mut upload, ..
            } = file;
            if let Err(e) = upload.abort().await {
                tracing::debug!("aborting upload of {path}: {}", redact(&e.to_string()));
            }
            // A small file may already have been put in one piece.
            let _ = self.store.delete(&path).await;
        }
        for f in &self.done {
            if let Err(e) = self.store.delete(&Path::from(f.path.as_str())).await {
                tracing::warn!(
                    "could not remove {} after a failed load: {}",
                    f.path,
                    redact(&e.to_string())
                );
            }
        }
    }

    fn open(&mut self) -> Result<OpenFile, SinkError> {
        let path = self
            .layout
            .data_path(&self.load_id, &file_id(self.chunk, self.next_seq));
        self.next_seq += 1;
        let upload = BufWriter::with_capacity(
            Arc::clone(&self.store),
            path.clone(),
            self.opts.part_size.max(1),
        )
        .with_max_concurrency(self.opts.upload_concurrency.max(1));
        let encoder = FileEncoder::try_new(
            Arc::clone(&self.schema),
            self.props.clone(),
            self.opts.encode_threads,
        )
        .map_err(|e| SinkError::parquet(&path, &e))?;
        Ok(OpenFile {
            path,
            encoder,
            upload,
            rows: 0,
        })
    }
}

/// Finish a file: footer written, upload completed.
async fn close(mut file: OpenFile, schema: &SchemaRef) -> Result<FileEntry, SinkError> {
    let meta = file
        .encoder
        .finish()
        .map_err(|e| SinkError::parquet(&file.path, &e))?;
    file.drain().await?;
    let upload_err = |e: std::io::Error| SinkError::parquet(&file.path, &ParquetError::from(e));
    file.upload.flush().await.map_err(upload_err)?;
    file.upload.shutdown().await.map_err(upload_err)?;
    Ok(FileEntry {
        path: file.path.to_string(),
        rows: file.rows,
        bytes: file.encoder.bytes_written() as u64,
        stats: Some(FileStats::from_metadata(&meta, schema)),
    })
}

/// Types whose values seldom repeat: a dictionary costs time and then falls back to plain
/// encoding anyway, so these columns skip it (text, integers, dates and booleans keep it).
fn rarely_repeats(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Decimal256(..)
            | DataType::Timestamp(..)
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Duration(_)
            | DataType::FixedSizeBinary(_)
            | DataType::Binary
            | DataType::LargeBinary
    )
}

#[cfg(test)]
#[path = "parquet_tests.rs"]
mod tests;
