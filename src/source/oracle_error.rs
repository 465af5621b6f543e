//! Oracle driver errors as [`SourceError`]: which ones mean "connection lost, retry", and the
//! call timeout that `query_timeout_secs` sets.

use super::SourceError;
use super::oracle_types::describe_error;
use std::time::Duration;

/// ORA- numbers after which the same work may succeed on a fresh connection: 3113 end-of-file
/// on communication channel, 3114 not connected, 3135 connection lost contact, 12170 connect
/// timeout, 12537 connection closed, 60 deadlock, 8177 cannot serialize access; also 28
/// session killed, 1012 not logged on, 1033/1034/1089 instance starting or shutting down.
pub const TRANSIENT_ORA: &[i32] = &[
    3113, 3114, 3135, 12170, 12537, 60, 8177, 28, 1012, 1033, 1034, 1089,
];

/// DPI- numbers of a lost connection: 1010 not connected, 1080 connection closed by ORA-n.
pub const TRANSIENT_DPI: &[i32] = &[1010, 1080];

/// The call timeout (`Connection::set_call_timeout`) expired: DPI-1067, or ORA-3156.
pub fn is_timeout(e: &oracle::Error) -> bool {
    e.dpi_code() == Some(1067) || e.oci_code() == Some(3156)
}

/// Whether an Oracle error means the connection broke or the server asked to retry.
pub fn is_transient(e: &oracle::Error) -> bool {
    if is_timeout(e) {
        return false;
    }
    e.oci_code().is_some_and(|c| TRANSIENT_ORA.contains(&c))
        || e.dpi_code().is_some_and(|c| TRANSIENT_DPI.contains(&c))
        // DPI-1080 "connection was closed by ORA-3113" carries the ORA number as its code.
        || e.db_error()
            .is_some_and(|d| e.dpi_code().is_some() && TRANSIENT_ORA.contains(&d.code()))
}

/// An Oracle error met while running `sql`: a [`SourceError::timed_out`] naming `limit` when the
/// call timeout expired, [`SourceError::Lost`] when [`is_transient`], else `Query`.
pub fn from_oracle(e: &oracle::Error, sql: &str, limit: Option<Duration>) -> SourceError {
    let message = describe_error(e);
    if is_timeout(e) {
        return SourceError::timed_out(limit, &message, sql);
    }
    let sql = sql.to_string();
    if is_transient(e) {
        SourceError::Lost { message, sql }
    } else {
        SourceError::Query { message, sql }
    }
}

#[cfg(test)]
#[path = "oracle_error_tests.rs"]
mod tests;
