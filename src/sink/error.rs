//! `SinkError`: what went wrong in the sink, where, with secrets redacted from every message.

use std::path::PathBuf;

/// An error from the sink: destination config, object store, Parquet encoding or manifests.
///
/// Messages that come from `object_store` or `parquet` are passed through [`redact`] first,
/// because they may embed request URLs with SAS query strings or `Authorization` headers.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The `[destinations.<name>]` section is not usable.
    #[error("destination `{destination}`: {message}")]
    Config {
        /// The destination section name.
        destination: String,
        /// What is wrong.
        message: String,
    },
    /// A local folder could not be created or opened.
    #[error("cannot prepare local folder {}: {message}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The cause (redacted).
        message: String,
    },
    /// Building the Azure client failed.
    #[error("destination `{destination}`: cannot set up the Azure client: {message}")]
    Build {
        /// The destination section name.
        destination: String,
        /// The cause (redacted).
        message: String,
    },
    /// An object store operation failed.
    #[error("{operation} `{path}` failed: {message}")]
    Store {
        /// What was attempted (put, delete, list, get, upload, ...).
        operation: &'static str,
        /// The object path or prefix.
        path: String,
        /// The cause (redacted).
        message: String,
        /// Whether the cause was the network or the service, so a retry may succeed.
        transient: bool,
    },
    /// Writing Parquet failed.
    #[error("writing Parquet file `{path}` failed: {message}")]
    Parquet {
        /// The object path.
        path: String,
        /// The cause (redacted).
        message: String,
        /// Whether the cause was the network or the service, so a retry may succeed.
        transient: bool,
    },
    /// A manifest could not be encoded or decoded.
    #[error("manifest `{path}`: {message}")]
    Manifest {
        /// The manifest object path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl SinkError {
    /// Wrap an `object_store` error for an operation on a path, redacting its message.
    pub fn store(operation: &'static str, path: impl ToString, err: &object_store::Error) -> Self {
        SinkError::Store {
            operation,
            path: path.to_string(),
            message: redact(&err.to_string()),
            transient: transient_cause(err),
        }
    }

    /// Wrap a Parquet error for an object path, redacting its message.
    pub fn parquet(path: impl ToString, err: &parquet::errors::ParquetError) -> Self {
        SinkError::Parquet {
            path: path.to_string(),
            message: redact(&err.to_string()),
            transient: transient_cause(err),
        }
    }

    /// Whether writing again from the start may succeed: the store could not be reached or
    /// answered with a server error after its own request retries (not: access denied, a
    /// missing container, a bad configuration, an encoding error).
    pub fn is_transient(&self) -> bool {
        match self {
            SinkError::Store { transient, .. } | SinkError::Parquet { transient, .. } => *transient,
            _ => false,
        }
    }
}

/// Walk an error's causes to the object store or I/O error underneath and classify it.
fn transient_cause(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(os) = e.downcast_ref::<object_store::Error>() {
            // Generic carries transport and server errors once the request retries ran out;
            // every other variant is a definite answer (not found, denied, precondition, ...).
            return matches!(os, object_store::Error::Generic { .. });
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.get_ref() {
                // `io::Error::source` skips the wrapped error itself: look at it directly.
                Some(inner) => {
                    cur = Some(inner);
                    continue;
                }
                None => {
                    use std::io::ErrorKind::*;
                    return matches!(
                        io.kind(),
                        ConnectionRefused
                            | ConnectionReset
                            | ConnectionAborted
                            | NotConnected
                            | BrokenPipe
                            | TimedOut
                            | Interrupted
                            | UnexpectedEof
                    );
                }
            }
        }
        cur = e.source();
    }
    false
}

/// Query parameters whose values are secret or reveal a SAS token's shape.
const SECRET_PARAMS: &[&str] = &[
    "sig",
    "se",
    "st",
    "skoid",
    "sktid",
    "client_secret",
    "access_token",
];

/// Remove secrets from a message: values of SAS query parameters (`sig=`, `se=`, ...) and
/// anything that follows an `Authorization` header name.
pub fn redact(msg: &str) -> String {
    redact_authorization(&redact_params(msg))
}

fn redact_params(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some((i, name_len)) = next_param(rest) {
        out.push_str(&rest[..i + name_len + 1]);
        out.push_str("REDACTED");
        let after = &rest[i + name_len + 1..];
        let end = after
            .find(|c: char| c == '&' || c.is_whitespace() || "\"'),;>}]".contains(c))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The byte index and length of the next secret `name=` that starts a query parameter.
fn next_param(s: &str) -> Option<(usize, usize)> {
    let lower = s.to_ascii_lowercase();
    let mut best: Option<(usize, usize)> = None;
    for name in SECRET_PARAMS {
        let pat = format!("{name}=");
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&pat) {
            let at = from + pos;
            let starts_param =
                at == 0 || matches!(lower.as_bytes()[at - 1], b'?' | b'&' | b' ' | b'"' | b'\'');
            if starts_param {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, name.len()));
                }
                break;
            }
            from = at + pat.len();
        }
    }
    best
}

