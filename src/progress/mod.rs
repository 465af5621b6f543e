//! Progress of a run: one line per running job (bar, rows of the estimate, rate, bytes, ETA)
//! and a run line (`2/7 jobs done, 1 failed`) on a terminal; on any output, a log line every
//! [`heartbeat_interval`] per job still running, so a scheduled task's log shows it is alive.

pub mod estimate;
pub mod line;

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest job column of the bars; longer ids are cut with `…`.
const NAME_CAP: usize = 28;
/// `estimate` of a job whose estimate is unknown.
const UNKNOWN: u64 = u64::MAX;

/// Seconds between heartbeat lines: `INGEST_PROGRESS_INTERVAL_SECS` (1 ..= 3600), default 30.
pub fn heartbeat_interval() -> Duration {
    let secs = std::env::var("INGEST_PROGRESS_INTERVAL_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=3600).contains(s))
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// Whether the bars may use colour: stderr is a terminal, `NO_COLOR` is unset or empty and
/// `TERM` is not `dumb`.
pub fn color_enabled() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Columns of the terminal on stderr (80 when unknown).
fn terminal_width() -> usize {
    let (_, cols) = console::Term::stderr().size();
    usize::from(cols).max(10)
}

/// What a running job has done, shared by its chunks, its bar and the heartbeat.
struct JobShared {
    job: String,
    rows: AtomicU64,
    bytes: AtomicU64,
    estimate: AtomicU64,
    /// When extraction started (set with the estimate); `None` while planning.
    started: Mutex<Option<Instant>>,
}

impl JobShared {
    fn view<'a>(&'a self, name_width: usize) -> Option<line::View<'a>> {
        let started = (*self.started.lock().ok()?)?;
        let elapsed = started.elapsed();
        let rows = self.rows.load(Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        Some(line::View {
            job: &self.job,
            name_width,
            rows,
            estimate: Some(self.estimate.load(Ordering::Relaxed)).filter(|e| *e != UNKNOWN),
            rate: if secs > 0.0 { rows as f64 / secs } else { 0.0 },
            bytes: self.bytes.load(Ordering::Relaxed),
            elapsed,
        })
    }

    /// The heartbeat's log line: `orders: 3.0M/5.0M rows (61%), 412k rows/s, 48 MiB written, ETA 5s`.
    fn log_line(&self) -> Option<String> {
        let v = self.view(0)?;
        let rows = match (v.total(), v.percent()) {
            (Some(t), Some(p)) => format!(
                "{}/{} rows ({p}%)",
                line::human_count(v.rows as f64),
                line::human_count(t as f64)
            ),
            _ => format!("{} rows", line::human_count(v.rows as f64)),
        };
        let eta = v
            .eta()
            .map(|d| format!(", ETA {}", line::human_duration(d)))
            .unwrap_or_default();
        Some(format!(
            "{}: {rows}, {} rows/s, {} written, running {}{eta}",
            self.job,
            line::human_rate(v.rate),
            line::human_bytes(v.bytes),
            line::human_duration(v.elapsed)
        ))
    }
}

/// One job's progress: counters its chunks update, drawn as a bar on a terminal.
#[derive(Clone)]
pub struct JobProgress {
    shared: Arc<JobShared>,
    bar: ProgressBar,
}

impl JobProgress {
    /// A progress that draws nothing (a dry run, tests).
    pub fn hidden(job: &str) -> JobProgress {
        JobProgress {
            shared: Arc::new(new_shared(job)),
            bar: ProgressBar::hidden(),
        }
    }

    /// Extraction starts now, expecting `rows` (`None`: unknown, a count without percentage).
    pub fn start(&self, rows: Option<u64>) {
        self.shared
            .estimate
            .store(rows.unwrap_or(UNKNOWN), Ordering::Relaxed);
        if let Ok(mut s) = self.shared.started.lock() {
            *s = Some(Instant::now());
        }
    }

    /// Rows written.
    pub fn inc(&self, rows: u64) {
        self.shared.rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Rows taken back (a chunk retried from its start).
    pub fn dec(&self, rows: u64) {
        let _ = self
            .shared
            .rows
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                Some(r.saturating_sub(rows))
            });
    }

    /// Bytes written (`delta` may be negative when a retried chunk's files are dropped).
    pub fn add_bytes(&self, delta: i64) {
        let _ = self
            .shared
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some(b.saturating_add_signed(delta))
            });
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.shared.rows.load(Ordering::Relaxed)
    }
}

fn new_shared(job: &str) -> JobShared {
    JobShared {
        job: job.to_string(),
        rows: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        estimate: AtomicU64::new(UNKNOWN),
        started: Mutex::new(None),
    }
}

