//! The message bodies: a Teams Adaptive Card, a Slack message, or the summary as JSON.

use super::RunSummary;
use crate::config::secrets::WebhookKind;
use crate::run::summary::Status;
use serde_json::{Value, json};

/// Jobs listed one per line in Teams and Slack messages (failed ones always are).
const LISTED: usize = 40;
/// Slack's limit for a section's text.
const SLACK_TEXT: usize = 2900;

/// The body for a webhook of `kind`.
pub fn for_kind(kind: WebhookKind, s: &RunSummary) -> Value {
    match kind {
        WebhookKind::Teams => teams(s),
        WebhookKind::Slack => slack(s),
        WebhookKind::Json => json(s),
    }
}

/// `ingest run FAILED on host: 1 of 7 jobs failed`.
pub fn title(s: &RunSummary) -> String {
    if s.failed() {
        format!(
            "ingest run FAILED on {}: {} of {} jobs failed",
            s.host, s.jobs_failed, s.jobs_total
        )
    } else {
        format!("ingest run succeeded on {}: {} jobs", s.host, s.jobs_total)
    }
}

fn counts(s: &RunSummary) -> String {
    format!(
        "{} succeeded, {} failed, {} skipped",
        s.jobs_succeeded, s.jobs_failed, s.jobs_skipped
    )
}

fn status_word(st: Status) -> &'static str {
    match st {
        Status::Success => "SUCCESS",
        Status::Failed => "FAILED",
        Status::Skipped => "SKIPPED",
    }
}

/// The jobs listed line by line: every failed one, then others up to [`LISTED`]; and how
/// many were left out.
fn listed(s: &RunSummary) -> (Vec<&super::JobLine>, usize) {
    let mut out: Vec<&super::JobLine> = s
        .jobs
        .iter()
        .filter(|j| j.status == Status::Failed)
        .collect();
    let room = LISTED.saturating_sub(out.len());
    out.extend(
        s.jobs
            .iter()
            .filter(|j| j.status != Status::Failed)
            .take(room),
    );
    let left = s.jobs.len() - out.len();
    (out, left)
}

fn teams(s: &RunSummary) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
               "color": if s.failed() { "Attention" } else { "Good" }, "text": title(s)}),
        json!({"type": "FactSet", "facts": [
            {"title": "Run", "value": s.run_id},
            {"title": "Host", "value": s.host},
            {"title": "Jobs", "value": counts(s)},
            {"title": "Rows", "value": s.rows.to_string()},
            {"title": "Duration", "value": format!("{:.1} s", s.duration_seconds)},
            {"title": "Started", "value": s.started_at.to_rfc3339()},
        ]}),
    ];
    let failed: Vec<&super::JobLine> = s
        .jobs
        .iter()
        .filter(|j| j.status == Status::Failed)
        .collect();
    if !failed.is_empty() {
        body.push(json!({"type": "TextBlock", "weight": "Bolder", "text": "Failed jobs"}));
        for j in failed {
            body.push(
                json!({"type": "TextBlock", "wrap": true, "color": "Attention",
                "text": format!("**{}**: {}", j.job_id, j.error.as_deref().unwrap_or("failed"))}),
            );
        }
    }
    let (jobs, left) = listed(s);
    let mut facts: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({"title": j.job_id, "value": format!("{} · {} rows · {:.1} s",
                status_word(j.status), j.rows, j.seconds)})
        })
        .collect();
    if left > 0 {
        facts.push(json!({"title": "…", "value": format!("{left} more jobs")}));
    }
    body.push(json!({"type": "TextBlock", "weight": "Bolder", "text": "Jobs"}));
    body.push(json!({"type": "FactSet", "facts": facts}));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": body,
            }
        }]
    })
}

fn cut(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        text
    } else {
        text.chars().take(max - 1).collect::<String>() + "…"
    }
}

fn slack(s: &RunSummary) -> Value {
    let facts = format!(
        "*Run* {}\n*Host* {}\n*Jobs* {}\n*Rows* {}\n*Duration* {:.1} s",
        s.run_id,
        s.host,
        counts(s),
        s.rows,
        s.duration_seconds
    );
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(title(s), 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": facts}}),
    ];
    let errors: Vec<String> = s
        .jobs
        .iter()
        .filter(|j| j.status == Status::Failed)
        .map(|j| format!("*{}*: {}", j.job_id, j.error.as_deref().unwrap_or("failed")))
        .collect();
    if !errors.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": cut(format!(":x: Failed jobs\n{}", errors.join("\n")), SLACK_TEXT)}}));
    }
    let (jobs, left) = listed(s);
    let width = jobs
        .iter()
        .map(|j| j.job_id.len())
        .max()
        .unwrap_or(3)
        .min(30);
    let mut table: Vec<String> = jobs
        .iter()
        .map(|j| {
            format!(
                "{:<width$}  {:<7}  {:>12}  {:>8.1} s",
                j.job_id,
                status_word(j.status),
                j.rows,
                j.seconds
            )
        })
        .collect();
    if left > 0 {
        table.push(format!("… {left} more jobs"));
    }
    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
        "text": format!("```{}```", cut(table.join("\n"), SLACK_TEXT - 6))}}));
    json!({"text": title(s), "blocks": blocks})
}

fn json(s: &RunSummary) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("event".into(), json!("ingest.run.finished"));
        m.insert("title".into(), json!(title(s)));
    }
    v
}
