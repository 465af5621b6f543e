//! One API's HTTP client: auth on every request, the rate cap, and retries of 429, 5xx and
//! timeouts that honour `Retry-After` with doubling backoff up to `--max-retries`.

use super::auth::TokenCache;
use super::error::{ApiError, Redactor};
pub use super::headers::{next_link, retry_after};
use super::settings::{ApiSettings, Auth};
use crate::run::RetryPolicy;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Longest wait a `Retry-After` may ask for before the request is given up.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// The HTTP method of a job's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Method {
    /// GET (the default).
    Get,
    /// POST with the job's JSON body.
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// The URL without secret parameters.
    pub url: url::Url,
    /// GET or POST.
    pub method: Method,
    /// The POST body (JSON text).
    pub body: Option<Arc<str>>,
    /// 1-based page number, for messages.
    pub page: u64,
}

/// A page's answer.
#[derive(Debug)]
pub struct Answer {
    /// The parsed JSON body.
    pub body: serde_json::Value,
    /// The `Link` header's `rel="next"` target, resolved against the request URL.
    pub next_link: Option<url::Url>,
}

/// The HTTP client of one API source.
pub struct Client {
    http: reqwest::Client,
    settings: Arc<ApiSettings>,
    retry: RetryPolicy,
    token: TokenCache,
    next_slot: Mutex<Option<Instant>>,
    redact: Arc<std::sync::RwLock<Redactor>>,
}

impl Client {
    /// A client for `settings`; `retry` is the run's `--max-retries` and `--retry-backoff`.
    pub fn new(settings: Arc<ApiSettings>, retry: RetryPolicy) -> Result<Client, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("ingest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Client(e.without_url().to_string()))?;
        let mut secrets: Vec<String> = settings
            .headers
            .iter()
            .map(|(_, v)| v.expose().to_string())
            .collect();
        let mut params = Vec::new();
        match &settings.auth {
            Auth::None => {}
            Auth::Bearer(t) => secrets.push(t.expose().into()),
            Auth::Basic { username, password } => {
                if let Some(p) = password {
                    secrets.push(p.expose().into());
                    // As it travels in the Authorization header, should a server echo it.
                    secrets.push(super::error::base64(
                        format!("{username}:{}", p.expose()).as_bytes(),
                    ));
                }
            }
            Auth::ApiKeyHeader { key, .. } => secrets.push(key.expose().into()),
            Auth::ApiKeyQuery { name, key } => {
                secrets.push(key.expose().into());
                params.push(name.clone());
            }
            Auth::OAuth2 { client_secret, .. } => secrets.push(client_secret.expose().into()),
        }
        Ok(Client {
            http,
            settings,
            retry,
            token: TokenCache::default(),
            next_slot: Mutex::new(None),
            redact: Arc::new(std::sync::RwLock::new(Redactor::new(secrets, params))),
        })
    }

    /// The URL as it may be shown.
    pub fn shown(&self, url: &url::Url) -> String {
        match self.redact.read() {
            Ok(r) => r.url(url),
            Err(_) => "(url hidden)".into(),
        }
    }

    /// Text with every secret removed.
    pub fn clean(&self, text: &str) -> String {
        match self.redact.read() {
            Ok(r) => r.text(text),
            Err(_) => "(message hidden)".into(),
        }
    }

