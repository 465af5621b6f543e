//! Destinations: a local folder or an ADLS Gen2 account, opened as an `Arc<dyn ObjectStore>`.

use super::azure::{EMULATOR_ACCOUNT, azure_auth, azure_store, destination_problems};
use super::compression::{self, default_compression};
use crate::config::secrets::{DestinationSecret, Secret};
use object_store::local::LocalFileSystem;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use parquet::basic::Compression;
use std::hash::{BuildHasher, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use super::error::{SinkError, redact};

const MIB: u64 = 1024 * 1024;
/// Default multipart part size: 10 MiB.
pub const DEFAULT_PART_SIZE: usize = 10 * 1024 * 1024;
/// Default parallel part uploads per file.
pub const DEFAULT_UPLOAD_CONCURRENCY: usize = 4;

/// Where data goes: a folder on disk or an Azure storage account.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // a handful per run: size does not matter
pub enum Destination {
    /// A local folder; each container is a sub-folder.
    Local {
        /// The destination section name.
        name: String,
        /// The folder (already resolved against the folder of secrets.toml).
        root: PathBuf,
        /// Parquet codec of the files written there.
        compression: Compression,
    },
    /// An ADLS Gen2 (or Blob) account.
    Azure {
        /// The destination section name.
        name: String,
        /// Account, auth and transfer settings.
        cfg: AzureConfig,
    },
}

/// Settings of an Azure destination.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureConfig {
    /// Storage account name.
    pub account: String,
    /// Default container (a job's `target_container` overrides it).
    pub container: Option<String>,
    /// The one way to authenticate.
    pub auth: AzureAuth,
    /// Custom endpoint (Azurite or sovereign clouds).
    pub endpoint: Option<String>,
    /// Create the container when missing (not done by object_store; see the report).
    pub create_container: bool,
    /// Retries on transient errors.
    pub max_retries: usize,
    /// Stop retrying after this long.
    pub retry_timeout: Duration,
    /// Multipart part size in bytes.
    pub part_size: usize,
    /// Parallel part uploads per file.
    pub upload_concurrency: usize,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Parquet codec of the files written there.
    pub compression: Compression,
}

/// How to authenticate against Azure Storage: exactly one per destination.
#[derive(Debug, Clone, PartialEq)]
pub enum AzureAuth {
    /// Shared account key.
    AccountKey(Secret),
    /// SAS token (with or without a leading `?`).
    Sas(Secret),
    /// Entra ID service principal with a client secret.
    ServicePrincipal {
        /// Tenant id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// Client secret.
        client_secret: Secret,
    },
    /// Managed identity, optionally user-assigned: the VM's metadata endpoint (IMDS), or the
    /// token endpoint that Container Apps and App Service announce in `IDENTITY_ENDPOINT`.
    ManagedIdentity {
        /// Client id of a user-assigned identity.
        client_id: Option<String>,
        /// `IDENTITY_ENDPOINT` when set; `None` asks IMDS.
        token_endpoint: Option<String>,
    },
    /// The login of the Azure CLI.
    AzureCli,
    /// Workload identity (federated token file).
    WorkloadIdentity {
        /// Tenant id.
        tenant_id: String,
        /// Client id.
        client_id: String,
        /// The federated token file.
        token_file: PathBuf,
    },
    /// The Azurite emulator with its development account.
    Emulator,
}

impl AzureAuth {
    /// A human name of the auth kind (never the secret).
    pub fn kind(&self) -> &'static str {
        match self {
            AzureAuth::AccountKey(_) => "account key",
            AzureAuth::Sas(_) => "SAS token",
            AzureAuth::ServicePrincipal { .. } => "service principal",
            AzureAuth::ManagedIdentity { .. } => "managed identity",
            AzureAuth::AzureCli => "Azure CLI",
            AzureAuth::WorkloadIdentity { .. } => "workload identity",
            AzureAuth::Emulator => "emulator",
        }
    }
}

impl Destination {
    /// Build a destination from its secrets section (`path` set → local folder, else Azure).
    pub fn from_secret(name: &str, s: &DestinationSecret) -> Result<Destination, SinkError> {
        let err = |message: String| SinkError::Config {
            destination: name.to_string(),
            message,
        };
        if let Some(first) = destination_problems(name, s).into_iter().next() {
            return Err(err(match first.hint {
                Some(hint) => format!("{}; {hint}", first.message),
                None => first.message,
            }));
        }
        // A bad value is one of the problems above: parse cannot fail here.
        let compression = s
            .compression
            .as_deref()
            .and_then(|text| compression::parse(text).ok())
            .unwrap_or_else(default_compression);
        if let Some(root) = &s.path {
            return Ok(Destination::Local {
                name: name.to_string(),
                root: root.clone(),
                compression,
            });
        }
        let auth = azure_auth(&format!("destinations.{name}"), s).map_err(|problems| {
            err(problems
                .into_iter()
                .next()
                .map(|p| p.message)
                .unwrap_or_default())
        })?;
        let account = match (&s.storage_account_name, &auth) {
            (Some(a), _) if !a.trim().is_empty() => a.trim().to_string(),
            (_, AzureAuth::Emulator) => EMULATOR_ACCOUNT.to_string(),
            _ => {
                return Err(err(
                    "`storage_account_name` is missing (or set `path` for a local folder)".into(),
                ));
            }
        };
        let part_mib = s.part_size_mib.unwrap_or(DEFAULT_PART_SIZE as u64 / MIB);
        let upload_concurrency = s
            .upload_concurrency
            .unwrap_or(DEFAULT_UPLOAD_CONCURRENCY as u32);
        let retry_secs = s.retry_timeout_secs.unwrap_or(180);
        let cfg = AzureConfig {
            account,
            container: s.container_name.clone().filter(|c| !c.trim().is_empty()),
            auth,
            endpoint: s.endpoint.clone().filter(|e| !e.trim().is_empty()),
            create_container: s.create_container.unwrap_or(false),
            max_retries: s.max_retries.unwrap_or(10) as usize,
            retry_timeout: Duration::from_secs(retry_secs),
            part_size: usize::try_from(part_mib * MIB).unwrap_or(DEFAULT_PART_SIZE),
            upload_concurrency: upload_concurrency as usize,
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(300),
            compression,
        };
        Ok(Destination::Azure {
            name: name.to_string(),
            cfg,
        })
    }

