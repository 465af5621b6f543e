//! `[sources.x] type = "api"` checked once: base URL, headers, auth, limits, and the paging and
//! records options that a job's `pagination_type` cell may override.

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

/// How pages follow each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pagination {
    /// One request.
    #[default]
    None,
    /// `limit_param` = page size, `offset_param` = records already read.
    Offset,
    /// `page_param` = page number from `start_page`.
    Page,
    /// `cursor_param` = the value at `next_cursor_path` of the previous page.
    Cursor,
    /// The RFC 8288 `Link: <…>; rel="next"` header, or the URL at `next_url_path`.
    Link,
}

impl Pagination {
    /// Parse a name (`none`, `offset`, `page`, `cursor`, `link`), ignoring case.
    pub fn parse(s: &str) -> Option<Pagination> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Pagination::None,
            "offset" => Pagination::Offset,
            "page" => Pagination::Page,
            "cursor" => Pagination::Cursor,
            "link" => Pagination::Link,
            _ => return None,
        })
    }

    /// The name as written in secrets and the workbook.
    pub fn name(self) -> &'static str {
        match self {
            Pagination::None => "none",
            Pagination::Offset => "offset",
            Pagination::Page => "page",
            Pagination::Cursor => "cursor",
            Pagination::Link => "link",
        }
    }
}

/// What nested objects and arrays become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nested {
    /// Struct and List columns.
    #[default]
    Struct,
    /// JSON text columns.
    Json,
}

/// Paging and records options: the source section's, with a job's overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiOptions {
    /// How pages follow each other.
    pub pagination: Pagination,
    /// Records per page asked for (sent as `limit_param`); required by `offset`.
    pub page_size: Option<u64>,
    /// Dotted path to the record list; `None`: the body if it is an array, else its single
    /// array field.
    pub records_path: Option<String>,
    /// Parameter carrying `page_size`.
    pub limit_param: String,
    /// Parameter carrying the offset (`offset`).
    pub offset_param: String,
    /// Parameter carrying the page number (`page`).
    pub page_param: String,
    /// First page number (`page`).
    pub start_page: u64,
    /// Parameter carrying the cursor (`cursor`).
    pub cursor_param: String,
    /// Dotted path to the next cursor in the body (`cursor`).
    pub next_cursor_path: Option<String>,
    /// Dotted path to the next page's URL in the body (`link`; else the `Link` header).
    pub next_url_path: Option<String>,
    /// Dotted path to the total record count; the run stops once it is reached.
    pub total_path: Option<String>,
    /// Parameter that sends an INCREMENTAL job's stored lower bound.
    pub incremental_param: Option<String>,
    /// Nested values as Struct/List or JSON text.
    pub nested: Nested,
}

impl Default for ApiOptions {
    fn default() -> ApiOptions {
        ApiOptions {
            pagination: Pagination::None,
            page_size: None,
            records_path: None,
            limit_param: "limit".into(),
            offset_param: "offset".into(),
            page_param: "page".into(),
            start_page: 1,
            cursor_param: "cursor".into(),
            next_cursor_path: None,
            next_url_path: None,
            total_path: None,
            incremental_param: None,
            nested: Nested::Struct,
        }
    }
}

/// The option keys a job may override, as written in secrets and in `pagination_type`.
pub const OPTION_KEYS: &[&str] = &[
    "pagination",
    "page_size",
    "records_path",
    "limit_param",
    "offset_param",
    "page_param",
    "start_page",
    "cursor_param",
    "next_cursor_path",
    "next_url_path",
    "total_path",
    "incremental_param",
    "nested",
];

