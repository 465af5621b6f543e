//! A job's request, from its workbook row: `api_endpoint`, `api_method`, the POST body in
//! `source_query`, and the option overrides in `pagination_type`.

use super::client::Method;
use super::settings::ApiOptions;
use serde::Serialize;

/// What an `API` row asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiJob {
    /// Path (and query) relative to the source's `base_url`, variables resolved.
    pub endpoint: String,
    /// GET or POST.
    pub method: Method,
    /// The POST body, JSON text, variables resolved.
    pub body: Option<String>,
    /// The `pagination_type` cell: a type and `key=value` overrides of the section's options.
    pub options: Option<String>,
}

impl ApiJob {
    /// The job's options: the section's, with the row's overrides.
    pub fn options(&self, section: &ApiOptions) -> Result<ApiOptions, String> {
        match &self.options {
            Some(cell) => section.with_cell(cell),
            None => {
                section.check()?;
                Ok(section.clone())
            }
        }
    }

    /// The endpoint's URL under `base`: `base` + `/` + the endpoint, keeping both queries.
    pub fn url(&self, base: &url::Url) -> Result<url::Url, String> {
        let (path, query) = match self.endpoint.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (self.endpoint.as_str(), None),
        };
        let mut url = base.clone();
        let joined = format!(
            "{}/{}",
            base.path().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        url.set_path(&joined);
        if let Some(q) = query {
            let all = match base.query() {
                Some(b) if !b.is_empty() => format!("{b}&{q}"),
                _ => q.to_string(),
            };
            url.set_query(Some(&all));
        }
        Ok(url)
    }
}

impl std::fmt::Display for ApiJob {
    /// One line for the dry run: `GET /v1/orders (pagination: cursor; page_size=500)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.endpoint)?;
        if let Some(o) = &self.options {
            write!(f, " (pagination: {o})")?;
        }
        Ok(())
    }
}

/// Check an `api_endpoint` cell: a relative path, no scheme or host, no `..`.
pub fn check_endpoint(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is empty".into());
    }
    if t.contains("://") || t.starts_with("//") {
        return Err("must be a path relative to the source's base_url, not a full URL".into());
    }
    if t.split(['/', '?']).any(|s| s == "..") {
        return Err("must not contain `..`".into());
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    Ok(t.to_string())
}

/// Parse an `api_method` cell (empty: GET).
pub fn parse_method(text: Option<&str>) -> Result<Method, String> {
    match text.map(|t| t.trim().to_ascii_uppercase()).as_deref() {
        None | Some("") | Some("GET") => Ok(Method::Get),
        Some("POST") => Ok(Method::Post),
        Some(other) => Err(format!(
            "`{}` is not an api_method (use GET or POST)",
            crate::config::rules::shown(other)
        )),
    }
}

/// Check a POST body: JSON text.
pub fn check_body(text: &str) -> Result<(), String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| ())
        .map_err(|e| format!("the POST body is not JSON ({e})"))
}
