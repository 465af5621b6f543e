//! The command line (clap derive). Parsing only; `app` gives the commands their meaning.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Copy tables from relational databases into Parquet on ADLS Gen2 or a local folder,
/// driven by an Excel workbook.
#[derive(Debug, Parser)]
#[command(name = "ingest", version, about, propagate_version = true)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// secrets.toml [default: secrets.toml beside the workbook]
    #[arg(long, global = true, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// Folder holding state/, audit_log.jsonl and watermarks.json
    #[arg(long, global = true, value_name = "DIR", default_value = "metadata")]
    pub state_dir: PathBuf,
    /// Folder for the daily log files
    #[arg(long, global = true, value_name = "DIR", default_value = "logs")]
    pub log_dir: PathBuf,
}

/// Output format of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON on stdout.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every enabled job (or the ones named with --jobs)
    Run(RunArgs),
    /// Check the workbook and secrets and print every problem at once
    Validate(ValidateArgs),
    /// Write a ready-to-run template: workbook, secrets.toml and a demo SQLite database
    GenerateSample(SampleArgs),
    /// Propose one workbook row per table of a source, from its catalog
    Discover(DiscoverArgs),
    /// Compact small files (OPTIMIZE) and delete unreferenced old files (VACUUM) of Delta tables
    Maintain(MaintainArgs),
    /// Show, from the lake only, each job's last committed load and who holds its lease
    Status(StatusArgs),
    /// Inspect and repair per-job state (watermarks)
    #[command(subcommand)]
    State(StateCommand),
    /// Write an HTML report of recent runs from the audit log (one self-contained file)
    Report(ReportArgs),
}

/// `ingest report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Runs of the last N days
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// The HTML file to write
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub out: PathBuf,
}

/// `ingest run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workbook
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "config/ingestion_config.xlsx"
    )]
    pub config: PathBuf,
    /// Only these jobs (comma-separated job ids); their dependencies count as met
    #[arg(long, value_delimiter = ',', value_name = "JOB,...")]
    pub jobs: Vec<String>,
    /// With --jobs: also run the enabled jobs they depend on (depends_on), transitively
    #[arg(long)]
    pub with_deps: bool,
    /// Runtime variables
    #[command(flatten)]
    pub vars: VarArgs,
    /// Jobs run at the same time
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Print the plan and SQL; touch nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Ignore stored state for the chosen jobs: reload everything and replace earlier loads
    #[arg(long)]
    pub full_refresh: bool,
    /// Retries of a chunk after a transient source error (lost connection, server shutdown)
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_retries: u32,
    /// Seconds before the first retry; doubled for each further one
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub retry_backoff: f64,
    /// Summary format
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Seconds a job's lease in the lake lasts unless renewed (renewed every third of it)
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub lease_seconds: u64,
    /// This worker's name in leases, logs, audit and manifests [default: host name-pid]
    #[arg(long, value_name = "ID", value_parser = parse_worker_id)]
    pub worker_id: Option<String>,
}

fn parse_worker_id(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}`: a worker id is 1 to 100 letters, digits, `_`, `.` or `-`"
        ))
    }
}

/// `ingest status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The workbook
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "config/ingestion_config.xlsx"
    )]
    pub config: PathBuf,
    /// Only these jobs (comma-separated job ids) [default: every enabled job]
    #[arg(long, value_delimiter = ',', value_name = "JOB,...")]
    pub jobs: Vec<String>,
    /// Runtime variables
    #[command(flatten)]
    pub vars: VarArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
}

/// `ingest maintain`.
#[derive(Debug, Args)]
pub struct MaintainArgs {
    /// The workbook
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "config/ingestion_config.xlsx"
    )]
    pub config: PathBuf,
    /// Only these jobs (comma-separated job ids)
    #[arg(long, value_delimiter = ',', value_name = "JOB,...")]
    pub jobs: Vec<String>,
    /// VACUUM deletes files removed longer ago than this (at least 1) [default: the table's
    /// delta.deletedFileRetentionDuration, 168 unless set]
    #[arg(long, value_name = "H", value_parser = clap::value_parser!(u32).range(1..))]
    pub vacuum_hours: Option<u32>,
    /// Delete lake audit records (`_ingest_audit/`) older than N days; the record of each
    /// job's last committed load is always kept
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(0..=36500))]
    pub keep_audit_days: u32,
    /// Runtime variables
    #[command(flatten)]
    pub vars: VarArgs,
    /// Summary format
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
}

