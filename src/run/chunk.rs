//! Extracting the chunks of a load in parallel, each into its own Parquet files.

use super::RetryPolicy;
use super::job::{ChunkCause, JobContext, JobError};
use super::plan::JobPlan;
use crate::config::Job;
use crate::plan::boundary::Boundary;
use crate::plan::column::column_index;
use crate::plan::sql::{self, Relation};
use crate::sink::layout::TableLayout;
use crate::sink::parquet::{ChunkWriter, FileEntry, WriterOptions};
use crate::source::{Extract, Source};
use futures::StreamExt;
use object_store::ObjectStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the chunks of a load wrote.
pub(super) struct Loaded {
    /// Files of every chunk, in chunk order.
    pub files: Vec<FileEntry>,
    /// Rows read from the source.
    pub rows_extracted: u64,
    /// Rows written (boundary duplicates dropped).
    pub rows_written: u64,
    /// Keys of the rows at the window's upper bound.
    pub at_hi: Vec<String>,
}

pub(super) async fn extract_all(
    job: &Job,
    ctx: &JobContext,
    store: &Arc<dyn ObjectStore>,
    layout: &TableLayout,
    load_id: &str,
    plan: &JobPlan,
) -> Result<Loaded, JobError> {
    let d = ctx.source.dialect();
    let rel = Relation::of(job);
    let key_columns = job
        .primary_key
        .iter()
        .map(|k| column_index(&plan.schema, k))
        .collect::<Result<Vec<_>, _>>()?;
    let boundary = match &plan.window {
        Some(w) => {
            let idx = column_index(&plan.schema, &w.column)?;
            Some(
                Boundary::new(
                    idx,
                    plan.schema.field(idx).data_type(),
                    key_columns.clone(),
                    w.lo.as_ref(),
                    &w.hi,
                    plan.previous_keys.clone(),
                )
                .matching(plan.boundary_match.clone()),
            )
        }
        None => None,
    };
    let estimate = crate::progress::estimate::load_rows(
        ctx.source.as_ref(),
        &rel,
        plan.window.as_ref(),
        plan.lowest.as_ref(),
    )
    .await;
    ctx.progress.start(estimate);
    let failed = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for chunk in &plan.chunks {
        let chunk_plan = (!chunk.column.is_empty()).then_some(chunk);
        let spec = Extract {
            query: sql::select_sql(d, &rel, plan.window.as_ref(), chunk_plan),
            schema: plan.schema.clone(),
            native: plan.native.clone(),
            batch_rows: job.chunk_size,
            key_columns: key_columns.clone(),
            window: plan.window.clone(),
        };
        let opts = WriterOptions::for_destination(&ctx.destination, job.chunk_size);
        let task = ChunkTask {
            index: chunk.index,
            source: ctx.source.clone(),
            boundary: boundary.clone(),
            cancel: ctx.cancel.clone(),
            failed: failed.clone(),
            progress: ctx.progress.clone(),
            retry: ctx.retry,
            job_id: job.job_id.clone(),
            writer: WriterSpec {
                store: store.clone(),
                layout: layout.clone(),
                load_id: load_id.to_string(),
                schema: plan.schema.clone(),
                opts,
            },
        };
        tasks.push(tokio::spawn(task.run(spec)));
    }
    let mut loaded = Loaded {
        files: Vec::new(),
        rows_extracted: 0,
        rows_written: 0,
        at_hi: Vec::new(),
    };
    let mut first_error = None;
    for t in futures::future::join_all(tasks).await {
        match t {
            Ok(Ok(out)) => {
                loaded.files.extend(out.files);
                loaded.rows_extracted += out.rows_extracted;
                loaded.rows_written += out.rows_written;
                loaded.at_hi.extend(out.at_hi);
            }
            Ok(Err(e)) => {
                // Report the cause, not a chunk that stopped because of it.
                if first_error.as_ref().is_none_or(|f| rank(&e) > rank(f)) {
                    first_error = Some(e)
                }
            }
            Err(join) => first_error = first_error.or(Some(JobError::Task(join))),
        }
    }
    if let Some(e) = first_error {
        // Files already finished by healthy chunks are leftovers: never listed, removed later.
        return Err(e);
    }
    Ok(loaded)
}

/// How much a chunk's error says about why the load failed: a cause, Ctrl-C, or a chunk that
/// only stopped because another one failed.
fn rank(e: &JobError) -> u8 {
    match e {
        JobError::Stopped { .. } => 0,
        JobError::Interrupted => 1,
        _ => 2,
    }
}

