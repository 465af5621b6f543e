#![allow(deprecated)] // the oracle crate's own error variants, as the driver builds them

use super::*;
use oracle::{DbError, Error, ErrorKind};

fn ora(code: i32, text: &str) -> Error {
    Error::OciError(DbError::new(
        code,
        0,
        format!("ORA-{code:05}: {text}"),
        "dpiStmt_execute",
        "execute",
    ))
}

fn dpi(code: i32, text: &str) -> Error {
    Error::DpiError(DbError::new(
        code,
        0,
        text.to_string(),
        "dpiStmt_fetchRows",
        "fetch",
    ))
}

#[test]
fn lost_connections_deadlocks_and_serialization_failures_are_lost() {
    for (code, text) in [
        (3113, "end-of-file on communication channel"),
        (3114, "not connected to ORACLE"),
        (3135, "connection lost contact"),
        (12170, "TNS:Connect timeout occurred"),
        (12537, "TNS:connection closed"),
        (60, "deadlock detected while waiting for resource"),
        (8177, "can't serialize access for this transaction"),
    ] {
        let e = ora(code, text);
        assert_eq!(e.oci_code(), Some(code));
        let s = from_oracle(&e, "SELECT 1 FROM DUAL", None);
        assert!(
            matches!(s, SourceError::Lost { .. }) && s.is_transient(),
            "ORA-{code}: {s:?}"
        );
        assert!(s.to_string().contains(text), "{s}");
        assert!(s.to_string().contains("SELECT 1 FROM DUAL"), "{s}");
    }
    let closed = dpi(3113, "DPI-1080: connection was closed by ORA-3113");
    assert_eq!(closed.dpi_code(), Some(1080));
    assert!(from_oracle(&closed, "q", None).is_transient());
    let not_connected = dpi(0, "DPI-1010: not connected");
    assert!(from_oracle(&not_connected, "q", None).is_transient());
}

#[test]
fn other_errors_fail_at_once() {
    for e in [
        ora(942, "table or view does not exist"),
        ora(904, "\"X\": invalid identifier"),
        ora(1722, "invalid number"),
        dpi(0, "DPI-1047: Cannot locate a 64-bit Oracle Client library"),
        Error::new(ErrorKind::InvalidOperation, "closed statement"),
        Error::NullValue,
    ] {
        let s = from_oracle(&e, "q", None);
        assert!(
            matches!(s, SourceError::Query { .. }) && !s.is_transient(),
            "{e:?}: {s:?}"
        );
    }
}

#[test]
fn a_call_timeout_is_a_query_error_naming_the_limit() {
    let e = dpi(
        3156,
        "DPI-1067: call timeout of 5000 ms exceeded with ORA-3156",
    );
    let s = from_oracle(&e, "SELECT MAX(ID) FROM T", Some(Duration::from_secs(5)));
    assert!(!s.is_transient() && s.is_timeout(), "{s:?}");
    let text = s.to_string();
    assert!(text.contains("query_timeout_secs = 5"), "{text}");
    assert!(text.contains("SELECT MAX(ID) FROM T"), "{text}");
    assert!(from_oracle(&ora(3156, "OCI call timed out"), "q", None).is_timeout());
}
