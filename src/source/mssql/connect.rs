//! Reaching SQL Server: the tiberius configuration from a secrets section, and a connection
//! that follows an Azure SQL redirect.

use crate::config::SourceType;
use crate::config::secrets::SourceSecret;
use crate::source::SourceError;
use std::time::Duration;
use tiberius::{AuthMethod, Client, Config, EncryptionLevel, SqlBrowser};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

/// A connected tiberius client.
pub(super) type MsClient = Client<Compat<TcpStream>>;

/// Build the tiberius configuration from a secrets section. A `url` is an ADO.NET connection
/// string (`server=tcp:host,1433;database=…;user id=…;password=…`); otherwise `host` (required),
/// `port` (default 1433) or `instance` (resolved through SQL Browser), `database`, `username` and
/// `password`, `encrypt` (default true) and `trust_server_certificate` (default false).
pub fn config_from(secret: &SourceSecret) -> Result<Config, String> {
    let mut config = match &secret.url {
        Some(url) => Config::from_ado_string(url.expose())
            .map_err(|_| "has a `url` that is not a valid ADO.NET connection string".to_string())?,
        None => {
            let mut c = Config::new();
            let host = secret.host.as_deref().ok_or("has no `host` (or `url`)")?;
            c.host(host);
            if let Some(port) = secret.port {
                c.port(port);
            }
            if let Some(instance) = secret.instance.as_deref().filter(|i| !i.is_empty()) {
                c.instance_name(instance);
            }
            if let Some(db) = &secret.database {
                c.database(db);
            }
            match (&secret.username, &secret.password) {
                (Some(user), Some(pw)) => {
                    c.authentication(AuthMethod::sql_server(user, pw.expose()))
                }
                (Some(_), None) => {
                    return Err("has `username` but no `password`".into());
                }
                _ => {
                    return Err("needs `username` and `password` (SQL login)".into());
                }
            }
            c
        }
    };
    // A `url` keeps its own `encrypt=` setting unless the section sets `encrypt`.
    let encrypt = secret.encrypt.or(secret.url.is_none().then_some(true));
    if let Some(on) = encrypt {
        config.encryption(if on {
            EncryptionLevel::Required
        } else {
            EncryptionLevel::Off
        });
    }
    if secret.trust_server_certificate.unwrap_or(false) {
        config.trust_cert();
    }
    config.application_name("ingest");
    // tiberius fails any response the server is silent on for 30 s by default (its
    // `command_timeout`): a MIN/MAX over an unindexed column would hit it. Statements are
    // bounded by `query_timeout_secs` instead (see `until`), or not at all.
    config.command_timeout(None);
    Ok(config)
}

/// A SQL Server section, checked: the tiberius configuration and the statement limit.
#[derive(Debug, Clone)]
pub struct MsSqlSettings {
    /// Address, login and TLS settings.
    pub config: Config,
    /// `query_timeout_secs`: the longest one statement may run (`None`: no limit).
    pub timeout: Option<Duration>,
}

impl MsSqlSettings {
    /// Check a section (see [`config_from`]).
    pub fn of(secret: &SourceSecret) -> Result<MsSqlSettings, String> {
        Ok(MsSqlSettings {
            config: config_from(secret)?,
            timeout: secret.query_timeout(),
        })
    }
}

/// The longest a TCP connection to the server may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A new connection to the server of `config` (source `name`), following one redirect.
pub(super) async fn open_client(name: &str, mut config: Config) -> Result<MsClient, SourceError> {
    let err = |e: tiberius::error::Error| SourceError::Connect {
        source_type: SourceType::MsSql,
        name: name.to_string(),
        message: e.to_string(),
    };
    for _ in 0..2 {
        // Connecting keeps a limit whatever `query_timeout_secs` says (the login handshake
        // has tiberius's own 15 s `handshake_timeout`).
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect_named(&config))
            .await
            .map_err(|_| SourceError::Connect {
                source_type: SourceType::MsSql,
                name: name.to_string(),
                message: format!("timed out after {} s", CONNECT_TIMEOUT.as_secs()),
            })?
            .map_err(err)?;
        let _ = tcp.set_nodelay(true);
        match Client::connect(config.clone(), tcp.compat_write()).await {
            Ok(client) => return Ok(client),
            Err(tiberius::error::Error::Routing { host, port }) => {
                config.host(&host);
                config.port(port);
            }
            Err(e) => return Err(err(e)),
        }
    }
    Err(SourceError::Connect {
        source_type: SourceType::MsSql,
        name: name.to_string(),
        message: "the server redirected the connection more than once".into(),
    })
}
