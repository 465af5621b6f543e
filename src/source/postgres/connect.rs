//! PostgreSQL connection options from secrets, and driver errors with secrets removed.

use crate::config::secrets::SourceSecret;
use crate::source::SourceError;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::str::FromStr;

/// Connection options from a secrets section, with `TimeZone=UTC`.
pub(super) fn connect_options(secret: &SourceSecret) -> Result<PgConnectOptions, String> {
    let mut o = match &secret.url {
        Some(url) => PgConnectOptions::from_str(url.expose())
            .map_err(|_| "has a `url` that is not a valid postgres:// URL".to_string())?,
        None => PgConnectOptions::new_without_pgpass(),
    };
    if let Some(h) = &secret.host {
        o = o.host(h);
    }
    if let Some(p) = secret.port {
        o = o.port(p);
    }
    if let Some(d) = &secret.database {
        o = o.database(d);
    }
    if let Some(u) = &secret.username {
        o = o.username(u);
    }
    if let Some(p) = secret.login_password() {
        o = o.password(p.expose());
    }
    if let Some(m) = &secret.sslmode {
        let mode = PgSslMode::from_str(m).map_err(|_| {
            format!("`sslmode` must be disable, allow, prefer, require, verify-ca or verify-full, not `{m}`")
        })?;
        o = o.ssl_mode(mode);
    }
    let o = o
        .application_name("ingest")
        .options([("TimeZone", "UTC"), ("DateStyle", "ISO")]);
    // `query_timeout_secs`: the server cancels a longer statement (57014 "statement timeout").
    Ok(match secret.query_timeout() {
        Some(t) => o.options([("statement_timeout", format!("{}ms", t.as_millis()))]),
        None => o,
    })
}

/// A driver error as text with any `scheme://user:password@` part and the password removed.
pub fn redact(message: &str, password: Option<&str>) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(after.len());
        match after[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &after[at..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    match password.filter(|p| !p.is_empty()) {
        Some(p) => out.replace(p, "***"),
        None => out,
    }
}

pub(super) fn connect_message(
    e: &sqlx::Error,
    opts: &PgConnectOptions,
    password: Option<&str>,
) -> String {
    let what = match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        sqlx::Error::Io(io) => format!("network error: {io}"),
        sqlx::Error::Tls(t) => format!("TLS error: {t}"),
        sqlx::Error::PoolTimedOut => "timed out".into(),
        other => other.to_string(),
    };
    redact(
        &format!(
            "{what} (server {}:{}, database `{}`, user `{}`)",
            opts.get_host(),
            opts.get_port(),
            opts.get_database().unwrap_or(""),
            opts.get_username()
        ),
        password,
    )
}

pub(super) fn query_err(e: sqlx::Error, sql: &str) -> SourceError {
    let message = match &e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    SourceError::from_sqlx(&e, redact(&message, None), sql)
}

/// The password inside a connection URL, if any.
pub(super) fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_string()).filter(|p| !p.is_empty())
}
