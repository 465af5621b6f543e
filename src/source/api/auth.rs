//! OAuth2 client credentials: one token per source, fetched on first use and again shortly
//! before it expires (or after a 401).

use super::client::error_chain;
use super::error::{ApiError, Redactor};
use super::settings::Auth;
use crate::config::secrets::Secret;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The cached access token and when to fetch a new one.
#[derive(Default)]
pub struct TokenCache {
    current: Mutex<Option<(Secret, Option<Instant>)>>,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<f64>,
}

impl TokenCache {
    /// Forget the token (the server refused it).
    pub async fn clear(&self) {
        *self.current.lock().await = None;
    }

    /// A valid token: the cached one, or a new one from the token endpoint.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        auth: &Auth,
        redact: &Arc<RwLock<Redactor>>,
    ) -> Result<Secret, ApiError> {
        let Auth::OAuth2 {
            token_url,
            client_id,
            client_secret,
            scope,
        } = auth
        else {
            return Err(ApiError::Client("not an OAuth2 source".into()));
        };
        let mut current = self.current.lock().await;
        if let Some((token, renew_at)) = current.as_ref()
            && renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(token.clone());
        }
        let shown = token_url.as_str().to_string();
        let clean = |text: String| match redact.read() {
            Ok(r) => r.text(&text),
            Err(_) => "(message hidden)".into(),
        };
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
        ];
        if let Some(s) = scope {
            form.push(("scope", s.as_str()));
        }
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = http
            .post(token_url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| ApiError::Token {
                url: shown.clone(),
                message: clean(error_chain(&e.without_url())),
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| ApiError::Token {
            url: shown.clone(),
            message: clean(error_chain(&e.without_url())),
        })?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
            let text: String = clean(text.trim().to_string()).chars().take(200).collect();
            return Err(ApiError::Token {
                url: shown,
                message: format!("HTTP {}: {text}", status.as_u16()),
            });
        }
        let answer: TokenAnswer = serde_json::from_slice(&bytes).map_err(|e| ApiError::Token {
            url: shown.clone(),
            message: format!("the answer has no `access_token` ({e})"),
        })?;
        if let Ok(mut r) = redact.write() {
            r.add(&answer.access_token);
        }
        // Renew a tenth of the lifetime early (at most 30 s), so no request carries a token
        // that expires on the way.
        let renew_at = answer
            .expires_in
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| {
                let life = Duration::from_secs_f64(s);
                Instant::now() + life - (life / 10).min(Duration::from_secs(30))
            });
        let token = Secret::new(answer.access_token);
        *current = Some((token.clone(), renew_at));
        tracing::debug!("OAuth2: new token from {shown}");
        Ok(token)
    }
}
