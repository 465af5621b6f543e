//! The container check at the start of a run: the container must exist, or be created when
//! the destination says `create_container = true`.
//!
//! object_store cannot create containers, so this module sends the two container requests
//! itself (`GET ?restype=container` to check, `PUT ?restype=container` to create), signed by
//! object_store's own `AzureAuthorizer` with the credential of the destination's store (SharedKey
//! for account keys and the emulator, the SAS query for SAS tokens, a bearer token for the
//! Entra ID kinds) and sent through object_store's HTTP client with the same timeouts and TLS.

use super::azure::{azure_client, client_options, container_url, resolve_container};
use super::error::{SinkError, redact};
use super::store::{AzureConfig, Destination};
use crate::config::Job;
use object_store::azure::AzureAuthorizer;
use object_store::client::{
    HttpClient, HttpConnector, HttpRequest, HttpRequestBody, ReqwestConnector,
};
use std::collections::HashMap;
use std::sync::Arc;

/// What the service answered to one container request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    /// HTTP status code.
    status: u16,
    /// The `x-ms-error-code` header, when present.
    code: Option<String>,
}

/// Make sure `container` (empty: the destination's default) exists; create it when allowed.
///
/// A local destination always passes (its folders are created on first write). Errors name the
/// destination, the account, the container and the auth kind, never a secret.
pub async fn ensure_container(dest: &Destination, container: &str) -> Result<(), SinkError> {
    let (name, cfg) = match dest {
        Destination::Local { .. } => return Ok(()),
        Destination::Azure { name, cfg } => (name.as_str(), cfg),
    };
    let container = resolve_container(name, cfg, container)?;
    let checker = Checker::new(name, cfg, container)?;
    let answer = checker.send("GET").await?;
    match answer.status {
        200..=299 => Ok(()),
        404 if cfg.create_container => {
            let created = checker.send("PUT").await?;
            match created.status {
                // 409 ContainerAlreadyExists: someone else created it meanwhile.
                200..=299 | 409 => {
                    tracing::info!(
                        "destination `{name}`: created container `{container}` in account `{}`",
                        cfg.account
                    );
                    Ok(())
                }
                _ => Err(checker.refused("cannot create", &created)),
            }
        }
        404 => Err(checker.error(format!(
            "container `{container}` does not exist in storage account `{}` (auth: {}); \
             create it, or set `create_container = true` in [destinations.{name}]",
            cfg.account,
            cfg.auth.kind()
        ))),
        _ => Err(checker.refused("cannot access", &answer)),
    }
}

/// Check each distinct (destination, container) of the prepared jobs once; jobs whose check
/// failed get the error in place of their destination (the others are left alone).
pub async fn check_jobs(prepared: &mut [(&Job, Result<Arc<Destination>, String>)]) {
    let mut results: HashMap<(String, String), Result<(), String>> = HashMap::new();
    for (job, dest) in prepared.iter_mut() {
        let Ok(d) = dest else { continue };
        let key = (
            d.name().to_ascii_lowercase(),
            job.target_container.trim().to_string(),
        );
        if !results.contains_key(&key) {
            let result = ensure_container(d, &job.target_container)
                .await
                .map_err(|e| e.to_string());
            results.insert(key.clone(), result);
        }
        if let Some(Err(message)) = results.get(&key) {
            *dest = Err(message.clone());
        }
    }
}

/// Sends signed container requests for one (destination, container).
struct Checker<'a> {
    name: &'a str,
    cfg: &'a AzureConfig,
    container: &'a str,
    store: object_store::azure::MicrosoftAzure,
    http: HttpClient,
    url: String,
}

impl<'a> Checker<'a> {
    fn new(name: &'a str, cfg: &'a AzureConfig, container: &'a str) -> Result<Self, SinkError> {
        let store = azure_client(name, cfg, container)?;
        let http = ReqwestConnector::default()
            .connect(&client_options(cfg))
            .map_err(|e| SinkError::Build {
                destination: name.to_string(),
                message: redact(&e.to_string()),
            })?;
        let url = format!("{}?restype=container", container_url(cfg, container));
        Ok(Checker {
            name,
            cfg,
            container,
            store,
            http,
            url,
        })
    }

    fn error(&self, message: String) -> SinkError {
        SinkError::Config {
            destination: self.name.to_string(),
            message,
        }
    }

    fn refused(&self, what: &str, answer: &Answer) -> SinkError {
        let hint = match answer.status {
            401 | 403 => ": check the credentials and their permissions on this container",
            _ => "",
        };
        self.error(format!(
            "{what} container `{}` in storage account `{}` (auth: {}): HTTP {}{}{hint}",
            self.container,
            self.cfg.account,
            self.cfg.auth.kind(),
            answer.status,
            answer
                .code
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default(),
        ))
    }

    /// Send `method {container}?restype=container`, signed with the store's credential.
    async fn send(&self, method: &str) -> Result<Answer, SinkError> {
        let unreachable = |what: &str, e: &dyn std::fmt::Display| {
            self.error(format!(
                "{what} for container `{}` in storage account `{}` (auth: {}): {}",
                self.container,
                self.cfg.account,
                self.cfg.auth.kind(),
                redact(&e.to_string())
            ))
        };
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(|e| unreachable("cannot get a credential", &e))?;
        let mut request = HttpRequest::new(HttpRequestBody::empty());
        *request.method_mut() = method.parse().map_err(|e| unreachable("bad method", &e))?;
        *request.uri_mut() = self.url.parse().map_err(|e| unreachable("bad URL", &e))?;
        if method == "PUT"
            && let Ok(zero) = "0".parse()
        {
            request.headers_mut().insert("content-length", zero);
        }
        AzureAuthorizer::new(&credential, &self.cfg.account).authorize(&mut request);
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| unreachable("cannot reach the service", &e))?;
        Ok(Answer {
            status: response.status().as_u16(),
            code: response
                .headers()
                .get("x-ms-error-code")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        })
    }
}

#[cfg(test)]
#[path = "container_tests.rs"]
mod tests;
