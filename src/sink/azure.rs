//! The Azure side of a destination: picking the one auth kind and building the client.

use super::error::{SinkError, redact};
use super::store::{AzureAuth, AzureConfig};
use crate::config::secrets::DestinationSecret;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use std::sync::Arc;

/// The Azurite account when none is given.
pub(super) const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known, public development key (not a secret).
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A rule a `[destinations.x]` section breaks: the key it is about (empty: the whole section),
/// what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionProblem {
    /// The key, or `""` for the section.
    pub key: &'static str,
    /// What is wrong, naming the section.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Every rule of a destination section in one place: validation reports each problem at its
/// key, and [`super::store::Destination::from_secret`] refuses a section that has any.
pub fn destination_problems(name: &str, s: &DestinationSecret) -> Vec<SectionProblem> {
    let section = format!("destinations.{name}");
    let problem = |key, message: String| SectionProblem {
        key,
        message,
        hint: None,
    };
    let mut out = Vec::new();
    if let Some(text) = &s.compression
        && let Err(why) = super::compression::parse(text)
    {
        out.push(SectionProblem {
            key: "compression",
            message: format!(
                "[{section}] `compression = \"{}\"`: {why}",
                crate::config::rules::shown(text)
            ),
            hint: Some(format!("use {}", super::compression::CHOICES)),
        });
    }
    if s.path.is_some() {
        if s.storage_account_name.is_some() {
            out.push(problem(
                "path",
                format!("[{section}] has both `path` (local folder) and `storage_account_name` (ADLS); keep one"),
            ));
        }
        return out;
    }
    if s.storage_account_name.is_none() && s.use_emulator != Some(true) {
        out.push(problem(
            "storage_account_name",
            format!("[{section}] needs `storage_account_name` (ADLS) or `path` (local folder)"),
        ));
    }
    if let Err(auth) = azure_auth(&section, s) {
        out.extend(auth);
    }
    if s.part_size_mib.is_some_and(|m| !(1..=4000).contains(&m)) {
        out.push(problem(
            "part_size_mib",
            format!("[{section}] `part_size_mib` must be 1 to 4000"),
        ));
    }
    if s.upload_concurrency == Some(0) {
        out.push(problem(
            "upload_concurrency",
            format!("[{section}] `upload_concurrency` must be at least 1"),
        ));
    }
    if s.retry_timeout_secs == Some(0) {
        out.push(problem(
            "retry_timeout_secs",
            format!("[{section}] `retry_timeout_secs` must be at least 1"),
        ));
    }
    out
}

/// Pick the one auth kind of a section (`section` = `destinations.x`); none, several, or one
/// missing a key it needs are the problems.
pub(super) fn azure_auth(
    section: &str,
    s: &DestinationSecret,
) -> Result<AzureAuth, Vec<SectionProblem>> {
    let mut found: Vec<(&str, AzureAuth)> = Vec::new();
    let mut missing = Vec::new();
    let mut need = |v: &Option<String>, key: &'static str| -> String {
        let value = v.clone().filter(|x| !x.trim().is_empty());
        if value.is_none() {
            missing.push(SectionProblem {
                key,
                message: format!(
                    "[{section}] needs `{key}` for service principal or workload identity auth"
                ),
                hint: None,
            });
        }
        value.unwrap_or_default()
    };
    if let Some(k) = &s.storage_account_key {
        found.push(("storage_account_key", AzureAuth::AccountKey(k.clone())));
    }
    if let Some(t) = &s.sas_token {
        found.push(("sas_token", AzureAuth::Sas(t.clone())));
    }
    if let Some(secret) = &s.client_secret {
        let auth = AzureAuth::ServicePrincipal {
            tenant_id: need(&s.tenant_id, "tenant_id"),
            client_id: need(&s.client_id, "client_id"),
            client_secret: secret.clone(),
        };
        found.push(("client_secret (service principal)", auth));
    }
    if let Some(file) = &s.federated_token_file {
        let auth = AzureAuth::WorkloadIdentity {
            tenant_id: need(&s.tenant_id, "tenant_id"),
            client_id: need(&s.client_id, "client_id"),
            token_file: file.clone(),
        };
        found.push(("federated_token_file (workload identity)", auth));
    }
    if s.use_managed_identity == Some(true) {
        let client_id = s.client_id.clone().filter(|c| !c.trim().is_empty());
        // Container Apps and App Service have no IMDS: they serve tokens at this endpoint.
        let token_endpoint = std::env::var("IDENTITY_ENDPOINT")
            .ok()
            .filter(|e| !e.trim().is_empty());
        found.push((
            "use_managed_identity",
            AzureAuth::ManagedIdentity {
                client_id,
                token_endpoint,
            },
        ));
    }
    if s.use_azure_cli == Some(true) {
        found.push(("use_azure_cli", AzureAuth::AzureCli));
    }
    if s.use_emulator == Some(true) {
        found.push(("use_emulator", AzureAuth::Emulator));
    }
    missing.dedup();
    let hint = "set exactly one of storage_account_key, sas_token, tenant_id+client_id+client_secret, \
                use_managed_identity, use_azure_cli, federated_token_file, use_emulator";
    let section_problem = |message: String| SectionProblem {
        key: "",
        message,
        hint: Some(hint.to_string()),
    };
    match found.len() {
        0 => Err(vec![section_problem(format!(
            "[{section}] has no authentication"
        ))]),
        1 if missing.is_empty() => Ok(found.remove(0).1),
        1 => Err(missing),
        _ => {
            let kinds: Vec<&str> = found.iter().map(|(k, _)| *k).collect();
            let mut all = vec![section_problem(format!(
                "[{section}] has several authentication kinds: {}",
                kinds.join(", ")
            ))];
            all.extend(missing);
            Err(all)
        }
    }
}

