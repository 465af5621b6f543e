//! `[notifications]`: webhooks told about a run's outcome. Their URLs are secrets (whoever
//! holds one can post to the channel): only scheme and host are ever shown.

use super::Secret;
use super::load::{Ctx, suggest};
use crate::config::Severity;
use std::time::Duration;
use toml::{Table, Value};

/// When to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotifyOn {
    /// Only when at least one job failed (the default).
    #[default]
    Failure,
    /// After every run.
    Always,
}

/// The shape of the message a webhook expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// Microsoft Teams (Workflows "post to a channel when a webhook request is received", or
    /// an incoming webhook): an Adaptive Card.
    Teams,
    /// Slack incoming webhook: `text` and blocks.
    Slack,
    /// Any service: the run summary as plain JSON.
    Json,
}

impl WebhookKind {
    /// `teams`, `slack` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            WebhookKind::Teams => "teams",
            WebhookKind::Slack => "slack",
            WebhookKind::Json => "json",
        }
    }
}

/// One `[notifications.webhooks.<name>]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// The section name.
    pub name: String,
    /// Message shape.
    pub kind: WebhookKind,
    /// Where to POST (a secret).
    pub url: Secret,
}

impl Webhook {
    /// The URL as it may be shown: `https://hooks.slack.com/…` (scheme and host only).
    pub fn shown_url(&self) -> String {
        match url::Url::parse(self.url.expose()) {
            Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("?")),
            Err(_) => "(invalid URL)".to_string(),
        }
    }
}

/// The whole `[notifications]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Notifications {
    /// When to notify.
    pub on: NotifyOn,
    /// How long one webhook may take to answer.
    pub timeout: Duration,
    /// The webhooks, in name order.
    pub webhooks: Vec<Webhook>,
}

/// Default `timeout_secs`.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
const MAX_TIMEOUT_SECS: i64 = 300;
const TOP_KEYS: &[&str] = &["on", "timeout_secs", "webhooks"];
const HOOK_KEYS: &[&str] = &["kind", "url"];

/// Check and read `[notifications]`; every problem becomes an issue (never quoting a URL).
pub(super) fn parse(ctx: &mut Ctx, table: Table) -> Option<Notifications> {
    let before = ctx.issue_count();
    let mut out = Notifications {
        on: NotifyOn::Failure,
        timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        webhooks: Vec::new(),
    };
    for (key, value) in table {
        let dotted = format!("notifications.{key}");
        match (key.as_str(), value) {
            ("on", Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "failure" => out.on = NotifyOn::Failure,
                "always" => out.on = NotifyOn::Always,
                _ => ctx.error(
                    &dotted,
                    &key,
                    "`notifications.on` must be \"failure\" or \"always\"".to_string(),
                ),
            },
            ("timeout_secs", Value::Integer(n)) if (1..=MAX_TIMEOUT_SECS).contains(&n) => {
                out.timeout = Duration::from_secs(n as u64);
            }
            ("timeout_secs", _) => ctx.error(
                &dotted,
                &key,
                format!("`{dotted}` must be an integer from 1 to {MAX_TIMEOUT_SECS}"),
            ),
            ("webhooks", Value::Table(hooks)) => {
                for (name, hook) in hooks {
                    if let Some(w) = webhook(ctx, name, hook) {
                        out.webhooks.push(w);
                    }
                }
            }
            ("on" | "webhooks", v) => ctx.error(
                &dotted,
                &key,
                format!(
                    "`{dotted}` must be {}, not {}",
                    if key == "on" { "a string" } else { "a table" },
                    v.type_str()
                ),
            ),
            _ => ctx.push(
                Severity::Error,
                &dotted,
                &key,
                format!("unknown key `{key}` in [notifications]"),
                suggest(&key, TOP_KEYS),
            ),
        }
    }
    if out.webhooks.is_empty() && ctx.issue_count() == before {
        ctx.error(
            "notifications.webhooks",
            "webhooks",
            "[notifications] has no webhook: add [notifications.webhooks.<name>] with kind and url"
                .to_string(),
        );
    }
    (ctx.issue_count() == before).then_some(out)
}

fn webhook(ctx: &mut Ctx, name: String, value: Value) -> Option<Webhook> {
    let section = format!("notifications.webhooks.{name}");
    let Value::Table(t) = value else {
        ctx.error(
            &section,
            &name,
            format!("`{section}` must be a table, not {}", value.type_str()),
        );
        return None;
    };
    let (mut kind, mut url, mut ok) = (None, None, true);
    for (key, v) in t {
        let dotted = format!("{section}.{key}");
        match (key.as_str(), v) {
            ("kind", Value::String(s)) => {
                kind = match s.to_ascii_lowercase().as_str() {
                    "teams" => Some(WebhookKind::Teams),
                    "slack" => Some(WebhookKind::Slack),
                    "json" => Some(WebhookKind::Json),
                    _ => {
                        ctx.error(
                            &dotted,
                            &key,
                            format!("`{dotted}` must be \"teams\", \"slack\" or \"json\""),
                        );
                        ok = false;
                        None
                    }
                }
            }
            ("url", Value::String(s)) => {
                let scheme_ok = url::Url::parse(&s).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https") && u.host_str().is_some()
                });
                if scheme_ok {
                    url = Some(Secret::new(s));
                } else {
                    ctx.error(
                        &dotted,
                        &key,
                        format!("`{dotted}` must be an http:// or https:// URL"),
                    );
                    ok = false;
                }
            }
            ("kind" | "url", v) => {
                ctx.error(
                    &dotted,
                    &key,
                    format!("`{dotted}` must be a string, not {}", v.type_str()),
                );
                ok = false;
            }
            _ => {
                ctx.push(
                    Severity::Error,
                    &dotted,
                    &key,
                    format!("unknown key `{key}` in [{section}]"),
                    suggest(&key, HOOK_KEYS),
                );
                ok = false;
            }
        }
    }
    for (missing, what) in [(kind.is_none(), "kind"), (url.is_none(), "url")] {
        if missing && ok {
            ctx.error(
                &format!("{section}.{what}"),
                what,
                format!("[{section}] needs `{what}`"),
            );
            ok = false;
        }
    }
    match (ok, kind, url) {
        (true, Some(kind), Some(url)) => Some(Webhook { name, kind, url }),
        _ => None,
    }
}
