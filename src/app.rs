//! The commands: each turns parsed arguments into work and an exit code.

use crate::cli::{
    Cli, Command, MaintainArgs, Output, RunArgs, SampleArgs, StateCommand, ValidateArgs,
};
use crate::config::{self, Loaded, issue};
use crate::plan::{CursorKind, CursorValue, Watermark};
use crate::run::{self, RunError, RunOptions, summary};
use crate::sink::store::Destination;
use crate::state::lock::LockError;
use crate::state::store::{JobState, StateStore};
use std::path::Path;
use std::process::ExitCode;

/// Exit codes for schedulers.
pub mod exit {
    /// Every selected job succeeded.
    pub const OK: u8 = 0;
    /// At least one job failed, or `validate --connect` could not reach something.
    pub const FAILED: u8 = 1;
    /// The configuration or the command line is invalid; nothing ran.
    pub const INVALID: u8 = 2;
    /// Another run holds the state directory's lock.
    pub const LOCKED: u8 = 3;
}

/// Run a parsed command line; returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return fail(
                exit::FAILED,
                &format!("cannot start the async runtime: {e}"),
            );
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run_cmd(&cli.global, args).await,
            Command::Validate(args) => validate_cmd(&cli.global, args).await,
            Command::GenerateSample(args) => sample_cmd(args).await,
            Command::Discover(args) => crate::discover::command::run(&cli.global, args).await,
            Command::Maintain(args) => maintain_cmd(&cli.global, args).await,
            Command::Status(args) => run::status::command(&cli.global, args).await,
            Command::State(cmd) => state_cmd(&cli.global.state_dir, cmd),
            Command::Report(args) => report_cmd(&cli.global, &args),
        }
    });
    ExitCode::from(code)
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

pub(crate) fn error(code: u8, message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    code
}

/// Load both files; on unreadable files or validation errors print them and return the exit code.
pub(crate) fn load_checked(
    config: &Path,
    secrets: Option<&Path>,
    vars: &config::vars::VarOptions,
    output: Output,
) -> Result<Loaded, u8> {
    let loaded = config::load_with(config, secrets, vars).map_err(|e| error(exit::INVALID, e))?;
    if !loaded.issues.is_empty() {
        match output {
            Output::Json if loaded.has_errors() => {
                println!("{}", issue::render_json(&loaded.issues))
            }
            _ => eprint!("{}", issue::render_text(&loaded.issues)),
        }
    }
    if loaded.has_errors() {
        return Err(exit::INVALID);
    }
    Ok(loaded)
}

async fn run_cmd(global: &crate::cli::Global, args: RunArgs) -> u8 {
    let vars = args.vars.options();
    let loaded = match load_checked(&args.config, global.secrets.as_deref(), &vars, args.output) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let log_dir = (!args.dry_run).then_some(global.log_dir.as_path());
    if let Err(e) = crate::logging::init(log_dir) {
        return error(
            exit::FAILED,
            format!(
                "cannot open the log folder {}: {e}",
                global.log_dir.display()
            ),
        );
    }
    let opts = RunOptions {
        jobs: args.jobs,
        with_deps: args.with_deps,
        parallelism: args.parallelism as usize,
        dry_run: args.dry_run,
        full_refresh: args.full_refresh,
        state_dir: global.state_dir.clone(),
        retry: run::RetryPolicy {
            max_retries: args.max_retries,
            backoff: std::time::Duration::from_secs_f64(if args.retry_backoff.is_finite() {
                args.retry_backoff.clamp(0.0, 3600.0)
            } else {
                2.0
            }),
        },
        worker: run::lease::WorkerOptions {
            worker_id: args.worker_id.unwrap_or_else(run::lease::default_worker_id),
            lease_ttl: std::time::Duration::from_secs(args.lease_seconds),
            reclaim: Vec::new(),
            round_start: chrono::Utc::now(),
        },
    };
    let started_at = chrono::Utc::now();
    let reports = match run::run(&loaded, &opts).await {
        Ok(r) => r,
        Err(RunError::Locked(e @ LockError::Held { .. })) => return error(exit::LOCKED, e),
        Err(e @ RunError::Selection(_)) => return error(exit::INVALID, e),
        Err(e) => return error(exit::FAILED, e),
    };
    match args.output {
        Output::Json => println!("{}", summary::render_json(&reports)),
        Output::Text if !args.dry_run => print!("{}", summary::render_text(&reports)),
        Output::Text => {
            print!("{}", run::plan::render_stages(&reports));
            for r in &reports {
                if let Some(p) = &r.plan {
                    print!("{}", crate::plan::report::render_plan_text(&r.job_id, p));
                }
                if !r.depends_on.is_empty() {
                    println!("  after: {}", r.depends_on.join(", "));
                }
                if !r.variables.is_empty() {
                    let vars: Vec<String> = r
                        .variables
                        .iter()
                        .map(|(k, v)| format!("{{{k}}} = {v}"))
                        .collect();
                    println!("  variables: {}", vars.join(", "));
                }
            }
        }
    }
    if let Some(n) = loaded
        .secrets
        .notifications
        .as_ref()
        .filter(|_| !args.dry_run)
    {
        // Delivery problems are warnings: the exit code below is the jobs' alone.
        let host = crate::state::lock::host_name();
        crate::notify::send(
            n,
            &crate::notify::RunSummary::new(&reports, started_at, host),
        )
        .await;
    }
    if reports.iter().any(|r| r.status == summary::Status::Failed) {
        exit::FAILED
    } else {
        exit::OK
    }
}

