//! The commands: each turns parsed arguments into work and an exit code.

mod run_cmd;
mod state_cmd;
mod validate_cmd;

use crate::cli::{Cli, Command, Output, SampleArgs};
use crate::config::{self, Loaded, issue};
use crate::run;
use run_cmd::{maintain_cmd, run_cmd};
use state_cmd::state_cmd;
use std::path::Path;
use std::process::ExitCode;
use validate_cmd::validate_cmd;

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

/// Print `message` as an error and return `code`.
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
