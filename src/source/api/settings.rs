//! `[sources.x] type = "api"` checked once: base URL, headers, auth, limits, and the paging and
//! records options that a job's `pagination_type` cell may override.

pub use super::options::{ApiOptions, Nested, OPTION_KEYS, Pagination};
use crate::config::secrets::{Secret, SourceSecret};
use std::time::Duration;

/// Default request timeout.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Largest `page_size`.
pub const MAX_PAGE_SIZE: u64 = 100_000;

/// An API source section, checked.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Where every job's `api_endpoint` is resolved.
    pub base_url: url::Url,
    /// Extra headers sent with every request (values may be secrets).
    pub headers: Vec<(String, Secret)>,
    /// How requests authenticate.
    pub auth: Auth,
    /// Longest one request may take.
    pub timeout: Duration,
    /// Requests per second at most (`None`: no cap).
    pub max_requests_per_second: Option<f64>,
    /// Paging and records options (a job may override them).
    pub options: ApiOptions,
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP basic auth.
    Basic {
        /// User name.
        username: String,
        /// Password (may be absent).
        password: Option<Secret>,
    },
    /// A key sent in a header.
    ApiKeyHeader {
        /// Header name.
        name: String,
        /// The key.
        key: Secret,
    },
    /// A key sent as a query parameter (never shown in logs or errors).
    ApiKeyQuery {
        /// Parameter name.
        name: String,
        /// The key.
        key: Secret,
    },
    /// OAuth2 client credentials; the token is fetched, cached and refreshed before it expires.
    OAuth2 {
        /// Token endpoint.
        token_url: url::Url,
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: Secret,
        /// Requested scope, if any.
        scope: Option<String>,
    },
}

impl ApiSettings {
    /// Check a section: `base_url` is required; at most one auth kind.
    pub fn of(s: &SourceSecret) -> Result<ApiSettings, String> {
        let base = s
            .base_url
            .as_deref()
            .ok_or("has no `base_url` (e.g. https://api.example.com/v1)")?;
        let base_url = url::Url::parse(base)
            .map_err(|e| format!("has a `base_url` that is not a URL ({e})"))?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err("has a `base_url` that is not http(s)".into());
        }
        if base_url.password().is_some() || !base_url.username().is_empty() {
            return Err(
                "has credentials inside `base_url`; use `username` and `password` instead".into(),
            );
        }
        let options = ApiOptions::from_secret(s)?;
        let timeout = match s.timeout_secs {
            Some(0) => return Err("has `timeout_secs = 0`; use a positive number".into()),
            Some(n) => Duration::from_secs(n),
            None => Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        };
        let max_requests_per_second = match s.max_requests_per_second {
            Some(r) if !(r.is_finite() && r > 0.0) => {
                return Err("has a `max_requests_per_second` that is not a positive number".into());
            }
            r => r,
        };
        let mut headers = Vec::new();
        for (k, v) in s.headers.iter().flatten() {
            if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(v.expose()).is_err()
            {
                return Err(format!(
                    "has an invalid header `{}`",
                    crate::config::rules::shown(k)
                ));
            }
            headers.push((k.clone(), v.clone()));
        }
        Ok(ApiSettings {
            base_url,
            headers,
            auth: auth_of(s)?,
            timeout,
            max_requests_per_second,
            options,
        })
    }
}

fn auth_of(s: &SourceSecret) -> Result<Auth, String> {
    let mut kinds = Vec::new();
    if s.bearer_token.is_some() {
        kinds.push("bearer_token");
    }
    if s.username.is_some() {
        kinds.push("username/password");
    }
    if s.api_key.is_some() {
        kinds.push("api_key");
    }
    if s.token_url.is_some() || s.client_id.is_some() || s.client_secret.is_some() {
        kinds.push("token_url/client_id/client_secret");
    }
    if kinds.len() > 1 {
        return Err(format!(
            "has more than one auth kind ({}); keep one",
            kinds.join(", ")
        ));
    }
    if s.password.is_some() && s.username.is_none() {
        return Err("has a `password` but no `username`".into());
    }
    if let Some(t) = &s.bearer_token {
        return Ok(Auth::Bearer(t.clone()));
    }
    if let Some(u) = &s.username {
        return Ok(Auth::Basic {
            username: u.clone(),
            password: s.login_password().cloned(),
        });
    }
    if let Some(key) = &s.api_key {
        return match (&s.api_key_header, &s.api_key_param) {
            (Some(_), Some(_)) => {
                Err("has both `api_key_header` and `api_key_param`; keep one".into())
            }
            (None, Some(p)) => Ok(Auth::ApiKeyQuery {
                name: p.clone(),
                key: key.clone(),
            }),
            (h, None) => {
                let name = h.clone().unwrap_or_else(|| "X-API-Key".into());
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err("has an `api_key_header` that is not a header name".into());
                }
                Ok(Auth::ApiKeyHeader {
                    name,
                    key: key.clone(),
                })
            }
        };
    }
    if s.token_url.is_some() || s.client_id.is_some() || s.client_secret.is_some() {
        let token_url = s
            .token_url
            .as_deref()
            .ok_or("has OAuth2 settings but no `token_url`")?;
        let token_url = url::Url::parse(token_url)
            .map_err(|e| format!("has a `token_url` that is not a URL ({e})"))?;
        return Ok(Auth::OAuth2 {
            token_url,
            client_id: s
                .client_id
                .clone()
                .ok_or("has OAuth2 settings but no `client_id`")?,
            client_secret: s
                .client_secret
                .clone()
                .ok_or("has OAuth2 settings but no `client_secret`")?,
            scope: s.scope.clone(),
        });
    }
    Ok(Auth::None)
}