/// `ingest validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The workbook
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "config/ingestion_config.xlsx"
    )]
    pub config: PathBuf,
    /// Also open every referenced source and destination
    #[arg(long)]
    pub connect: bool,
    /// Runtime variables
    #[command(flatten)]
    pub vars: VarArgs,
    /// Problem list format
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
}

/// Runtime variables used in query_filter, source_query and FULL jobs' target_folder_path.
#[derive(Debug, Args, Default)]
pub struct VarArgs {
    /// Set a variable {name} for this run (repeatable; overrides [variables] of secrets.toml)
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = crate::config::vars::parse_assignment)]
    pub vars: Vec<(String, String)>,
    /// IANA time zone of {run_date} {yyyy} {mm} {dd} {hh} {run_ts}, e.g. Europe/Berlin [default: UTC]
    #[arg(long, value_name = "ZONE", value_parser = parse_timezone)]
    pub timezone: Option<chrono_tz::Tz>,
}

impl VarArgs {
    /// The options of [`crate::config::vars::RunVars`] for a run starting now.
    pub fn options(&self) -> crate::config::vars::VarOptions {
        crate::config::vars::VarOptions {
            now: None,
            timezone: self.timezone,
            overrides: self.vars.clone(),
        }
    }
}

fn parse_timezone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("`{s}` is not an IANA time zone name, e.g. Europe/Berlin or UTC"))
}

/// `ingest generate-sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write into
    #[arg(long, value_name = "DIR", default_value = "config")]
    pub dir: PathBuf,
    /// Overwrite existing files
    #[arg(long)]
    pub force: bool,
}

/// `ingest discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The source: [sources.NAME] in secrets.toml
    #[arg(long, value_name = "NAME")]
    pub source: String,
    /// Only this schema [default: every user schema; MySQL: the database; Oracle: the login's]
    #[arg(long, value_name = "S")]
    pub schema: Option<String>,
    /// Only tables whose name matches one of these globs (`*`, `?`, comma-separated; any case)
    #[arg(long, value_name = "PATTERN")]
    pub tables: Option<String>,
    /// Write a new workbook (the generate-sample template) with the proposed rows
    #[arg(long, value_name = "FILE.xlsx", conflicts_with = "append_to")]
    pub out: Option<PathBuf>,
    /// Add the proposed rows below the rows of this workbook (tables already in it are skipped)
    #[arg(long, value_name = "WORKBOOK")]
    pub append_to: Option<PathBuf>,
    /// Overwrite --out if it exists
    #[arg(long)]
    pub force: bool,
    /// Output format of the proposals
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
}

/// `ingest state …`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List every job's watermark
    List,
    /// Print one job's state document
    Show {
        /// Job id
        job: String,
    },
    /// Forget a job's watermark: its next run starts from last_watermark (or the beginning)
    Reset {
        /// Job id
        job: String,
    },
    /// Set a job's watermark (checked against the cursor's kind)
    Set {
        /// Job id
        job: String,
        /// New watermark value
        value: String,
        /// Cursor kind, needed when the job has no state yet
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Cursor column, needed when the job has no state yet
        #[arg(long)]
        column: Option<String>,
    },
}

/// Cursor kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Integer cursor.
    Int,
    /// Date cursor.
    Date,
    /// Timestamp without time zone.
    Timestamp,
    /// Timestamp with time zone.
    TimestampTz,
    /// Exact decimal.
    Decimal,
}

impl From<KindArg> for crate::plan::CursorKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Int => crate::plan::CursorKind::Int,
            KindArg::Date => crate::plan::CursorKind::Date,
            KindArg::Timestamp => crate::plan::CursorKind::Timestamp,
            KindArg::TimestampTz => crate::plan::CursorKind::TimestampTz,
            KindArg::Decimal => crate::plan::CursorKind::Decimal,
        }
    }
}
