//! `ingest status`: what the lake says about each job — its last committed load (manifest or
//! Delta commit), watermark, rows, when, which worker, and who holds its lease now. Reads the
//! destination only; no state folder is needed.

use super::lake_audit;
use crate::config::{Job, Loaded, TargetFormat};
use crate::sink::layout::TableLayout;
use crate::sink::manifest;
use crate::sink::store::Destination;
use crate::table::delta::DeltaTarget;
use crate::table::lease::{self, LeaseDoc};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One job's status, as the lake tells it.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    /// Job id.
    pub job_id: String,
    /// `parquet` or `delta`.
    pub format: String,
    /// `{container}/{folder}/{source}_{table}`.
    pub table: String,
    /// The last committed load, if any.
    pub last_load: Option<LastLoad>,
    /// The current lease generation, if the job ever had one.
    pub lease: Option<LeaseView>,
    /// Why the lake could not be read for this job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A job's last committed load.
#[derive(Debug, Clone, Serialize)]
pub struct LastLoad {
    /// The job's load sequence number (0: a manifest written before sequences).
    pub seq: i64,
    /// The load id.
    pub load_id: String,
    /// The Delta table version that holds it (Delta only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta_version: Option<i64>,
    /// The watermark after the load (INCREMENTAL).
    pub watermark: Option<String>,
    /// Rows written by the load.
    pub rows: u64,
    /// When the load's last file was durable.
    pub finished_at: DateTime<Utc>,
    /// The worker that committed it, when the lake records it.
    pub worker: Option<String>,
}

/// A job's lease now.
#[derive(Debug, Clone, Serialize)]
pub struct LeaseView {
    /// `held`, `expired` or `released`.
    pub state: &'static str,
    /// The worker that holds (or held) it.
    pub holder: String,
    /// Its run id.
    pub run_id: String,
    /// The generation.
    pub generation: u64,
    /// When it was taken.
    pub acquired_at: DateTime<Utc>,
    /// When it lapses (or lapsed).
    pub expires_at: DateTime<Utc>,
}

impl LeaseView {
    fn of(doc: LeaseDoc, now: DateTime<Utc>) -> LeaseView {
        let state = if doc.released_at.is_some() {
            "released"
        } else if doc.expires_at <= now {
            "expired"
        } else {
            "held"
        };
        LeaseView {
            state,
            holder: doc.holder,
            run_id: doc.run_id,
            generation: doc.generation,
            acquired_at: doc.acquired_at,
            expires_at: doc.expires_at,
        }
    }
}

/// The status of the selected jobs (every enabled job when `jobs` is empty).
pub async fn collect(loaded: &Loaded, jobs: &[&Job]) -> Vec<JobStatus> {
    let mut out = Vec::new();
    for job in jobs {
        let layout = TableLayout::new(
            &job.target_folder_path,
            &job.source_name,
            job.output_table(),
        );
        let mut status = JobStatus {
            job_id: job.job_id.clone(),
            format: match job.target_format {
                TargetFormat::Parquet => "parquet".into(),
                TargetFormat::Delta => "delta".into(),
            },
            table: format!("{}/{}", job.target_container, layout.prefix()),
            last_load: None,
            lease: None,
            error: None,
        };
        if let Err(e) = read_job(loaded, job, &layout, &mut status).await {
            status.error = Some(e);
        }
        out.push(status);
    }
    out
}