/// The progress of a whole run: its job bars, the run line and the heartbeat.
pub struct RunProgress {
    inner: Arc<RunInner>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

struct RunInner {
    total: usize,
    finished: AtomicUsize,
    failed: AtomicUsize,
    skipped: AtomicUsize,
    name_width: usize,
    color: bool,
    line: ProgressBar,
    running: Mutex<Vec<Arc<JobShared>>>,
}

/// How a job ended, for the run line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Committed or nothing to do.
    Done,
    /// Failed.
    Failed,
    /// Not run.
    Skipped,
}

impl RunProgress {
    /// The progress of a run of these jobs; starts the heartbeat (inside a Tokio runtime).
    pub fn new(job_ids: &[&str]) -> RunProgress {
        let multi = crate::logging::progress();
        let line = multi.add(ProgressBar::new_spinner());
        line.set_style(
            ProgressStyle::with_template("{msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let inner = Arc::new(RunInner {
            total: job_ids.len(),
            finished: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
            name_width: job_ids
                .iter()
                .map(|j| j.chars().count())
                .max()
                .unwrap_or(1)
                .min(NAME_CAP),
            color: color_enabled(),
            line,
            running: Mutex::new(Vec::new()),
        });
        inner.update_line();
        let heartbeat = tokio::runtime::Handle::try_current()
            .ok()
            .map(|rt| rt.spawn(heartbeat(inner.clone(), heartbeat_interval())));
        RunProgress { inner, heartbeat }
    }

    /// A job starts: its bar appears above the run line.
    pub fn start_job(&self, job_id: &str) -> JobProgress {
        let shared = Arc::new(new_shared(job_id));
        let multi = crate::logging::progress();
        let bar = multi.insert_before(&self.inner.line, ProgressBar::new_spinner());
        let (s, width, color) = (shared.clone(), self.inner.name_width, self.inner.color);
        let draw = move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let cols = terminal_width().saturating_sub(1);
            let text = match s.view(width) {
                Some(v) => line::render(&v, cols, color),
                None => line::render_planning(&s.job, width, cols, color),
            };
            let _ = w.write_str(&text);
        };
        bar.set_style(
            ProgressStyle::with_template("{line}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner())
                .with_key("line", draw),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut running) = self.inner.running.lock() {
            running.push(shared.clone());
        }
        self.inner.update_line();
        JobProgress { shared, bar }
    }

    /// A job ended: its bar goes, the run line counts it.
    pub fn finish_job(&self, job: &JobProgress, outcome: Outcome) {
        job.bar.finish_and_clear();
        crate::logging::progress().remove(&job.bar);
        if let Ok(mut running) = self.inner.running.lock() {
            running.retain(|s| !Arc::ptr_eq(s, &job.shared));
        }
        self.count(outcome);
    }

    /// A job that never started (skipped) counts as ended.
    pub fn count(&self, outcome: Outcome) {
        self.inner.finished.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Outcome::Failed => self.inner.failed.fetch_add(1, Ordering::Relaxed),
            Outcome::Skipped => self.inner.skipped.fetch_add(1, Ordering::Relaxed),
            Outcome::Done => 0,
        };
        self.inner.update_line();
    }

    /// The run line: `2/7 jobs done, 1 failed, 1 skipped, 3 running`.
    pub fn summary(&self) -> String {
        self.inner.summary()
    }
}

impl Drop for RunProgress {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        self.inner.line.finish_and_clear();
        crate::logging::progress().remove(&self.inner.line);
    }
}

impl RunInner {
    fn summary(&self) -> String {
        let running = self.running.lock().map_or(0, |r| r.len());
        run_line(
            self.finished.load(Ordering::Relaxed),
            self.total,
            self.failed.load(Ordering::Relaxed),
            self.skipped.load(Ordering::Relaxed),
            running,
        )
    }

    fn update_line(&self) {
        self.line.set_message(self.summary());
    }
}

/// `2/7 jobs done, 1 failed, 1 skipped, 3 running` (zero counts left out).
pub fn run_line(
    finished: usize,
    total: usize,
    failed: usize,
    skipped: usize,
    running: usize,
) -> String {
    let mut s = format!("{finished}/{total} jobs done");
    for (n, what) in [
        (failed, "failed"),
        (skipped, "skipped"),
        (running, "running"),
    ] {
        if n > 0 {
            s.push_str(&format!(", {n} {what}"));
        }
    }
    s
}

/// Every `every`, a log line per job that has been extracting for at least `every`, then
/// the run line.
async fn heartbeat(run: Arc<RunInner>, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        let jobs: Vec<Arc<JobShared>> = run.running.lock().map(|r| r.clone()).unwrap_or_default();
        let mut any = false;
        for job in jobs {
            let long = job
                .started
                .lock()
                .ok()
                .and_then(|s| *s)
                .is_some_and(|s| s.elapsed() >= every);
            if long && let Some(text) = job.log_line() {
                tracing::info!("{text}");
                any = true;
            }
        }
        if any {
            tracing::info!("run: {}", run.summary());
        }
    }
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
