//! Notifications after a run: the run summary POSTed to the webhooks of `[notifications]`
//! (Teams, Slack or plain JSON). A webhook that fails is a warning; it never changes the exit
//! code. Messages carry job ids, statuses, counts and the (already redacted) first error of a
//! failed job; never a URL in full or any other secret.

pub mod payload;

use crate::config::secrets::{Notifications, NotifyOn, Webhook};
use crate::run::summary::{JobReport, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Longest error text per job in a message.
const ERROR_CHARS: usize = 500;

/// What a notification says about a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The run id (as in the audit log).
    pub run_id: String,
    /// The machine that ran it.
    pub host: String,
    /// `SUCCESS` when no job failed, else `FAILED`.
    pub status: &'static str,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Wall time of the run.
    pub duration_seconds: f64,
    /// Jobs in the run.
    pub jobs_total: usize,
    /// Jobs that succeeded.
    pub jobs_succeeded: usize,
    /// Jobs that failed.
    pub jobs_failed: usize,
    /// Jobs skipped.
    pub jobs_skipped: usize,
    /// Rows written by every job.
    pub rows: u64,
    /// One entry per job, in run order.
    pub jobs: Vec<JobLine>,
}

/// One job in a [`RunSummary`].
#[derive(Debug, Clone, Serialize)]
pub struct JobLine {
    /// Job id.
    pub job_id: String,
    /// SUCCESS, FAILED or SKIPPED.
    pub status: Status,
    /// Rows written.
    pub rows: u64,
    /// Wall time.
    pub seconds: f64,
    /// The first error (one line, cut to 500 characters), for a failed job.
    pub error: Option<String>,
    /// Why a skipped job did not run.
    pub reason: Option<String>,
}

impl RunSummary {
    /// The summary of a finished run.
    pub fn new(reports: &[JobReport], started_at: DateTime<Utc>, host: String) -> RunSummary {
        let finished_at = Utc::now();
        let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
        let failed = count(Status::Failed);
        RunSummary {
            run_id: reports
                .iter()
                .find_map(|r| r.run_id.clone())
                .unwrap_or_else(|| "-".to_string()),
            host,
            status: if failed > 0 { "FAILED" } else { "SUCCESS" },
            started_at,
            finished_at,
            duration_seconds: (finished_at - started_at).num_milliseconds().max(0) as f64 / 1000.0,
            jobs_total: reports.len(),
            jobs_succeeded: count(Status::Success),
            jobs_failed: failed,
            jobs_skipped: count(Status::Skipped),
            rows: reports.iter().map(|r| r.rows).sum(),
            jobs: reports
                .iter()
                .map(|r| JobLine {
                    job_id: r.job_id.clone(),
                    status: r.status,
                    rows: r.rows,
                    seconds: r.seconds,
                    error: r.error.as_deref().map(first_line),
                    reason: r.reason.clone(),
                })
                .collect(),
        }
    }

    /// Whether the run failed.
    pub fn failed(&self) -> bool {
        self.jobs_failed > 0
    }
}

/// The first line of an error, cut to [`ERROR_CHARS`] characters.
fn first_line(e: &str) -> String {
    let line = e.lines().next().unwrap_or_default().trim();
    if line.chars().count() > ERROR_CHARS {
        line.chars().take(ERROR_CHARS - 1).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

/// How one webhook took the message.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The webhook's name.
    pub name: String,
    /// `None` when delivered; else why not (no URL in it).
    pub problem: Option<String>,
}

/// Send the summary to every webhook (all at once) when `on` says so; log a warning for
/// each that fails. Returns one [`Delivery`] per webhook notified.
pub async fn send(config: &Notifications, summary: &RunSummary) -> Vec<Delivery> {
    if config.on == NotifyOn::Failure && !summary.failed() {
        return Vec::new();
    }
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .user_agent(concat!("ingest/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("notifications not sent: {}", e.without_url());
            return Vec::new();
        }
    };
    let sends = config
        .webhooks
        .iter()
        .map(|hook| send_one(&client, hook, summary));
    futures::future::join_all(sends).await
}

async fn send_one(client: &reqwest::Client, hook: &Webhook, summary: &RunSummary) -> Delivery {
    let body = payload::for_kind(hook.kind, summary);
    let result = client
        .post(hook.url.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await;
    let problem = match result {
        Ok(resp) if resp.status().is_success() => None,
        Ok(resp) => Some(format!("answered HTTP {}", resp.status().as_u16())),
        Err(e) if e.is_timeout() => Some("did not answer in time".to_string()),
        Err(e) => Some(error_chain(&e.without_url())),
    };
    match &problem {
        None => tracing::info!(
            "notification `{}` ({}) sent to {}",
            hook.name,
            hook.kind.name(),
            hook.shown_url()
        ),
        Some(p) => tracing::warn!(
            "notification `{}` ({}, {}) not delivered: {p}",
            hook.name,
            hook.kind.name(),
            hook.shown_url()
        ),
    }
    Delivery {
        name: hook.name.clone(),
        problem,
    }
}

/// An error and its causes on one line (reqwest's own message is terse).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
