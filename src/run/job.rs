//! One job: adopt a newer manifest, plan the window and chunks, extract, write, commit.

use super::boundary::{BOUNDARY_CAP, Boundary};
use super::summary::{JobReport, Status};
use crate::config::{Job, LoadType};
use crate::plan::chunk::{self, Chunk};
use crate::plan::sql::{self, Relation};
use crate::plan::window::Window;
use crate::plan::{CursorKind, CursorValue, Watermark};
use crate::sink::layout::{TableLayout, new_load_id};
use crate::sink::manifest::{self, Manifest, ManifestWindow};
use crate::sink::parquet::{ChunkWriter, FileEntry, WriterOptions};
use crate::sink::store::Destination;
use crate::source::{Extract, Source};
use crate::state::store::{JobState, STATE_VERSION, StateStore};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use chrono::Utc;
use futures::StreamExt;
use indicatif::ProgressBar;
use object_store::ObjectStore;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Everything a job needs besides its row of the workbook.
pub struct JobContext {
    /// The source, opened.
    pub source: Arc<dyn Source>,
    /// The destination.
    pub destination: Arc<Destination>,
    /// Local state.
    pub state: Arc<StateStore>,
    /// Ignore stored state: reload everything and replace earlier loads.
    pub full_refresh: bool,
    /// Plan only.
    pub dry_run: bool,
    /// Set on Ctrl-C: stop between batches, commit nothing.
    pub cancel: Arc<AtomicBool>,
    /// Rows progress.
    pub progress: ProgressBar,
}

