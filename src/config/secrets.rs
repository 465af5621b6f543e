//! secrets.toml: sources and destinations, environment overrides, a `Secret` that never prints.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

mod checks;
#[cfg(test)]
mod compression_tests;
mod env;
mod load;
mod notify;
#[cfg(test)]
mod tests;

pub use load::{MAX_QUERY_TIMEOUT_SECS, SecretsError, load, load_with_env, parse};
pub use notify::{DEFAULT_TIMEOUT_SECS, Notifications, NotifyOn, Webhook, WebhookKind};

/// A secret value: `Debug` and `Display` print `***`; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value itself, for handing to a driver. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// One `[sources.<name>]` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourceSecret {
    /// Source kind; optional when the section name is a type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Server host.
    pub host: Option<String>,
    /// Server port.
    pub port: Option<u16>,
    /// Database name.
    pub database: Option<String>,
    /// Login name.
    pub username: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// A full connection URL instead of the parts (may hold a password).
    pub url: Option<Secret>,
    /// SQLite: the database file (relative to the folder of secrets.toml).
    pub path: Option<PathBuf>,
    /// PostgreSQL / MySQL: TLS mode (disable, prefer, require, verify-ca, verify-full).
    pub sslmode: Option<String>,
    /// SQL Server: named instance (resolved through SQL Browser).
    pub instance: Option<String>,
    /// SQL Server: encrypt the connection (default true).
    pub encrypt: Option<bool>,
    /// SQL Server: accept any server certificate.
    pub trust_server_certificate: Option<bool>,
    /// Oracle: service name.
    pub service_name: Option<String>,
    /// Oracle: SID.
    pub sid: Option<String>,
    /// Oracle: an EZConnect or TNS connect string.
    pub connect_string: Option<String>,
    /// Oracle: scale of `NUMBER` columns declared without precision (Decimal128(38, scale); default 9).
    pub number_scale: Option<u8>,
    /// PostgreSQL: `"precision,scale"` for `numeric` columns declared without them (default `"38,9"`).
    pub numeric_default: Option<String>,
    /// PostgreSQL: infinite dates/timestamps: `"error"` (default), `"null"` or `"clamp"`.
    pub infinity: Option<String>,
    /// Longest a statement may run, in seconds (1 ..= [`MAX_QUERY_TIMEOUT_SECS`]);
    /// unset: no limit (connecting keeps its own timeout).
    pub query_timeout_secs: Option<u64>,
    /// API: the URL every `api_endpoint` is relative to.
    pub base_url: Option<String>,
    /// API: extra headers sent with every request (values are secrets).
    pub headers: Option<BTreeMap<String, Secret>>,
    /// API: a bearer token.
    pub bearer_token: Option<Secret>,
    /// API: a key sent in `api_key_header` (default `X-API-Key`) or as `api_key_param`.
    pub api_key: Option<Secret>,
    /// API: the header that carries `api_key`.
    pub api_key_header: Option<String>,
    /// API: the query parameter that carries `api_key`.
    pub api_key_param: Option<String>,
    /// API OAuth2 client credentials: the token endpoint.
    pub token_url: Option<String>,
    /// API OAuth2 client credentials: the client id.
    pub client_id: Option<String>,
    /// API OAuth2 client credentials: the client secret.
    pub client_secret: Option<Secret>,
    /// API OAuth2 client credentials: the scope asked for.
    pub scope: Option<String>,
    /// API: longest one request may take, in seconds (default 30).
    pub timeout_secs: Option<u64>,
    /// API: requests per second at most, per job.
    pub max_requests_per_second: Option<f64>,
    /// API: none, offset, page, cursor or link.
    pub pagination: Option<String>,
    /// API: records per page asked for.
    pub page_size: Option<u64>,
    /// API: dotted path to the record list in a page.
    pub records_path: Option<String>,
    /// API: parameter carrying `page_size` (default `limit`).
    pub limit_param: Option<String>,
    /// API: parameter carrying the offset (default `offset`).
    pub offset_param: Option<String>,
    /// API: parameter carrying the page number (default `page`).
    pub page_param: Option<String>,
    /// API: first page number (default 1).
    pub start_page: Option<u64>,
    /// API: parameter carrying the cursor (default `cursor`).
    pub cursor_param: Option<String>,
    /// API: dotted path to the next cursor in a page.
    pub next_cursor_path: Option<String>,
    /// API: dotted path to the next page's URL in a page.
    pub next_url_path: Option<String>,
    /// API: dotted path to the total record count in a page.
    pub total_path: Option<String>,
    /// API: parameter that sends an INCREMENTAL job's stored lower bound.
    pub incremental_param: Option<String>,
    /// API: nested values as `struct` (default) or `json` text.
    pub nested: Option<String>,
}

