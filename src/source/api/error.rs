//! What can go wrong reading an API: each error names the URL (secrets removed) and the page.

/// An API request or page that failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request failed after its retries (network, timeout, 429 or 5xx).
    #[error("{method} {url} (page {page}): {message}")]
    Request {
        /// GET or POST.
        method: String,
        /// The URL, with key parameters shown as `***`.
        url: String,
        /// 1-based page number.
        page: u64,
        /// What happened, secrets removed.
        message: String,
    },
    /// The server answered with a status that is not retried.
    #[error("{method} {url} (page {page}): HTTP {status}{body}")]
    Status {
        /// GET or POST.
        method: String,
        /// The URL, with key parameters shown as `***`.
        url: String,
        /// 1-based page number.
        page: u64,
        /// The status code.
        status: u16,
        /// The start of the body, prefixed with `: ` (secrets removed), or empty.
        body: String,
    },
    /// A page's body is not what the options describe.
    #[error("{url} (page {page}): {message}")]
    Page {
        /// The URL, with key parameters shown as `***`.
        url: String,
        /// 1-based page number.
        page: u64,
        /// What is wrong (not JSON, no records at `records_path`, a type conflict …).
        message: String,
    },
    /// The OAuth2 token endpoint refused or answered something unusable.
    #[error("OAuth2 token from {url}: {message}")]
    Token {
        /// The token endpoint.
        url: String,
        /// What happened, secrets removed.
        message: String,
    },
    /// Setting up the HTTP client.
    #[error("HTTP client: {0}")]
    Client(String),
}

/// Removes every secret value from text before it is shown.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    params: Vec<String>,
}

impl Redactor {
    /// A redactor for these values (short ones are kept: they would hide ordinary text) and
    /// these query parameter names (their values are always hidden in URLs).
    pub fn new(secrets: Vec<String>, params: Vec<String>) -> Redactor {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 4).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets, params }
    }

    /// Hide a new secret too (an OAuth2 access token).
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= 4 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// `text` with every secret replaced by `***`.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            if encoded != *s && out.contains(encoded.as_str()) {
                out = out.replace(encoded.as_str(), "***");
            }
        }
        out
    }

    /// A URL as shown: the values of secret parameters replaced by `***`, then [`Self::text`].
    pub fn url(&self, url: &url::Url) -> String {
        let mut shown = url.clone();
        if url.query().is_some() && !self.params.is_empty() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let hide = self.params.iter().any(|p| *p == k);
                    (
                        k.into_owned(),
                        if hide { "***".into() } else { v.into_owned() },
                    )
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        let _ = shown.set_password(None);
        self.text(shown.as_str())
    }
}

/// Standard base64 with padding (the form of basic-auth credentials).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
