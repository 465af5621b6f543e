//! The Azure side of a destination: picking the one auth kind and building the client.

use super::error::{SinkError, redact};
use super::store::{AzureAuth, AzureConfig};
use crate::config::secrets::DestinationSecret;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use std::sync::Arc;

/// The Azurite account when none is given.
pub(super) const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known, public development key (not a secret).
const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Pick the one auth kind of a section; zero or several is an error message.
pub(super) fn azure_auth(s: &DestinationSecret) -> Result<AzureAuth, String> {
    let mut found: Vec<AzureAuth> = Vec::new();
    let need = |v: &Option<String>, key: &str, kind: &str| -> Result<String, String> {
        v.clone()
            .filter(|x| !x.trim().is_empty())
            .ok_or_else(|| format!("{kind} needs `{key}`"))
    };
    if let Some(k) = &s.storage_account_key {
        found.push(AzureAuth::AccountKey(k.clone()));
    }
    if let Some(t) = &s.sas_token {
        found.push(AzureAuth::Sas(t.clone()));
    }
    if let Some(secret) = &s.client_secret {
        found.push(AzureAuth::ServicePrincipal {
            tenant_id: need(&s.tenant_id, "tenant_id", "`client_secret`")?,
            client_id: need(&s.client_id, "client_id", "`client_secret`")?,
            client_secret: secret.clone(),
        });
    }
    if let Some(file) = &s.federated_token_file {
        found.push(AzureAuth::WorkloadIdentity {
            tenant_id: need(&s.tenant_id, "tenant_id", "`federated_token_file`")?,
            client_id: need(&s.client_id, "client_id", "`federated_token_file`")?,
            token_file: file.clone(),
        });
    }
    if s.use_managed_identity == Some(true) {
        found.push(AzureAuth::ManagedIdentity {
            client_id: s.client_id.clone().filter(|c| !c.trim().is_empty()),
        });
    }
    if s.use_azure_cli == Some(true) {
        found.push(AzureAuth::AzureCli);
    }
    if s.use_emulator == Some(true) {
        found.push(AzureAuth::Emulator);
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(
            "no authentication set: give one of `storage_account_key`, `sas_token`, \
             `tenant_id`+`client_id`+`client_secret`, `use_managed_identity = true`, \
             `use_azure_cli = true`, `tenant_id`+`client_id`+`federated_token_file`, \
             `use_emulator = true`"
                .to_string(),
        ),
        _ => {
            let kinds: Vec<&str> = found.iter().map(AzureAuth::kind).collect();
            Err(format!(
                "several authentication methods set ({}): keep exactly one",
                kinds.join(", ")
            ))
        }
    }
}

pub(super) fn azure_store(
    name: &str,
    cfg: &AzureConfig,
    container: &str,
) -> Result<Arc<dyn ObjectStore>, SinkError> {
    let container = if container.trim().is_empty() {
        cfg.container.as_deref().ok_or_else(|| SinkError::Config {
            destination: name.to_string(),
            message: "no container: set the job's target_container or `container_name`".into(),
        })?
    } else {
        container
    };
    let retry = RetryConfig {
        backoff: Default::default(),
        max_retries: cfg.max_retries,
        retry_timeout: cfg.retry_timeout,
    };
    let mut options = ClientOptions::new()
        .with_connect_timeout(cfg.connect_timeout)
        .with_timeout(cfg.request_timeout);
    let mut b = MicrosoftAzureBuilder::new()
        .with_account(cfg.account.as_str())
        .with_container_name(container)
        .with_retry(retry);
    if let Some(e) = &cfg.endpoint
        && !matches!(cfg.auth, AzureAuth::Emulator)
    {
        b = b.with_endpoint(e.clone());
    }
    // Every branch names its credential type, so nothing falls back to the metadata endpoint
    // unless managed identity was asked for.
    b = match &cfg.auth {
        AzureAuth::AccountKey(k) => b
            .with_access_key(k.expose())
            .with_credential_type("access_key"),
        AzureAuth::Sas(t) => b
            .with_config(
                object_store::azure::AzureConfigKey::SasKey,
                t.expose().trim_start_matches('?'),
            )
            .with_credential_type("sas_token"),
        AzureAuth::ServicePrincipal {
            tenant_id,
            client_id,
            client_secret,
        } => b
            .with_client_secret_authorization(
                client_id.as_str(),
                client_secret.expose(),
                tenant_id.as_str(),
            )
            .with_credential_type("client_secret"),
        AzureAuth::ManagedIdentity { client_id } => {
            let b = b.with_credential_type("managed_identity");
            match client_id {
                Some(c) => b.with_client_id(c.as_str()),
                None => b,
            }
        }
        AzureAuth::AzureCli => b.with_use_azure_cli(true).with_credential_type("azure_cli"),
        AzureAuth::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        } => b
            .with_tenant_id(tenant_id.as_str())
            .with_client_id(client_id.as_str())
            .with_federated_token_file(token_file.to_string_lossy())
            .with_credential_type("workload_identity"),
        AzureAuth::Emulator => match &cfg.endpoint {
            // object_store's emulator mode only reads AZURITE_BLOB_STORAGE_URL; with an
            // explicit endpoint, talk to it path-style with the development key instead.
            Some(e) => {
                options = options.with_allow_http(true);
                b.with_endpoint(format!("{}/{}", e.trim_end_matches('/'), cfg.account))
                    .with_access_key(EMULATOR_KEY)
                    .with_credential_type("access_key")
            }
            None => b.with_use_emulator(true).with_access_key(EMULATOR_KEY),
        },
    };
    let store = b
        .with_client_options(options)
        .build()
        .map_err(|e| SinkError::Build {
            destination: name.to_string(),
            message: redact(&e.to_string()),
        })?;
    Ok(Arc::new(store))
}