/// Why a job failed; the message is one line and names what was being done.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Reading the source.
    #[error("{0}")]
    Source(#[from] crate::source::SourceError),
    /// Writing the destination.
    #[error("{0}")]
    Sink(#[from] crate::sink::SinkError),
    /// Reading or writing state.
    #[error("{0}")]
    State(#[from] crate::state::StateError),
    /// Planning the window or chunks.
    #[error("{0}")]
    Plan(String),
    /// A chunk failed.
    #[error("chunk {chunk}: {message}")]
    Chunk {
        /// Chunk number.
        chunk: usize,
        /// What went wrong.
        message: String,
    },
    /// Ctrl-C.
    #[error("interrupted: nothing of this load was committed")]
    Interrupted,
}

/// The plan of one job.
#[derive(Debug)]
pub struct JobPlan {
    /// Result schema.
    pub schema: SchemaRef,
    /// The incremental window, if any (None for FULL).
    pub window: Option<Window>,
    /// Cursor kind of the window column.
    pub kind: Option<CursorKind>,
    /// Chunks.
    pub chunks: Vec<Chunk>,
    /// Boundary keys stored at `lo`.
    pub previous_keys: HashSet<String>,
    /// Whether there is anything to read.
    pub empty: bool,
}

/// Run one job and report; never panics, never commits a partial load.
pub async fn run(job: &Job, ctx: &JobContext) -> JobReport {
    let started = Instant::now();
    let started_at = Utc::now();
    let mut report = JobReport::empty(&job.job_id, Status::Success);
    if let Err(e) = execute(job, ctx, &mut report, started_at).await {
        report.status = Status::Failed;
        report.error = Some(e.to_string());
    } else if ctx.dry_run {
        report.status = Status::Skipped;
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

async fn execute(
    job: &Job,
    ctx: &JobContext,
    report: &mut JobReport,
    started_at: chrono::DateTime<Utc>,
) -> Result<(), JobError> {
    let layout = TableLayout::new(
        &job.target_folder_path,
        &job.source_name,
        job.output_table(),
    );
    let mut state = ctx.state.load(&job.job_id)?;
    if ctx.dry_run {
        // Plans from local state only: the destination is not opened, nothing is created.
        let stored = if ctx.full_refresh {
            None
        } else {
            state.as_ref()
        };
        print_plan(
            job,
            ctx.source.dialect(),
            &plan(job, ctx.source.as_ref(), stored).await?,
        );
        return Ok(());
    }
    let store = ctx.destination.store(&job.target_container)?;
    if !ctx.full_refresh {
        adopt_newer_manifest(job, ctx, &store, &layout, &mut state).await?;
    }
    let stored = if ctx.full_refresh {
        None
    } else {
        state.as_ref()
    };
    let plan = plan(job, ctx.source.as_ref(), stored).await?;
    report.watermark_from = plan
        .window
        .as_ref()
        .and_then(|w| w.lo.as_ref())
        .map(|v| v.to_text());
    report.watermark = stored
        .and_then(|s| s.watermark.as_ref())
        .map(|w| w.value.clone());
    let load_type = if ctx.full_refresh {
        LoadType::Full
    } else {
        job.load_type
    };
    let load_id = new_load_id(Utc::now());
    if plan.empty && load_type == LoadType::Incremental {
        tracing::info!("{}: no new rows", job.job_id);
        tidy(job, ctx, store.as_ref(), &layout, None, &load_id).await;
        return Ok(());
    }
    let loaded = extract_all(job, ctx, &store, &layout, &load_id, &plan).await?;
    report.rows_extracted = loaded.rows_extracted;
    report.rows = loaded.rows_written;
    report.files = loaded.files.len() as u64;
    report.bytes = loaded.files.iter().map(|f| f.bytes).sum();
    if load_type == LoadType::Incremental && loaded.rows_written == 0 {
        tracing::info!("{}: no new rows", job.job_id);
        tidy(job, ctx, store.as_ref(), &layout, None, &load_id).await;
        return Ok(());
    }
    let boundary_keys = new_boundary_keys(&plan, loaded.at_hi)?;
    let window = plan.window.as_ref().map(|w| ManifestWindow {
        column: w.column.clone(),
        kind: w.hi.kind(),
        from: w.lo.as_ref().map(CursorValue::to_text),
        to: Some(w.hi.to_text()),
    });
    let manifest = Manifest {
        version: 1,
        load_id: load_id.clone(),
        job_id: job.job_id.clone(),
        load_type,
        source: job.source_name.clone(),
        table: job.output_table().to_string(),
        window,
        boundary_keys: boundary_keys.clone(),
        files: loaded.files,
        rows: loaded.rows_written,
        schema: manifest::schema_fields(&plan.schema),
        started_at,
        finished_at: Utc::now(),
    };
    // The commit: the manifest makes the load visible; state is a local copy of it.
    manifest::write(store.as_ref(), &layout, &manifest).await?;
    report.load_id = Some(load_id.clone());
    let previous_total = state.as_ref().map_or(0, |s| s.rows_loaded_total);
    let new_state = JobState {
        version: STATE_VERSION,
        job_id: job.job_id.clone(),
        load_type: job.load_type,
        watermark: plan
            .window
            .as_ref()
            .map(|w| Watermark::new(w.column.clone(), &w.hi)),
        boundary_keys,
        last_load_id: Some(load_id.clone()),
        last_success_at: Some(Utc::now()),
        rows_loaded_total: previous_total + manifest.rows,
        schema_fingerprint: Some(fingerprint(&plan.schema)),
    };
    ctx.state.save(&new_state).map_err(|e| {
        JobError::Plan(format!(
            "load {} is committed but its state was not saved ({e}); the next run adopts it",
            manifest.load_id
        ))
    })?;
    ctx.state.update_summary(&new_state)?;
    report.watermark = new_state.watermark.as_ref().map(|w| w.value.clone());
    tidy(job, ctx, store.as_ref(), &layout, Some(&manifest), &load_id).await;
    Ok(())
}

/// After a successful run: remove what failed or killed runs left (data files no manifest
/// lists, unfinished uploads) and, after a FULL commit, the earlier loads. Failures only warn.
async fn tidy(
    job: &Job,
    ctx: &JobContext,
    store: &dyn ObjectStore,
    layout: &TableLayout,
    committed: Option<&Manifest>,
    load_id: &str,
) {
    let staging = ctx
        .destination
        .remove_staging(&job.target_container, layout.prefix().as_ref());
    if staging > 0 {
        tracing::info!(
            "{}: removed {staging} unfinished upload files of killed runs",
            job.job_id
        );
    }
    let result = match committed {
        Some(m) => manifest::cleanup(store, layout, m).await,
        None => manifest::remove_leftovers(store, layout, load_id).await,
    };
    match result {
        Ok(r) if !r.removed_files.is_empty() => tracing::info!(
            "{}: removed {} files of earlier or failed loads",
            job.job_id,
            r.removed_files.len()
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!("{}: could not remove earlier files: {e}", job.job_id),
    }
}

/// A crash between the manifest and the state write leaves a manifest newer than the state:
/// take its watermark and keys, so the window is not loaded twice.
async fn adopt_newer_manifest(
    job: &Job,
    ctx: &JobContext,
    store: &Arc<dyn ObjectStore>,
    layout: &TableLayout,
    state: &mut Option<JobState>,
) -> Result<(), JobError> {
    let Some(m) = manifest::latest(store.as_ref(), layout).await? else {
        return Ok(());
    };
    if m.job_id != job.job_id {
        return Ok(());
    }
    let known = state.as_ref().and_then(|s| s.last_load_id.clone());
    if known.as_ref().is_some_and(|id| *id >= m.load_id) {
        return Ok(());
    }
    tracing::warn!(
        "{}: adopting load {} found in the destination (newer than local state)",
        job.job_id,
        m.load_id
    );
    let previous_total = state.as_ref().map_or(0, |s| s.rows_loaded_total);
    let adopted = JobState {
        version: STATE_VERSION,
        job_id: job.job_id.clone(),
        load_type: job.load_type,
        watermark: m.window.as_ref().and_then(|w| {
            w.to.as_ref().map(|to| Watermark {
                column: w.column.clone(),
                kind: w.kind,
                value: to.clone(),
            })
        }),
        boundary_keys: m.boundary_keys.clone(),
        last_load_id: Some(m.load_id.clone()),
        last_success_at: Some(m.finished_at),
        rows_loaded_total: previous_total + m.rows,
        schema_fingerprint: None,
    };
    ctx.state.save(&adopted)?;
    ctx.state.update_summary(&adopted)?;
    *state = Some(adopted);
    Ok(())
}

/// Find a workbook column name in the schema: a quoted name exactly, a plain one ignoring case.
pub fn column_index(schema: &Schema, name: &str) -> Result<usize, JobError> {
    let (inner, exact) = match name.chars().next() {
        Some('"') | Some('[') | Some('`') if name.len() >= 2 => (&name[1..name.len() - 1], true),
        _ => (name, false),
    };
    schema
        .fields()
        .iter()
        .position(|f| {
            if exact {
                f.name() == inner
            } else {
                f.name().eq_ignore_ascii_case(inner)
            }
        })
        .ok_or_else(|| JobError::Plan(format!("column `{name}` is not in the source's result")))
}

/// The cursor kind of an Arrow type, if it can be a cursor.
pub fn cursor_kind(data_type: &DataType) -> Option<CursorKind> {
    match data_type {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            Some(CursorKind::Int)
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            Some(CursorKind::Int)
        }
        // Whole-number decimals (Oracle NUMBER(p,0) with p > 18, NUMERIC(p,0)) are integers.
        DataType::Decimal128(_, 0) => Some(CursorKind::Int),
        DataType::Date32 | DataType::Date64 => Some(CursorKind::Date),
        DataType::Timestamp(_, None) => Some(CursorKind::Timestamp),
        DataType::Timestamp(_, Some(_)) => Some(CursorKind::TimestampTz),
        _ => None,
    }
}

async fn plan(
    job: &Job,
    source: &dyn Source,
    state: Option<&JobState>,
) -> Result<JobPlan, JobError> {
    let d = source.dialect();
    let rel = Relation::of(job);
    let schema = source.describe(&rel).await?;
    let mut previous_keys = HashSet::new();
    let (mut window, mut kind, mut empty) = (None, None, false);
    if job.load_type == LoadType::Incremental {
        let column = job.watermark_column.clone().unwrap_or_default();
        let idx = column_index(&schema, &column)?;
        let k = cursor_kind(schema.field(idx).data_type()).ok_or_else(|| {
            JobError::Plan(format!(
                "watermark column `{column}` has type {}, which cannot be a cursor (integer, date or timestamp)",
                schema.field(idx).data_type()
            ))
        })?;
        kind = Some(k);
        let lo = match state.and_then(|s| s.watermark.as_ref()) {
            Some(w) => {
                if !w.column.eq_ignore_ascii_case(&column) || w.kind != k {
                    return Err(JobError::Plan(format!(
                        "the stored watermark is on `{}` ({}) but the job now uses `{column}` ({k}); run `ingest state reset {}`",
                        w.column, w.kind, job.job_id
                    )));
                }
                previous_keys = state
                    .map(|s| s.boundary_keys.iter().cloned().collect())
                    .unwrap_or_default();
                Some(
                    w.cursor()
                        .map_err(|e| JobError::Plan(format!("stored watermark: {e}")))?,
                )
            }
            None => match &job.last_watermark {
                Some(text) => Some(CursorValue::parse(k, text).map_err(|e| {
                    JobError::Plan(format!("last_watermark (row {}): {e}", job.row))
                })?),
                None => None,
            },
        };
        if state.is_none() {
            let nulls = source.count(&sql::null_count_sql(d, &rel, &column)).await?;
            if nulls > 0 {
                tracing::warn!(
                    "{}: {nulls} rows have a NULL `{column}`; an incremental load never reads them",
                    job.job_id
                );
            }
        }
        match source
            .bounds(&sql::bounds_sql(d, &rel, &column, None), &column, k)
            .await?
        {
            Some((_, hi)) if lo.as_ref().is_none_or(|lo| *lo <= hi) => {
                window = Some(Window { column, lo, hi })
            }
            _ => empty = true,
        }
    }
    let chunks = if empty {
        Vec::new()
    } else {
        plan_chunks(job, source, &rel, &schema, window.as_ref()).await?
    };
    Ok(JobPlan {
        schema,
        window,
        kind,
        chunks,
        previous_keys,
        empty,
    })
}

async fn plan_chunks(
    job: &Job,
    source: &dyn Source,
    rel: &Relation,
    schema: &Schema,
    window: Option<&Window>,
) -> Result<Vec<Chunk>, JobError> {
    let whole = || {
        vec![Chunk {
            index: 0,
            column: String::new(),
            from: None,
            to: None,
            nulls: true,
        }]
    };
    if job.parallelism <= 1 {
        return Ok(whole());
    }
    let column = match (&job.partition_column, job.primary_key.as_slice()) {
        (Some(c), _) => c.clone(),
        (None, [pk]) => pk.clone(),
        _ => return Ok(whole()),
    };
    let idx = column_index(schema, &column)?;
    let Some(kind) = cursor_kind(schema.field(idx).data_type()) else {
        if job.partition_column.is_some() {
            return Err(JobError::Plan(format!(
                "partition column `{column}` must be an integer, date or timestamp"
            )));
        }
        return Ok(whole());
    };
    let q = sql::bounds_sql(source.dialect(), rel, &column, window);
    Ok(match source.bounds(&q, &column, kind).await? {
        Some((min, max)) => chunk::split(&column, &min, &max, job.parallelism),
        None => whole(),
    })
}

struct Loaded {
    files: Vec<FileEntry>,
    rows_extracted: u64,
    rows_written: u64,
    at_hi: Vec<String>,
}

async fn extract_all(
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
            Some(Boundary::new(
                idx,
                plan.schema.field(idx).data_type(),
                key_columns.clone(),
                w.lo.as_ref(),
                &w.hi,
                plan.previous_keys.clone(),
            ))
        }
        None => None,
    };
    let failed = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for chunk in &plan.chunks {
        let chunk_plan = (!chunk.column.is_empty()).then_some(chunk);
        let spec = Extract {
            query: sql::select_sql(d, &rel, plan.window.as_ref(), chunk_plan),
            schema: plan.schema.clone(),
            batch_rows: job.chunk_size,
            key_columns: key_columns.clone(),
        };
        let opts = WriterOptions {
            row_group_rows: job.chunk_size,
            part_size: ctx.destination.part_size(),
            upload_concurrency: ctx.destination.upload_concurrency(),
            ..WriterOptions::default()
        };
        let writer = ChunkWriter::new(
            store.clone(),
            layout.clone(),
            load_id.to_string(),
            chunk.index,
            plan.schema.clone(),
            opts,
        );
        let task = ChunkTask {
            index: chunk.index,
            source: ctx.source.clone(),
            boundary: boundary.clone(),
            cancel: ctx.cancel.clone(),
            failed: failed.clone(),
            progress: ctx.progress.clone(),
        };
        tasks.push(tokio::spawn(task.run(spec, writer)));
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
                if first_error.is_none() || matches!(first_error, Some(JobError::Interrupted)) {
                    first_error = Some(e)
                }
            }
            Err(join) => {
                first_error =
                    first_error.or(Some(JobError::Plan(format!("chunk task failed: {join}"))))
            }
        }
    }
    if let Some(e) = first_error {
        // Files already finished by healthy chunks are leftovers: never listed, removed later.
        return Err(e);
    }
    Ok(loaded)
}

