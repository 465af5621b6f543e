//! Logging: a daily file `logs/ingestion_YYYYMMDD.log` plus stderr lines that step around
//! progress bars when stderr is a terminal.

use chrono::{Local, NaiveDate};
use indicatif::MultiProgress;
use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, Layer};

static PROGRESS: OnceLock<MultiProgress> = OnceLock::new();

/// The progress bar group: drawn on stderr when it is a terminal, hidden otherwise.
pub fn progress() -> &'static MultiProgress {
    PROGRESS.get_or_init(|| {
        if io::stderr().is_terminal() {
            MultiProgress::new()
        } else {
            MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
        }
    })
}

/// Whether progress bars are shown (stderr is a terminal).
pub fn interactive() -> bool {
    io::stderr().is_terminal()
}

/// `2024-01-15 14:30:22 | INFO | message`, the reference's log line.
struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "ERROR",
            Level::WARN => "WARNING",
            Level::INFO => "INFO",
            Level::DEBUG => "DEBUG",
            Level::TRACE => "TRACE",
        };
        write!(
            w,
            "{} | {level} | ",
            Local::now().format("%Y-%m-%d %H:%M:%S")
        )?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// The log folder and today's open file.
type DailyState = (PathBuf, Option<(NaiveDate, File)>);

/// A file per local day, `ingestion_YYYYMMDD.log`, opened for append.
#[derive(Clone)]
pub struct DailyFile {
    inner: Arc<Mutex<DailyState>>,
}

impl DailyFile {
    /// A writer into `dir` (created if needed).
    pub fn new(dir: &Path) -> io::Result<DailyFile> {
        std::fs::create_dir_all(dir)?;
        Ok(DailyFile {
            inner: Arc::new(Mutex::new((dir.to_path_buf(), None))),
        })
    }

    /// The file name for a day.
    pub fn file_name(day: NaiveDate) -> String {
        format!("ingestion_{}.log", day.format("%Y%m%d"))
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| io::Error::other("log file lock poisoned"))?;
        let today = Local::now().date_naive();
        if guard.1.as_ref().map(|(d, _)| *d) != Some(today) {
            let path = guard.0.join(DailyFile::file_name(today));
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            guard.1 = Some((today, file));
        }
        match guard.1.as_mut() {
            Some((_, f)) => f.write_all(buf).map(|_| buf.len()),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for DailyFile {
    type Writer = DailyFile;
    fn make_writer(&'a self) -> DailyFile {
        self.clone()
    }
}

/// Stderr that suspends the progress bars while a line is printed.
#[derive(Clone, Copy)]
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        progress().suspend(|| io::stderr().write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Stderr;
    fn make_writer(&'a self) -> Stderr {
        *self
    }
}

/// Libraries whose INFO events are internals (every query, every Delta snapshot and scan).
const QUIET: &str = "sqlx=error,deltalake=warn,deltalake_core=warn,delta_kernel=warn,buoyant_kernel=warn,buoyant_kernel_engine=warn,datafusion=warn";

/// Install the global subscriber: INFO and above to the daily file (when `log_dir` is given)
/// and to stderr (warnings only when progress bars are drawn). `RUST_LOG` overrides levels.
pub fn init(log_dir: Option<&Path>) -> io::Result<()> {
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new(format!("info,{QUIET}")))
    };
    let stderr_level = if interactive() {
        format!("warn,{QUIET}")
    } else {
        format!("info,{QUIET}")
    };
    let stderr_filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(stderr_level));
    let stderr = tracing_subscriber::fmt::layer()
        .event_format(LineFormat)
        .with_ansi(false)
        .with_writer(Stderr)
        .with_filter(stderr_filter);
    let file = match log_dir {
        Some(dir) => Some(
            tracing_subscriber::fmt::layer()
                .event_format(LineFormat)
                .with_ansi(false)
                .with_writer(DailyFile::new(dir)?)
                .with_filter(filter()),
        ),
        None => None,
    };
    let subscriber = tracing_subscriber::registry().with(stderr).with(file);
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(())
}