/// What a chunk needs to open its Parquet writer (again, when it is retried).
struct WriterSpec {
    store: Arc<dyn ObjectStore>,
    layout: TableLayout,
    load_id: String,
    schema: arrow::datatypes::SchemaRef,
    opts: WriterOptions,
}

struct ChunkTask {
    index: usize,
    source: Arc<dyn Source>,
    boundary: Option<Boundary>,
    cancel: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    progress: crate::progress::JobProgress,
    retry: RetryPolicy,
    job_id: String,
    writer: WriterSpec,
}

struct ChunkOut {
    files: Vec<FileEntry>,
    rows_extracted: u64,
    rows_written: u64,
    at_hi: Vec<String>,
}

/// Files a retry numbers from: attempt `n` writes `{chunk}-{n * RETRY_SEQ_STEP + seq}`.
const RETRY_SEQ_STEP: usize = 1000;

impl ChunkTask {
    /// Extract and write the chunk; after a transient error — of the source (lost connection,
    /// server shutdown, serialization failure) or of the destination (unreachable, server
    /// errors after the store's own request retries) — start it over into fresh files, up to
    /// the policy's limit.
    async fn run(self, spec: Extract) -> Result<ChunkOut, JobError> {
        let mut attempt = 0u32;
        loop {
            let w = &self.writer;
            let mut writer = ChunkWriter::new(
                w.store.clone(),
                w.layout.clone(),
                w.load_id.clone(),
                self.index,
                w.schema.clone(),
                w.opts.clone(),
            )
            .starting_at(attempt as usize * RETRY_SEQ_STEP);
            let (mut written, mut bytes) = (0u64, 0u64);
            let result = self
                .pump(spec.clone(), &mut writer, &mut written, &mut bytes)
                .await;
            let error = match result {
                Ok((rows_extracted, rows_written, at_hi)) => match writer.finish().await {
                    Ok(files) => {
                        return Ok(ChunkOut {
                            files,
                            rows_extracted,
                            rows_written,
                            at_hi,
                        });
                    }
                    Err(e) => self.fail(e),
                },
                Err(failure) => {
                    writer.abort().await;
                    failure
                }
            };
            self.progress.dec(written);
            self.progress.add_bytes(-(bytes as i64));
            let stopping = self.cancel.load(Ordering::SeqCst) || self.failed.load(Ordering::SeqCst);
            if !error.is_transient() || stopping || attempt >= self.retry.max_retries {
                self.failed.store(true, Ordering::SeqCst);
                return Err(error);
            }
            attempt += 1;
            let delay = self.retry.delay(attempt);
            tracing::warn!(
                "{}: chunk {}: {error}; retrying the chunk from its start in {:.1} s (retry {attempt} of {})",
                self.job_id,
                self.index,
                delay.as_secs_f64(),
                self.retry.max_retries
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Stream the chunk into `writer`.
    async fn pump(
        &self,
        spec: Extract,
        writer: &mut ChunkWriter,
        written: &mut u64,
        bytes: &mut u64,
    ) -> Result<(u64, u64, Vec<String>), JobError> {
        let mut stream = self.source.extract(spec);
        let (mut extracted, mut at_hi) = (0u64, Vec::new());
        let mut batches = 0u64;
        while let Some(batch) = stream.next().await {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(JobError::Interrupted);
            }
            if self.failed.load(Ordering::SeqCst) {
                return Err(JobError::Stopped { chunk: self.index });
            }
            let batch = batch.map_err(|e| self.fail(e))?;
            extracted += batch.num_rows() as u64;
            let batch = match &self.boundary {
                Some(b) => {
                    let (kept, keys) = b.apply(&batch).map_err(|e| self.fail(e))?;
                    at_hi.extend(keys);
                    kept
                }
                None => batch,
            };
            if batch.num_rows() > 0 {
                writer.write(&batch).await.map_err(|e| self.fail(e))?;
                batches += 1;
                if batches == 2 {
                    crate::fault::point("writing");
                }
                let now = writer.bytes_so_far();
                self.progress.add_bytes(now as i64 - *bytes as i64);
                *bytes = now;
            }
            *written += batch.num_rows() as u64;
            self.progress.inc(batch.num_rows() as u64);
        }
        Ok((extracted, *written, at_hi))
    }

    fn fail(&self, cause: impl Into<ChunkCause>) -> JobError {
        JobError::Chunk {
            chunk: self.index,
            cause: cause.into(),
        }
    }
}