async fn maintain_cmd(global: &crate::cli::Global, args: MaintainArgs) -> u8 {
    let vars = args.vars.options();
    let loaded = match load_checked(&args.config, global.secrets.as_deref(), &vars, args.output) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if let Err(e) = crate::logging::init(Some(global.log_dir.as_path())) {
        return error(
            exit::FAILED,
            format!(
                "cannot open the log folder {}: {e}",
                global.log_dir.display()
            ),
        );
    }
    let opts = crate::table::maintain::MaintainOptions {
        vacuum_hours: args.vacuum_hours,
    };
    let reports = match run::maintain::maintain(&loaded, &args.jobs, opts).await {
        Ok(r) => r,
        Err(e @ RunError::Selection(_)) => return error(exit::INVALID, e),
        Err(e) => return error(exit::FAILED, e),
    };
    match args.output {
        Output::Json => println!("{}", run::maintain::render_json(&reports)),
        Output::Text => print!("{}", run::maintain::render_text(&reports)),
    }
    if reports.iter().any(|r| r.status == summary::Status::Failed) {
        exit::FAILED
    } else {
        exit::OK
    }
}

fn report_cmd(global: &crate::cli::Global, args: &crate::cli::ReportArgs) -> u8 {
    match crate::report::write(&global.state_dir, args.days, &args.out) {
        Ok(r) => {
            println!(
                "wrote {} ({} runs, {} jobs, last {} days)",
                args.out.display(),
                r.runs.len(),
                r.jobs.len(),
                args.days
            );
            exit::OK
        }
        Err(e) => error(exit::FAILED, e),
    }
}

async fn validate_cmd(global: &crate::cli::Global, args: ValidateArgs) -> u8 {
    let loaded = match config::load_with(
        &args.config,
        global.secrets.as_deref(),
        &args.vars.options(),
    ) {
        Ok(l) => l,
        Err(e) => return error(exit::INVALID, e),
    };
    match args.output {
        Output::Json => println!("{}", issue::render_json(&loaded.issues)),
        Output::Text => print!("{}", issue::render_text(&loaded.issues)),
    }
    if loaded.has_errors() {
        return exit::INVALID;
    }
    let enabled = loaded.jobs.iter().filter(|j| j.enabled).count();
    if args.output == Output::Text {
        println!(
            "{} ok: {} jobs ({enabled} enabled)",
            args.config.display(),
            loaded.jobs.len()
        );
    }
    if !args.connect {
        return exit::OK;
    }
    let failures = connect_all(&loaded).await;
    for f in &failures {
        eprintln!("error: {f}");
    }
    if failures.is_empty() {
        println!("every source and destination answered");
        exit::OK
    } else {
        exit::FAILED
    }
}

/// Open every source and destination the enabled jobs use; report every failure.
async fn connect_all(loaded: &Loaded) -> Vec<String> {
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for job in loaded.jobs.iter().filter(|j| j.enabled) {
        if let Some((name, settings)) = loaded.source_of(job)
            && seen.insert(format!("source:{name}"))
        {
            match ping_source(name, settings).await {
                Ok(()) => println!("source {name}: ok"),
                Err(e) => failures.push(format!("source {name}: {e}")),
            }
        }
        if let Some((name, secret)) = loaded.secrets.destination(&job.destination)
            && seen.insert(format!("dest:{name}:{}", job.target_container))
        {
            match probe_destination(job, name, secret).await {
                Ok(()) => println!("destination {name} ({}): ok", job.target_container),
                Err(e) => failures.push(e.to_string()),
            }
        }
    }
    failures
}

async fn ping_source(
    name: &str,
    settings: &crate::source::SourceSettings,
) -> Result<(), crate::source::SourceError> {
    let source = crate::source::open(name, settings).await?;
    source.ping().await
}

async fn probe_destination(
    job: &crate::config::Job,
    name: &str,
    secret: &crate::config::secrets::DestinationSecret,
) -> Result<(), crate::sink::SinkError> {
    let dest = Destination::from_secret(name, secret)?;
    crate::sink::container::ensure_container(&dest, &job.target_container).await?;
    let store = dest.store(&job.target_container)?;
    let prefix = object_store::path::Path::from(job.target_folder_path.as_str());
    crate::sink::store::probe(store.as_ref(), &prefix).await
}