    /// The destination section name.
    pub fn name(&self) -> &str {
        match self {
            Destination::Local { name, .. } | Destination::Azure { name, .. } => name,
        }
    }

    /// Multipart part size in bytes.
    pub fn part_size(&self) -> usize {
        match self {
            Destination::Local { .. } => DEFAULT_PART_SIZE,
            Destination::Azure { cfg, .. } => cfg.part_size,
        }
    }

    /// Parallel part uploads per file.
    pub fn upload_concurrency(&self) -> usize {
        match self {
            Destination::Local { .. } => DEFAULT_UPLOAD_CONCURRENCY,
            Destination::Azure { cfg, .. } => cfg.upload_concurrency,
        }
    }

    /// Parquet codec of every file written to this destination.
    pub fn compression(&self) -> Compression {
        match self {
            Destination::Local { compression, .. } => *compression,
            Destination::Azure { cfg, .. } => cfg.compression,
        }
    }

    /// A one-line description for logs and `--dry-run` (never a secret); the codec only when
    /// it is not the default.
    pub fn describe(&self) -> String {
        let mut s = match self {
            Destination::Local { root, .. } => format!("local folder {}", root.display()),
            Destination::Azure { cfg, .. } => {
                let mut s = format!("ADLS account {}, auth {}", cfg.account, cfg.auth.kind());
                if let Some(e) = &cfg.endpoint {
                    s.push_str(&format!(", endpoint {}", redact(e)));
                }
                s
            }
        };
        if self.compression() != default_compression() {
            s.push_str(&format!(
                ", compression {}",
                compression::name(self.compression())
            ));
        }
        s
    }

    /// Open the object store for one container (a sub-folder for a local destination).
    pub fn store(&self, container: &str) -> Result<Arc<dyn ObjectStore>, SinkError> {
        match self {
            Destination::Local { name, root, .. } => local_store(name, root, container),
            Destination::Azure { name, cfg } => azure_store(name, cfg, container),
        }
    }

    /// Remove upload staging files (`name#n`) a killed run left under `prefix` of a local
    /// container, those whose file name `owns` accepts: object_store hides them from listings.
    /// Azure drops uncommitted blocks itself.
    pub fn remove_staging(
        &self,
        container: &str,
        prefix: &str,
        owns: &dyn Fn(&str) -> bool,
    ) -> usize {
        let Destination::Local { root, .. } = self else {
            return 0;
        };
        let mut removed = 0;
        let mut stack = vec![root.join(container).join(prefix)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if entry.file_name().to_string_lossy().contains('#')
                    && owns(&entry.file_name().to_string_lossy())
                    && std::fs::remove_file(&path).is_ok()
                {
                    removed += 1;
                }
            }
        }
        removed
    }
}

fn local_store(
    name: &str,
    root: &Path,
    container: &str,
) -> Result<Arc<dyn ObjectStore>, SinkError> {
    let sub = Path::new(container);
    if sub
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(SinkError::Config {
            destination: name.to_string(),
            message: format!("container `{container}` must be a plain sub-folder name"),
        });
    }
    let folder = root.join(sub);
    let folder_err = |e: &dyn std::fmt::Display| SinkError::Folder {
        path: folder.clone(),
        message: redact(&e.to_string()),
    };
    std::fs::create_dir_all(&folder).map_err(|e| folder_err(&e))?;
    let fs = LocalFileSystem::new_with_prefix(&folder)
        .map_err(|e| folder_err(&e))?
        .with_automatic_cleanup(true);
    Ok(Arc::new(fs))
}

/// Check that the store accepts writes: put and delete `<prefix>/_ingest_probe/<random>.txt`.
pub async fn probe(
    store: &dyn ObjectStore,
    prefix: &object_store::path::Path,
) -> Result<(), SinkError> {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = chrono::Utc::now().timestamp_micros();
    let path = prefix
        .clone()
        .join("_ingest_probe")
        .join(format!("{nanos}-{random:016x}.txt"));
    store
        .put(&path, PutPayload::from_static(b"ingest write probe\n"))
        .await
        .map_err(|e| SinkError::store("put", &path, &e))?;
    store
        .delete(&path)
        .await
        .map_err(|e| SinkError::store("delete", &path, &e))?;
    Ok(())
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
