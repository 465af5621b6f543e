//! One Parquet file encoded into memory with the columns of each row group encoded on
//! several threads: parquet's `ArrowColumnWriter`s, one per leaf column, written and closed in
//! parallel and appended to the row group in schema order. The bytes are the same as
//! `ArrowWriter`'s for the same properties; the caller drains them after each row group.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory,
    compute_leaves,
};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use std::sync::Mutex;

/// Below this many rows a batch is encoded on the calling thread (threads cost more).
const PARALLEL_MIN_ROWS: usize = 4096;

/// The row group being filled: a writer per leaf column and the rows buffered in them.
struct RowGroup {
    writers: Vec<ArrowColumnWriter>,
    rows: usize,
}

/// Encodes record batches into row groups of at most `max_rows` rows, in memory.
pub struct FileEncoder {
    file: SerializedFileWriter<Vec<u8>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    max_rows: usize,
    threads: usize,
    open: Option<RowGroup>,
}

impl FileEncoder {
    /// An encoder for `schema` with `props` (its row count limit sets the row groups) using up
    /// to `threads` threads per row group.
    pub fn try_new(
        schema: SchemaRef,
        props: WriterProperties,
        threads: usize,
    ) -> Result<FileEncoder> {
        let max_rows = props.max_row_group_row_count().unwrap_or(usize::MAX).max(1);
        if props.max_row_group_bytes().is_some() || props.content_defined_chunking().is_some() {
            return Err(ParquetError::General(
                "row groups limited by bytes or content-defined chunks are not supported".into(),
            ));
        }
        // ArrowWriter builds the file writer as it would itself (Parquet schema, the Arrow
        // schema in the footer's metadata); the column writers then come from its factory.
        let (file, factory) = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props))?
            .into_serialized_writer()?;
        Ok(FileEncoder {
            file,
            factory,
            schema,
            max_rows,
            threads: threads.max(1),
            open: None,
        })
    }

    /// Encode a batch; returns whether a row group was completed (its bytes are buffered).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<bool> {
        let mut flushed = false;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let group = match &mut self.open {
                Some(g) => g,
                open => open.insert(RowGroup {
                    writers: self
                        .factory
                        .create_column_writers(self.file.flushed_row_groups().len())?,
                    rows: 0,
                }),
            };
            let take = (batch.num_rows() - offset).min(self.max_rows - group.rows);
            let part = batch.slice(offset, take);
            let mut leaves = Vec::with_capacity(group.writers.len());
            for (field, column) in self.schema.fields().iter().zip(part.columns()) {
                leaves.extend(compute_leaves(field, column)?);
            }
            let threads = if take >= PARALLEL_MIN_ROWS {
                self.threads
            } else {
                1
            };
            write_leaves(&mut group.writers, leaves, threads)?;
            group.rows += take;
            offset += take;
            if group.rows >= self.max_rows {
                self.flush()?;
                flushed = true;
            }
        }
        Ok(flushed)
    }

    /// Close the open row group (if any) into the buffer.
    pub fn flush(&mut self) -> Result<()> {
        let Some(group) = self.open.take() else {
            return Ok(());
        };
        let chunks = close_writers(group.writers, self.threads)?;
        let mut row_group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }

    /// The encoded bytes not taken yet.
    pub fn take_buffer(&mut self) -> Vec<u8> {
        std::mem::take(self.file.inner_mut())
    }

    /// Bytes of the file so far (taken or not), without the open row group.
    pub fn bytes_written(&self) -> usize {
        self.file.bytes_written()
    }

    /// Estimated encoded size of the open row group.
    pub fn in_progress_size(&self) -> usize {
        self.open.as_ref().map_or(0, |g| {
            g.writers
                .iter()
                .map(ArrowColumnWriter::get_estimated_total_bytes)
                .sum()
        })
    }

    /// Close the open row group and write the footer; the rest of the bytes stay buffered.
    pub fn finish(&mut self) -> Result<ParquetMetaData> {
        self.flush()?;
        self.file.finish()
    }
}

/// Write each leaf to its writer (same order), on up to `threads` threads.
fn write_leaves(
    writers: &mut [ArrowColumnWriter],
    leaves: Vec<ArrowLeafColumn>,
    threads: usize,
) -> Result<()> {
    if writers.len() != leaves.len() {
        return Err(ParquetError::General(format!(
            "{} leaf columns for {} column writers",
            leaves.len(),
            writers.len()
        )));
    }
    let mut work: Vec<(&mut ArrowColumnWriter, ArrowLeafColumn)> =
        writers.iter_mut().zip(leaves).collect();
    in_parallel(&mut work, threads, |(writer, leaf)| writer.write(leaf))
}

/// Close every writer into its column chunk (same order), on up to `threads` threads.
fn close_writers(writers: Vec<ArrowColumnWriter>, threads: usize) -> Result<Vec<ArrowColumnChunk>> {
    let mut work: Vec<(Option<ArrowColumnWriter>, Option<ArrowColumnChunk>)> =
        writers.into_iter().map(|w| (Some(w), None)).collect();
    in_parallel(&mut work, threads, |(writer, chunk)| {
        if let Some(w) = writer.take() {
            *chunk = Some(w.close()?);
        }
        Ok(())
    })?;
    work.into_iter()
        .map(|(_, chunk)| {
            chunk.ok_or_else(|| ParquetError::General("a column writer was not closed".into()))
        })
        .collect()
}

/// Run `f` on every item, the items shared out to up to `threads` scoped threads as each
/// finishes its last one (the calling thread alone when one is enough). The first error wins.
fn in_parallel<T: Send>(
    items: &mut [T],
    threads: usize,
    f: impl Fn(&mut T) -> Result<()> + Sync,
) -> Result<()> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter_mut().try_for_each(f);
    }
    let queue = Mutex::new(items.iter_mut());
    // Nothing panics while the lock is held; a poisoned lock still hands out the rest.
    let next = || queue.lock().unwrap_or_else(|e| e.into_inner()).next();
    let work = || -> Result<()> {
        while let Some(item) = next() {
            f(item)?;
        }
        Ok(())
    };
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mine = work();
        helpers
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ParquetError::General(
                        "a Parquet encoding thread panicked".into(),
                    ))
                })
            })
            .fold(mine, |acc, r| acc.and(r))
    })
}

#[cfg(test)]
#[path = "parquet_encode_tests.rs"]
mod tests;