async fn sample_cmd(args: SampleArgs) -> u8 {
    match config::sample::generate(&args.dir, args.force).await {
        Ok(files) => {
            for f in &files {
                println!("wrote {}", f.display());
            }
            println!(
                "next: ingest run --config {}",
                args.dir.join("ingestion_config.xlsx").display()
            );
            exit::OK
        }
        Err(e) => error(exit::INVALID, e),
    }
}

fn state_cmd(state_dir: &Path, cmd: StateCommand) -> u8 {
    let store = match StateStore::new(state_dir) {
        Ok(s) => s,
        Err(e) => return error(exit::FAILED, e),
    };
    // Changing state while a run holds the directory would be overwritten or half-seen by it.
    let _lock = match cmd {
        StateCommand::Reset { .. } | StateCommand::Set { .. } => {
            match crate::state::lock::DirLock::acquire(state_dir) {
                Ok(lock) => Some(lock),
                Err(e @ LockError::Held { .. }) => return error(exit::LOCKED, e),
                Err(e) => return error(exit::FAILED, e),
            }
        }
        StateCommand::List | StateCommand::Show { .. } => None,
    };
    match state_op(&store, cmd) {
        Ok(()) => exit::OK,
        Err((code, message)) => error(code, message),
    }
}

fn state_op(store: &StateStore, cmd: StateCommand) -> Result<(), (u8, String)> {
    let failed = |e: crate::state::StateError| (exit::FAILED, e.to_string());
    match cmd {
        StateCommand::List => {
            let all = store.list().map_err(failed)?;
            if all.is_empty() {
                println!("no state in {}", store.dir().display());
            }
            for entry in all {
                match entry {
                    Ok(s) => println!(
                        "{}  {}  {}  last load {}  rows {}",
                        s.job_id,
                        s.load_type,
                        s.watermark.as_ref().map_or("-".to_string(), |w| format!(
                            "{}={} ({})",
                            w.column, w.value, w.kind
                        )),
                        s.last_load_id.as_deref().unwrap_or("-"),
                        s.rows_loaded_total
                    ),
                    Err(e) => println!("error: {e}"),
                }
            }
            Ok(())
        }
        StateCommand::Show { job } => {
            let s = store
                .load(&job)
                .map_err(failed)?
                .ok_or((exit::FAILED, format!("no state for job `{job}`")))?;
            println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            Ok(())
        }
        StateCommand::Reset { job } => reset(store, &job),
        StateCommand::Set {
            job,
            value,
            kind,
            column,
        } => {
            let current = store.load(&job).map_err(failed)?;
            let (column, kind): (String, CursorKind) = match (&current, column, kind) {
                (_, Some(c), Some(k)) => (c, k.into()),
                (
                    Some(JobState {
                        watermark: Some(w), ..
                    }),
                    c,
                    k,
                ) => (
                    c.unwrap_or(w.column.clone()),
                    k.map(Into::into).unwrap_or(w.kind),
                ),
                _ => {
                    return Err((
                        exit::INVALID,
                        format!("job `{job}` has no watermark yet: give --column and --kind"),
                    ));
                }
            };
            let v = CursorValue::parse(kind, &value).map_err(|e| (exit::INVALID, e.to_string()))?;
            let mut s = current
                .unwrap_or_else(|| JobState::new(&job, crate::config::LoadType::Incremental));
            s.watermark = Some(Watermark::new(column, &v));
            s.boundary_keys.clear();
            store.save(&s).map_err(failed)?;
            store.update_summary(&s).map_err(failed)?;
            println!("{job}: watermark set to {}", v.to_text());
            Ok(())
        }
    }
}

/// Forget the watermark but keep the last load id, so the next run does not re-adopt the
/// manifest it came from. A corrupt file is removed: the next run adopts the newest manifest.
fn reset(store: &StateStore, job: &str) -> Result<(), (u8, String)> {
    let failed = |e: crate::state::StateError| (exit::FAILED, e.to_string());
    match store.load(job) {
        Ok(Some(mut s)) => {
            s.watermark = None;
            s.boundary_keys.clear();
            s.rows_loaded_total = 0;
            store.save(&s).map_err(failed)?;
            store.remove_from_summary(job).map_err(failed)?;
            println!(
                "{job}: watermark forgotten; the next run starts from last_watermark (or the beginning)"
            );
        }
        Ok(None) => println!("{job}: no state to reset"),
        Err(_) => {
            store.reset(job).map_err(failed)?;
            store.remove_from_summary(job).map_err(failed)?;
            println!(
                "{job}: corrupt state removed; the next run adopts the newest committed load, if any"
            );
        }
    }
    Ok(())
}