/// The container a job writes to: its own `target_container`, else the destination's default.
pub(super) fn resolve_container<'a>(
    name: &str,
    cfg: &'a AzureConfig,
    container: &'a str,
) -> Result<&'a str, SinkError> {
    if !container.trim().is_empty() {
        return Ok(container);
    }
    cfg.container.as_deref().ok_or_else(|| SinkError::Config {
        destination: name.to_string(),
        message: "no container: set the job's target_container or `container_name`".into(),
    })
}

/// Timeouts shared by the store and the container check; plain HTTP only for the emulator or
/// an explicit `http://` endpoint.
pub(super) fn client_options(cfg: &AzureConfig) -> ClientOptions {
    let options = ClientOptions::new()
        .with_connect_timeout(cfg.connect_timeout)
        .with_timeout(cfg.request_timeout);
    let http_endpoint = cfg
        .endpoint
        .as_deref()
        .is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("http://"));
    if matches!(cfg.auth, AzureAuth::Emulator) || http_endpoint {
        options.with_allow_http(true)
    } else {
        options
    }
}

/// The URL of a container (`{service}/{container}`), as object_store addresses it.
pub(super) fn container_url(cfg: &AzureConfig, container: &str) -> String {
    let service = match (&cfg.auth, &cfg.endpoint) {
        (AzureAuth::Emulator, Some(e)) => emulator_service(e, &cfg.account),
        (AzureAuth::Emulator, None) => {
            let base = std::env::var("AZURITE_BLOB_STORAGE_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:10000".to_string());
            format!("{}/{}", base.trim_end_matches('/'), cfg.account)
        }
        (_, Some(e)) => e.trim_end_matches('/').to_string(),
        (_, None) => format!("https://{}.blob.core.windows.net", cfg.account),
    };
    format!("{service}/{container}")
}

/// Azurite's path-style account URL: `{endpoint}/{account}`, whether or not the endpoint
/// already ends with the account.
fn emulator_service(endpoint: &str, account: &str) -> String {
    let e = endpoint.trim().trim_end_matches('/');
    if e.rsplit('/').next() == Some(account) && e.matches('/').count() > 2 {
        e.to_string()
    } else {
        format!("{e}/{account}")
    }
}

pub(super) fn azure_store(
    name: &str,
    cfg: &AzureConfig,
    container: &str,
) -> Result<Arc<dyn ObjectStore>, SinkError> {
    Ok(Arc::new(azure_client(name, cfg, container)?))
}

/// Build the object_store client for one container, with explicit credentials of the one kind.
pub(super) fn azure_client(
    name: &str,
    cfg: &AzureConfig,
    container: &str,
) -> Result<MicrosoftAzure, SinkError> {
    let container = resolve_container(name, cfg, container)?;
    let retry = RetryConfig {
        backoff: Default::default(),
        max_retries: cfg.max_retries,
        retry_timeout: cfg.retry_timeout,
    };
    let options = client_options(cfg);
    let mut b = MicrosoftAzureBuilder::new()
        .with_account(cfg.account.as_str())
        .with_container_name(container)
        .with_retry(retry);
    if let Some(e) = &cfg.endpoint
        && !matches!(cfg.auth, AzureAuth::Emulator)
    {
        b = b.with_endpoint(e.clone());
    }
    // Every branch sets the credentials of its kind only; object_store 0.13 picks the kind from
    // what is set, so nothing falls back to the metadata endpoint unless managed identity (no
    // other credential) was asked for.
    b = match &cfg.auth {
        AzureAuth::AccountKey(k) => b.with_access_key(k.expose()),
        AzureAuth::Sas(t) => b.with_config(
            object_store::azure::AzureConfigKey::SasKey,
            t.expose().trim_start_matches('?'),
        ),
        AzureAuth::ServicePrincipal {
            tenant_id,
            client_id,
            client_secret,
        } => b.with_client_secret_authorization(
            client_id.as_str(),
            client_secret.expose(),
            tenant_id.as_str(),
        ),
        AzureAuth::ManagedIdentity {
            client_id,
            token_endpoint,
        } => {
            let b = match client_id {
                Some(c) => b.with_client_id(c.as_str()),
                None => b,
            };
            // object_store adds the `IDENTITY_HEADER` secret to the token request by itself.
            match token_endpoint {
                Some(e) => b.with_msi_endpoint(e.as_str()),
                None => b,
            }
        }
        AzureAuth::AzureCli => b.with_use_azure_cli(true),
        AzureAuth::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        } => b
            .with_tenant_id(tenant_id.as_str())
            .with_client_id(client_id.as_str())
            .with_federated_token_file(token_file.to_string_lossy()),
        AzureAuth::Emulator => match &cfg.endpoint {
            // object_store's emulator mode only reads AZURITE_BLOB_STORAGE_URL; with an
            // explicit endpoint, talk to it path-style with the development key instead.
            Some(e) => b
                .with_endpoint(emulator_service(e, &cfg.account))
                .with_access_key(EMULATOR_KEY),
            None => b.with_use_emulator(true).with_access_key(EMULATOR_KEY),
        },
    };
    b.with_client_options(options)
        .build()
        .map_err(|e| SinkError::Build {
            destination: name.to_string(),
            message: redact(&e.to_string()),
        })
}

#[cfg(test)]
#[path = "azure_tests.rs"]
mod tests;