struct ChunkTask {
    index: usize,
    source: Arc<dyn Source>,
    boundary: Option<Boundary>,
    cancel: Arc<AtomicBool>,
    failed: Arc<AtomicBool>,
    progress: ProgressBar,
}

struct ChunkOut {
    files: Vec<FileEntry>,
    rows_extracted: u64,
    rows_written: u64,
    at_hi: Vec<String>,
}

impl ChunkTask {
    async fn run(self, spec: Extract, mut writer: ChunkWriter) -> Result<ChunkOut, JobError> {
        let result = self.pump(spec, &mut writer).await;
        match result {
            Ok((rows_extracted, rows_written, at_hi)) => {
                let files = writer
                    .finish()
                    .await
                    .map_err(|e| self.fail(e.to_string()))?;
                Ok(ChunkOut {
                    files,
                    rows_extracted,
                    rows_written,
                    at_hi,
                })
            }
            Err(e) => {
                self.failed.store(true, Ordering::SeqCst);
                writer.abort().await;
                Err(e)
            }
        }
    }

    async fn pump(
        &self,
        spec: Extract,
        writer: &mut ChunkWriter,
    ) -> Result<(u64, u64, Vec<String>), JobError> {
        let mut stream = self.source.extract(spec);
        let (mut extracted, mut written, mut at_hi) = (0u64, 0u64, Vec::new());
        while let Some(batch) = stream.next().await {
            if self.cancel.load(Ordering::SeqCst) {
                return Err(JobError::Interrupted);
            }
            if self.failed.load(Ordering::SeqCst) {
                return Err(self.fail("stopped because another chunk failed".into()));
            }
            let batch = batch.map_err(|e| self.fail(e.to_string()))?;
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
                writer
                    .write(&batch)
                    .await
                    .map_err(|e| self.fail(e.to_string()))?;
            }
            written += batch.num_rows() as u64;
            self.progress.inc(batch.num_rows() as u64);
        }
        Ok((extracted, written, at_hi))
    }

    fn fail(&self, message: String) -> JobError {
        JobError::Chunk {
            chunk: self.index,
            message,
        }
    }
}