impl SourceSecret {
    /// The password to log in with: `None` when there is none or it is empty, because
    /// `password = ""` means "no password" for every source kind.
    pub fn login_password(&self) -> Option<&Secret> {
        self.password.as_ref().filter(|p| !p.expose().is_empty())
    }
}

/// One `[destinations.<name>]` section: a local folder (`path`) or an ADLS Gen2 account.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DestinationSecret {
    /// Local destination: the folder (relative to the folder of secrets.toml).
    pub path: Option<PathBuf>,
    /// ADLS: storage account.
    pub storage_account_name: Option<String>,
    /// ADLS: default container (a job's `target_container` overrides it).
    pub container_name: Option<String>,
    /// ADLS auth: account key.
    pub storage_account_key: Option<Secret>,
    /// ADLS auth: SAS token.
    pub sas_token: Option<Secret>,
    /// ADLS auth: service principal / workload identity tenant.
    pub tenant_id: Option<String>,
    /// ADLS auth: service principal, workload or user-assigned managed identity client id.
    pub client_id: Option<String>,
    /// ADLS auth: service principal secret.
    pub client_secret: Option<Secret>,
    /// ADLS auth: managed identity.
    pub use_managed_identity: Option<bool>,
    /// ADLS auth: Azure CLI login.
    pub use_azure_cli: Option<bool>,
    /// ADLS auth: workload identity token file.
    pub federated_token_file: Option<PathBuf>,
    /// ADLS auth: the Azurite emulator.
    pub use_emulator: Option<bool>,
    /// Custom endpoint (Azurite or sovereign clouds).
    pub endpoint: Option<String>,
    /// Create the container when it does not exist.
    pub create_container: Option<bool>,
    /// Upload retries on transient errors.
    pub max_retries: Option<u32>,
    /// Give up retrying after this many seconds.
    pub retry_timeout_secs: Option<u64>,
    /// Multipart upload part size in MiB.
    pub part_size_mib: Option<u64>,
    /// Parallel part uploads per file.
    pub upload_concurrency: Option<u32>,
    /// Parquet codec of every file written there ([`crate::sink::compression`]; default zstd).
    pub compression: Option<String>,
}

/// The whole secrets file, with relative paths already resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Secrets {
    /// The file it was read from.
    pub file: PathBuf,
    /// `[sources.<name>]`, keyed by name as written (lookups ignore case).
    pub sources: BTreeMap<String, SourceSecret>,
    /// `[destinations.<name>]`, keyed by name as written (lookups ignore case).
    pub destinations: BTreeMap<String, DestinationSecret>,
    /// `[variables]`: the user's runtime variables (not secrets: they may be printed).
    pub variables: BTreeMap<String, String>,
    /// `[notifications]`: webhooks told about the run's outcome.
    pub notifications: Option<Notifications>,
}

impl SourceSecret {
    /// The `query_timeout_secs` limit as a duration (`None`: no limit).
    pub fn query_timeout(&self) -> Option<std::time::Duration> {
        self.query_timeout_secs
            .filter(|s| *s > 0)
            .map(std::time::Duration::from_secs)
    }
}

impl Secrets {
    /// The folder relative paths resolve against.
    pub fn base_dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }
}

impl Secrets {
    /// The source section for a job: `[sources.<name>]`, else the section named after its type
    /// in any spelling, canonical first (`[sources.postgresql]`, then `[sources.postgres]`);
    /// names compare case-insensitively. Returns the section name found.
    pub fn source_for(
        &self,
        name: &str,
        source_type: crate::config::SourceType,
    ) -> Option<(&str, &SourceSecret)> {
        find(&self.sources, name).or_else(|| {
            source_type
                .keys()
                .iter()
                .find_map(|k| find(&self.sources, k))
        })
    }

    /// The `[destinations.<name>]` section, case-insensitively.
    pub fn destination(&self, name: &str) -> Option<(&str, &DestinationSecret)> {
        find(&self.destinations, name)
    }
}

fn find<'a, T>(map: &'a BTreeMap<String, T>, name: &str) -> Option<(&'a str, &'a T)> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(k, v)| (k.as_str(), v))
}
