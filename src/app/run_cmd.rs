//! `ingest run` and `ingest maintain`: load the workbook, run or maintain its jobs, print the summary.

use super::{error, exit, load_checked};
use crate::cli::{MaintainArgs, Output, RunArgs};
use crate::run::{self, RunError, RunOptions, summary};
use crate::state::lock::LockError;

pub(super) async fn run_cmd(global: &crate::cli::Global, args: RunArgs) -> u8 {
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

pub(super) async fn maintain_cmd(global: &crate::cli::Global, args: MaintainArgs) -> u8 {
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
    let reports =
        match run::maintain::maintain(&loaded, &args.jobs, opts, args.keep_audit_days).await {
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