fn new_boundary_keys(plan: &JobPlan, at_hi: Vec<String>) -> Result<Vec<String>, JobError> {
    let Some(w) = &plan.window else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<String> = at_hi;
    if w.lo.as_ref() == Some(&w.hi) {
        keys.extend(plan.previous_keys.iter().cloned());
    }
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > BOUNDARY_CAP {
        return Err(JobError::Plan(format!(
            "{} rows share the new watermark {} of `{}` (more than {BOUNDARY_CAP}); use a finer cursor column (e.g. a timestamp with fractions or an increasing id)",
            keys.len(),
            w.hi,
            w.column
        )));
    }
    Ok(keys)
}

fn fingerprint(schema: &Schema) -> String {
    let text = serde_json::to_string(&manifest::schema_fields(schema)).unwrap_or_default();
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn print_plan(job: &Job, d: crate::plan::sql::Dialect, plan: &JobPlan) {
    let rel = Relation::of(job);
    println!(
        "job {} ({} {}, {} columns)",
        job.job_id,
        job.source_type,
        job.load_type,
        plan.schema.fields().len()
    );
    match (&plan.window, plan.empty) {
        (_, true) => println!("  window: nothing to load"),
        (Some(w), _) => println!(
            "  window: {} from {} to {} ({} boundary keys)",
            w.column,
            w.lo.as_ref()
                .map_or("the beginning".to_string(), |v| v.to_text()),
            w.hi,
            plan.previous_keys.len()
        ),
        (None, _) => println!("  full copy"),
    }
    for chunk in &plan.chunks {
        let q = sql::select_sql(
            d,
            &rel,
            plan.window.as_ref(),
            (!chunk.column.is_empty()).then_some(chunk),
        );
        let params: Vec<String> = q.params.iter().map(|p| p.value.to_text()).collect();
        println!("  chunk {}: {}", chunk.index, q.sql.replace('\n', " "));
        if !params.is_empty() {
            println!("    params: {}", params.join(", "));
        }
    }
}