impl ApiOptions {
    /// Set one option from its text; the error says what is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        let text = || -> Result<String, String> {
            if value.is_empty() {
                return Err(format!("`{key}` is empty"));
            }
            Ok(value.to_string())
        };
        let number = |max: u64, min: u64| -> Result<u64, String> {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("`{key}` must be a whole number in {min}..={max}"))
        };
        match key.trim() {
            "pagination" => {
                self.pagination = Pagination::parse(value).ok_or_else(|| {
                    format!(
                        "`{}` is not a pagination type (none, offset, page, cursor or link)",
                        crate::config::rules::shown(value)
                    )
                })?
            }
            "page_size" => self.page_size = Some(number(MAX_PAGE_SIZE, 1)?),
            "records_path" => self.records_path = Some(text()?),
            "limit_param" => self.limit_param = text()?,
            "offset_param" => self.offset_param = text()?,
            "page_param" => self.page_param = text()?,
            "start_page" => self.start_page = number(u64::from(u32::MAX), 0)?,
            "cursor_param" => self.cursor_param = text()?,
            "next_cursor_path" => self.next_cursor_path = Some(text()?),
            "next_url_path" => self.next_url_path = Some(text()?),
            "total_path" => self.total_path = Some(text()?),
            "incremental_param" => self.incremental_param = Some(text()?),
            "nested" => {
                self.nested = match value.to_ascii_lowercase().as_str() {
                    "struct" => Nested::Struct,
                    "json" => Nested::Json,
                    _ => return Err("`nested` must be struct or json".into()),
                }
            }
            other => {
                return Err(format!(
                    "`{}` is not an API option (use {})",
                    crate::config::rules::shown(other),
                    OPTION_KEYS.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Apply a job's `pagination_type` cell: a type, then `;`-separated `key=value` overrides
    /// (`cursor; next_cursor_path=meta.next; page_size=500`), or only overrides.
    pub fn with_cell(&self, cell: &str) -> Result<ApiOptions, String> {
        let out = self.apply_cell(cell)?;
        out.check()?;
        Ok(out)
    }

    /// [`ApiOptions::with_cell`] without [`ApiOptions::check`]: the cell's syntax and values only.
    pub fn apply_cell(&self, cell: &str) -> Result<ApiOptions, String> {
        let mut out = self.clone();
        for (i, part) in cell.split(';').enumerate() {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match part.split_once('=') {
                Some((k, v)) => out.set(k.trim(), v)?,
                None if i == 0 => out.set("pagination", part)?,
                None => {
                    return Err(format!(
                        "`{}` is not `key=value` (only the first item may be a bare pagination type)",
                        crate::config::rules::shown(part)
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Options that only make sense together.
    pub fn check(&self) -> Result<(), String> {
        match self.pagination {
            Pagination::Cursor if self.next_cursor_path.is_none() => Err(
                "cursor pagination needs `next_cursor_path` (where the next cursor is in the body)"
                    .into(),
            ),
            Pagination::Offset if self.page_size.is_none() => {
                Err("offset pagination needs `page_size`".into())
            }
            _ => Ok(()),
        }
    }

    /// The section's options, as text pairs for [`ApiOptions::set`].
    fn from_secret(s: &SourceSecret) -> Result<ApiOptions, String> {
        let mut out = ApiOptions::default();
        let pairs: [(&str, Option<String>); 13] = [
            ("pagination", s.pagination.clone()),
            ("page_size", s.page_size.map(|n| n.to_string())),
            ("records_path", s.records_path.clone()),
            ("limit_param", s.limit_param.clone()),
            ("offset_param", s.offset_param.clone()),
            ("page_param", s.page_param.clone()),
            ("start_page", s.start_page.map(|n| n.to_string())),
            ("cursor_param", s.cursor_param.clone()),
            ("next_cursor_path", s.next_cursor_path.clone()),
            ("next_url_path", s.next_url_path.clone()),
            ("total_path", s.total_path.clone()),
            ("incremental_param", s.incremental_param.clone()),
            ("nested", s.nested.clone()),
        ];
        for (k, v) in pairs {
            if let Some(v) = v {
                out.set(k, &v)?;
            }
        }
        Ok(out)
    }
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