    /// Fetch one page: retried after 429, 5xx, timeouts and connection errors; a 401 under
    /// OAuth2 fetches a new token once.
    pub async fn fetch(&self, req: &PageRequest) -> Result<Answer, ApiError> {
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            self.wait_for_slot().await;
            let outcome = self.send(req).await;
            let (wait, message) = match outcome {
                Ok(Sent::Done(answer)) => return Ok(answer),
                Ok(Sent::Unauthorized) if !refreshed => {
                    refreshed = true;
                    self.token.clear().await;
                    continue;
                }
                Ok(Sent::Unauthorized) => return Err(self.status(req, 401, String::new())),
                Ok(Sent::Refused(status, body)) => return Err(self.status(req, status, body)),
                Ok(Sent::Retry(message, after)) => (after, message),
                Err(Failure::Transient(m)) => (None, m),
                Err(Failure::Fatal(e)) => return Err(e),
            };
            attempt += 1;
            if attempt > self.retry.max_retries {
                let tries = attempt;
                return Err(self.request_error(req, format!("after {tries} attempts: {message}")));
            }
            let delay = wait.unwrap_or_else(|| self.retry.delay(attempt));
            if delay > MAX_RETRY_AFTER {
                return Err(self.request_error(
                    req,
                    format!(
                        "{message}; the server asks to retry in {} s, longer than {} s",
                        delay.as_secs(),
                        MAX_RETRY_AFTER.as_secs()
                    ),
                ));
            }
            tracing::warn!(
                "{} {} (page {}): {message}; retrying in {:.1} s (retry {attempt} of {})",
                req.method.as_str(),
                self.shown(&req.url),
                req.page,
                delay.as_secs_f64(),
                self.retry.max_retries
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn send(&self, req: &PageRequest) -> Result<Sent, Failure> {
        let mut url = req.url.clone();
        if let Auth::ApiKeyQuery { name, key } = &self.settings.auth {
            url.query_pairs_mut().append_pair(name, key.expose());
        }
        let mut builder = match req.method {
            Method::Get => self.http.get(url),
            Method::Post => self.http.post(url),
        };
        builder = builder.headers(self.headers().map_err(Failure::Fatal)?);
        builder = match &self.settings.auth {
            Auth::Bearer(t) => builder.bearer_auth(t.expose()),
            Auth::Basic { username, password } => {
                builder.basic_auth(username, password.as_ref().map(|p| p.expose()))
            }
            Auth::ApiKeyHeader { name, key } => builder.header(name.as_str(), key.expose()),
            Auth::OAuth2 { .. } => {
                let token = self
                    .token
                    .get(&self.http, &self.settings.auth, &self.redact)
                    .await;
                builder.bearer_auth(token.map_err(Failure::Fatal)?.expose())
            }
            Auth::None | Auth::ApiKeyQuery { .. } => builder,
        };
        if let Some(body) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = builder.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let after = retry_after(response.headers());
            let bytes = response.bytes().await.unwrap_or_default();
            let message = match self.excerpt(&bytes, 200) {
                t if t.is_empty() => format!("HTTP {}", status.as_u16()),
                t => format!("HTTP {}: {t}", status.as_u16()),
            };
            return Ok(Sent::Retry(message, after));
        }
        if status == StatusCode::UNAUTHORIZED && matches!(self.settings.auth, Auth::OAuth2 { .. }) {
            return Ok(Sent::Unauthorized);
        }
        let next_link = next_link(response.headers(), &req.url);
        let bytes = response.bytes().await.map_err(|e| self.transport(e))?;
        if !status.is_success() {
            let body = match self.excerpt(&bytes, 200) {
                t if t.is_empty() => String::new(),
                t => format!(": {t}"),
            };
            return Ok(Sent::Refused(status.as_u16(), body));
        }
        let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Fatal(ApiError::Page {
                url: self.shown(&req.url),
                page: req.page,
                message: format!(
                    "the body is not JSON ({e}); it starts with `{}`",
                    self.excerpt(&bytes, 60)
                ),
            })
        })?;
        Ok(Sent::Done(Answer { body, next_link }))
    }

    /// The start of a body, secrets removed before it is cut (so no part of one shows).
    fn excerpt(&self, bytes: &[u8], chars: usize) -> String {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
        self.clean(text.trim()).chars().take(chars).collect()
    }

    fn headers(&self) -> Result<HeaderMap, ApiError> {
        let mut map = HeaderMap::new();
        map.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        for (k, v) in &self.settings.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| ApiError::Client(format!("invalid header name `{k}`")))?;
            let mut value = HeaderValue::from_str(v.expose())
                .map_err(|_| ApiError::Client(format!("invalid value of header `{k}`")))?;
            value.set_sensitive(true);
            map.insert(name, value);
        }
        Ok(map)
    }

    /// Wait for the next request slot under `max_requests_per_second`.
    async fn wait_for_slot(&self) {
        let Some(rate) = self.settings.max_requests_per_second else {
            return;
        };
        let gap = Duration::from_secs_f64(1.0 / rate);
        let at = {
            let mut next = self.next_slot.lock().await;
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + gap);
            at
        };
        tokio::time::sleep_until(at).await;
    }

    fn transport(&self, e: reqwest::Error) -> Failure {
        let transient = e.is_timeout() || e.is_connect() || e.is_request() || e.is_body();
        let timeout = e.is_timeout();
        let message = self.clean(&error_chain(&e.without_url()));
        let message = if timeout {
            format!(
                "timed out after {} s ({message})",
                self.settings.timeout.as_secs()
            )
        } else {
            message
        };
        if transient {
            Failure::Transient(message)
        } else {
            Failure::Fatal(ApiError::Client(message))
        }
    }

    fn status(&self, req: &PageRequest, status: u16, body: String) -> ApiError {
        ApiError::Status {
            method: req.method.as_str().into(),
            url: self.shown(&req.url),
            page: req.page,
            status,
            body,
        }
    }

    fn request_error(&self, req: &PageRequest, message: String) -> ApiError {
        ApiError::Request {
            method: req.method.as_str().into(),
            url: self.shown(&req.url),
            page: req.page,
            message,
        }
    }
}

enum Sent {
    Done(Answer),
    Retry(String, Option<Duration>),
    Refused(u16, String),
    Unauthorized,
}

enum Failure {
    Transient(String),
    Fatal(ApiError),
}

/// An error and its causes on one line.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}