async fn read_job(
    loaded: &Loaded,
    job: &Job,
    layout: &TableLayout,
    status: &mut JobStatus,
) -> Result<(), String> {
    let (name, secret) = loaded
        .secrets
        .destination(&job.destination)
        .ok_or_else(|| format!("no [destinations.{}] in secrets.toml", job.destination))?;
    let dest = Destination::from_secret(name, secret).map_err(|e| e.to_string())?;
    let store = dest
        .store(&job.target_container)
        .map_err(|e| e.to_string())?;
    let folder = lease::lease_folder(layout.prefix(), &job.job_id);
    status.lease = lease::current(store.as_ref(), &folder)
        .await
        .map_err(|e| e.to_string())?
        .map(|d| LeaseView::of(d, Utc::now()));
    status.last_load = match job.target_format {
        TargetFormat::Parquet => manifest::latest(store.as_ref(), layout, &job.job_id)
            .await
            .map_err(|e| e.to_string())?
            .map(|m| LastLoad {
                seq: m.seq as i64,
                worker: m.worker.clone(),
                watermark: m.window.as_ref().and_then(|w| w.to.clone()),
                load_id: m.load_id,
                delta_version: None,
                rows: m.rows,
                finished_at: m.finished_at,
            }),
        TargetFormat::Delta => {
            let table = DeltaTarget::open(&dest, &job.target_container, store.clone(), layout)
                .await
                .map_err(|e| e.to_string())?;
            let head = table.head(&job.job_id).await.map_err(|e| e.to_string())?;
            head.and_then(|h| {
                h.info.map(|i| LastLoad {
                    seq: h.seq,
                    worker: None,
                    watermark: i.window.as_ref().and_then(|w| w.to.clone()),
                    load_id: i.load_id,
                    delta_version: Some(h.version),
                    rows: i.rows,
                    finished_at: i.finished_at,
                })
            })
        }
    };
    // Which worker committed it: the lake audit record of that load (Delta commits, and
    // manifests written before they named their worker).
    if let Some(last) = status.last_load.as_mut().filter(|l| l.worker.is_none()) {
        let folder = lake_audit::audit_folder(layout.prefix(), &job.job_id);
        last.worker =
            lake_audit::find_load(store.as_ref(), &folder, &last.load_id, last.finished_at)
                .await
                .map_err(|e| crate::sink::store::redact(&e.to_string()))?
                .and_then(|r| r.worker);
    }
    Ok(())
}

/// The status as a text table, one line per job, then the errors.
pub fn render_text(all: &[JobStatus]) -> String {
    let rows: Vec<[String; 7]> = all
        .iter()
        .map(|s| {
            let l = s.last_load.as_ref();
            [
                s.job_id.clone(),
                s.format.clone(),
                l.map_or("-".into(), |l| format!("#{} {}", l.seq, l.load_id)),
                l.map_or("-".into(), |l| l.rows.to_string()),
                l.and_then(|l| l.watermark.clone())
                    .unwrap_or_else(|| "-".into()),
                l.and_then(|l| l.worker.clone())
                    .unwrap_or_else(|| "-".into()),
                s.lease.as_ref().map_or("-".into(), |v| match v.state {
                    "held" => format!(
                        "held by {} until {}",
                        v.holder,
                        v.expires_at.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                    other => format!("{other} ({})", v.holder),
                }),
            ]
        })
        .collect();
    let headers = [
        "job",
        "format",
        "last load",
        "rows",
        "watermark",
        "by",
        "lease",
    ];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            s.push_str(&format!("{cell:<w$}  "));
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    for s in all {
        if let Some(e) = &s.error {
            out.push_str(&format!("\n{}: {e}", s.job_id));
        }
    }
    if all.iter().any(|s| s.error.is_some()) {
        out.push('\n');
    }
    out
}

/// `ingest status`: print the lake's view of the selected jobs; exit 1 when a job's table
/// could not be read.
pub async fn command(global: &crate::cli::Global, args: crate::cli::StatusArgs) -> u8 {
    let vars = args.vars.options();
    let loaded =
        match crate::app::load_checked(&args.config, global.secrets.as_deref(), &vars, args.output)
        {
            Ok(l) => l,
            Err(code) => return code,
        };
    let jobs = match super::select(&loaded.jobs, &args.jobs) {
        Ok(j) => j,
        Err(e) => return crate::app::error(crate::app::exit::INVALID, e),
    };
    let all = collect(&loaded, &jobs).await;
    match args.output {
        crate::cli::Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".into())
        ),
        crate::cli::Output::Text => print!("{}", render_text(&all)),
    }
    if all.iter().any(|s| s.error.is_some()) {
        crate::app::exit::FAILED
    } else {
        crate::app::exit::OK
    }
}
