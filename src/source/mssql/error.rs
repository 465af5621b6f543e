//! SQL Server driver errors as [`SourceError`]: which ones mean "connection lost, retry".

use crate::source::SourceError;
use tiberius::error::Error;

/// Server error numbers after which the same work may succeed on a fresh connection:
/// 1205 deadlock victim; 233, 10053, 10054, 10060, 64 transport-level breaks the server reports;
/// 596 session killed, 6005 shutdown in progress; Azure SQL 40613 database unavailable,
/// 40197 service error (failover), 40501 service busy, 49918–49920 not enough resources,
/// 10928/10929 resource limits, 4221 read-only replica not yet available.
pub const TRANSIENT_CODES: &[u32] = &[
    1205, 233, 10053, 10054, 10060, 64, 596, 6005, 40613, 40197, 40501, 49918, 49919, 49920, 10928,
    10929, 4221,
];

/// Whether a tiberius error means the connection broke or the server asked to retry:
/// any I/O error (reset, broken pipe, unexpected end of stream, TCP timeout), a TLS failure,
/// or a server error in [`TRANSIENT_CODES`].
pub fn is_transient(e: &Error) -> bool {
    match e {
        Error::Io { .. } | Error::Tls(_) => true,
        Error::Server(t) => TRANSIENT_CODES.contains(&t.code()),
        _ => false,
    }
}

/// A tiberius error met while running `sql`: [`SourceError::Lost`] when
/// [`is_transient`], else `Query`. `message` is the text to show.
pub fn from_tiberius(e: &Error, message: String, sql: &str) -> SourceError {
    let sql = sql.to_string();
    if is_transient(e) {
        SourceError::Lost { message, sql }
    } else {
        SourceError::Query { message, sql }
    }
}

/// [`from_tiberius`] with the driver's own message.
pub fn query_err(e: tiberius::error::Error, sql: &str) -> SourceError {
    from_tiberius(&e, e.to_string(), sql)
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
