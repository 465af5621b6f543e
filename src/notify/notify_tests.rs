use super::*;
use crate::config::secrets::WebhookKind;
use std::path::Path;

fn summary() -> RunSummary {
    let mut ok = JobReport::empty("orders", Status::Success);
    ok.rows = 1200;
    ok.seconds = 2.5;
    ok.run_id = Some("20260122T031500.000000Z".into());
    let mut bad = JobReport::empty("customers", Status::Failed);
    bad.error = Some(format!("query failed: {}\nsecond line", "x".repeat(900)));
    let mut skipped = JobReport::empty("totals", Status::Skipped);
    skipped.reason = Some("dependency `customers` failed".into());
    let start = Utc::now() - chrono::Duration::seconds(12);
    RunSummary::new(&[ok, bad, skipped], start, "etl-01".into())
}

#[test]
fn the_summary_counts_and_cuts_errors() {
    let s = summary();
    assert_eq!(s.status, "FAILED");
    assert_eq!(
        (
            s.jobs_total,
            s.jobs_succeeded,
            s.jobs_failed,
            s.jobs_skipped
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(s.rows, 1200);
    assert_eq!(s.run_id, "20260122T031500.000000Z");
    assert!(s.duration_seconds >= 12.0);
    let e = s.jobs[1].error.as_deref().unwrap();
    assert_eq!(e.chars().count(), ERROR_CHARS);
    assert!(!e.contains("second line"));
}

#[test]
fn teams_gets_an_adaptive_card() {
    let v = payload::for_kind(WebhookKind::Teams, &summary());
    assert_eq!(v["type"], "message");
    let card = &v["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    let text = v.to_string();
    assert!(
        text.contains("ingest run FAILED on etl-01: 1 of 3 jobs failed"),
        "{text}"
    );
    assert!(text.contains("**customers**: query failed"), "{text}");
    assert!(text.contains("SUCCESS · 1200 rows · 2.5 s"), "{text}");
}

#[test]
fn slack_gets_text_and_blocks_within_limits() {
    let v = payload::for_kind(WebhookKind::Slack, &summary());
    assert_eq!(v["text"], "ingest run FAILED on etl-01: 1 of 3 jobs failed");
    for b in v["blocks"].as_array().unwrap() {
        if let Some(t) = b["text"]["text"].as_str() {
            assert!(t.chars().count() <= 3000, "{t}");
        }
    }
    assert!(v.to_string().contains("*customers*: query failed"));
}

#[test]
fn json_gets_every_field() {
    let v = payload::for_kind(WebhookKind::Json, &summary());
    assert_eq!(v["event"], "ingest.run.finished");
    assert_eq!(v["jobs_failed"], 1);
    assert_eq!(v["host"], "etl-01");
    assert_eq!(v["jobs"][2]["reason"], "dependency `customers` failed");
    assert_eq!(v["jobs"][0]["status"], "SUCCESS");
}

#[test]
fn three_hundred_jobs_stay_a_readable_message() {
    let reports: Vec<JobReport> = (0..300)
        .map(|i| {
            let mut r = JobReport::empty(&format!("job_{i:03}"), Status::Success);
            if i == 299 {
                r.status = Status::Failed;
                r.error = Some("boom".into());
            }
            r
        })
        .collect();
    let s = RunSummary::new(&reports, Utc::now(), "h".into());
    let teams = payload::for_kind(WebhookKind::Teams, &s).to_string();
    assert!(teams.len() < 28_000, "Teams card limit: {}", teams.len());
    assert!(
        teams.contains("job_299") && teams.contains("260 more jobs"),
        "{teams}"
    );
    let slack = payload::for_kind(WebhookKind::Slack, &s).to_string();
    assert!(slack.contains("job_299"));
}

fn parse(text: &str) -> (crate::config::secrets::Secrets, Vec<crate::config::Issue>) {
    crate::config::secrets::parse(
        Path::new("secrets.toml"),
        text.as_bytes().to_vec(),
        std::iter::empty(),
    )
    .unwrap()
}

#[test]
fn notifications_parse_with_defaults() {
    let (s, issues) = parse(
        "[notifications.webhooks.ops]\nkind = \"teams\"\nurl = \"https://prod.example.com/workflows/abc?sig=SECRET\"\n\
         [notifications.webhooks.chat]\nkind = \"Slack\"\nurl = \"https://hooks.slack.com/services/T/B/SECRET\"\n",
    );
    assert!(issues.is_empty(), "{issues:?}");
    let n = s.notifications.unwrap();
    assert_eq!(n.on, NotifyOn::Failure);
    assert_eq!(n.timeout.as_secs(), 10);
    assert_eq!(n.webhooks.len(), 2);
    let ops = n.webhooks.iter().find(|w| w.name == "ops").unwrap();
    assert_eq!(ops.kind, WebhookKind::Teams);
    assert_eq!(ops.shown_url(), "https://prod.example.com/…");
    assert!(!format!("{ops:?}").contains("SECRET"));
}

#[test]
fn bad_notifications_are_named_and_never_quote_a_url() {
    let (s, issues) = parse(
        "[notifications]\non = \"sometimes\"\ntimeout_secs = 0\ncolour = 1\n\
         [notifications.webhooks.a]\nkind = \"pager\"\nurl = \"ftp://SECRET@x\"\n\
         [notifications.webhooks.b]\nurl = \"https://x.example/SECRET\"\n",
    );
    assert!(s.notifications.is_none());
    let text: Vec<String> = issues
        .iter()
        .map(|i| format!("{} {:?}", i.message, i.hint))
        .collect();
    let all = text.join("\n");
    for want in [
        "`notifications.on` must be \"failure\" or \"always\"",
        "`notifications.timeout_secs` must be an integer from 1 to 300",
        "unknown key `colour` in [notifications]",
        "`notifications.webhooks.a.kind` must be \"teams\", \"slack\" or \"json\"",
        "`notifications.webhooks.a.url` must be an http:// or https:// URL",
        "[notifications.webhooks.b] needs `kind`",
    ] {
        assert!(all.contains(want), "missing `{want}` in:\n{all}");
    }
    assert!(!all.contains("SECRET"), "{all}");
    let (_, issues) = parse("[notifications]\non = \"always\"\n");
    assert!(
        issues
            .iter()
            .any(|i| format!("{} {:?}", i.message, i.hint).contains("has no webhook")),
        "{issues:?}"
    );
}