fn redact_authorization(msg: &str) -> String {
    const NAME: &str = "authorization";
    let lower = msg.to_ascii_lowercase();
    let mut out = String::with_capacity(msg.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(NAME) {
        let name_end = pos + found + NAME.len();
        out.push_str(&msg[pos..name_end]);
        let after = &msg[name_end..];
        let sep = after
            .find(|c: char| !(c == '"' || c == '\'' || c == ':' || c == '=' || c == ' '))
            .unwrap_or(after.len());
        if !after[..sep].contains([':', '=']) {
            // A word such as "authorization failed": nothing to hide.
            pos = name_end;
            continue;
        }
        out.push_str(&after[..sep]);
        let value = &after[sep..];
        let end = value
            .find(|c: char| "\"'\n\r,}".contains(c))
            .unwrap_or(value.len());
        if end > 0 {
            out.push_str("REDACTED");
        }
        pos = name_end + sep + end;
    }
    out.push_str(&msg[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::errors::ParquetError;

    fn generic() -> object_store::Error {
        object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "error sending request: connection refused".into(),
        }
    }

    #[test]
    fn transport_and_server_errors_are_transient_answers_are_not() {
        assert!(SinkError::store("put", "p", &generic()).is_transient());
        let denied = object_store::Error::PermissionDenied {
            path: "p".into(),
            source: "403".into(),
        };
        assert!(!SinkError::store("put", "p", &denied).is_transient());
        // The way BufWriter and AsyncArrowWriter wrap a failed upload: Parquet(io(object_store)).
        let wrapped =
            |e: object_store::Error| ParquetError::External(Box::new(std::io::Error::other(e)));
        assert!(SinkError::parquet("p", &wrapped(generic())).is_transient());
        assert!(!SinkError::parquet("p", &wrapped(denied)).is_transient());
        let reset = ParquetError::External(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert!(SinkError::parquet("p", &reset).is_transient());
        let encoding = ParquetError::General("cannot encode".into());
        assert!(!SinkError::parquet("p", &encoding).is_transient());
        let config = SinkError::Config {
            destination: "d".into(),
            message: "bad".into(),
        };
        assert!(!config.is_transient());
    }

    #[test]
    fn redacts_sas_signature_and_expiry() {
        let m = "Error performing PUT https://acct.blob.core.windows.net/c/x.parquet?sv=2022-11-02&se=2026-01-01T00%3A00%3A00Z&sp=rwdl&sig=AbC%2Bdef%3D in 1s";
        let r = redact(m);
        assert!(!r.contains("AbC"), "{r}");
        assert!(!r.contains("2026-01-01"), "{r}");
        assert!(r.contains("sig=REDACTED"), "{r}");
        assert!(r.contains("se=REDACTED&sp=rwdl"), "{r}");
        assert!(r.contains("sv=2022-11-02"), "{r}");
        assert!(r.ends_with(" in 1s"), "{r}");
    }

    #[test]
    fn redacts_first_param_and_uppercase() {
        let r = redact("?SIG=secret&x=1");
        assert_eq!(r, "?SIG=REDACTED&x=1");
        let r = redact("sig=abc");
        assert_eq!(r, "sig=REDACTED");
    }

    #[test]
    fn keeps_words_that_only_contain_param_names() {
        let m = "close=1 &base=2 response=3";
        assert_eq!(redact(m), m);
    }

    #[test]
    fn redacts_authorization_headers() {
        let r = redact(
            "headers: {\"authorization\": \"SharedKey acct:c2VjcmV0\", \"x-ms-version\": \"1\"}",
        );
        assert!(!r.contains("c2VjcmV0"), "{r}");
        assert!(r.contains("x-ms-version"), "{r}");
        let r = redact("Authorization: Bearer eyJ0eXAi.abc\nnext line");
        assert!(!r.contains("eyJ0"), "{r}");
        assert!(r.ends_with("\nnext line"), "{r}");
        assert_eq!(redact("authorization failed"), "authorization failed");
    }

    #[test]
    fn store_error_message_is_redacted() {
        let e = object_store::Error::Generic {
            store: "MicrosoftAzure",
            source: "GET https://a/b?sig=topsecret failed".into(),
        };
        let s = SinkError::store("get", "b", &e).to_string();
        assert!(!s.contains("topsecret"), "{s}");
        assert!(s.starts_with("get `b` failed"), "{s}");
    }
}
