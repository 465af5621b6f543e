//! Statement timeouts: a source's `query_timeout_secs` enforced on the client.

use super::SourceError;
use std::time::Duration;

/// Run `work`, stopped at `deadline` (no deadline: no limit) with [`SourceError::timed_out`].
pub async fn until<T>(
    deadline: Option<(tokio::time::Instant, Duration)>,
    sql: &str,
    work: impl std::future::Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    match deadline {
        None => work.await,
        Some((at, limit)) => tokio::time::timeout_at(at, work)
            .await
            .unwrap_or_else(|_| Err(SourceError::timed_out(Some(limit), "", sql))),
    }
}

/// The deadline of a statement starting now under `limit`.
pub fn deadline(limit: Option<Duration>) -> Option<(tokio::time::Instant, Duration)> {
    limit.map(|l| (tokio::time::Instant::now() + l, l))
}

#[cfg(test)]
mod tests {
    use super::{SourceError, deadline, until};
    use std::time::Duration;

    #[tokio::test]
    async fn a_statement_past_its_deadline_is_a_query_error_naming_the_limit_and_sql() {
        let limit = Some(Duration::from_secs(1));
        let never = futures::future::pending::<Result<(), SourceError>>();
        let e = until(deadline(limit), "SELECT MAX(x) FROM t", never)
            .await
            .unwrap_err();
        assert!(!e.is_transient(), "a timeout is not retried: {e:?}");
        assert!(e.is_timeout());
        let text = e.to_string();
        assert!(text.contains("query_timeout_secs = 1"), "{text}");
        assert!(text.contains("SELECT MAX(x) FROM t"), "{text}");
        let quick = async { Ok::<_, SourceError>(7) };
        assert_eq!(until(deadline(limit), "q", quick).await.unwrap(), 7);
        let slow = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok::<_, SourceError>(8)
        };
        assert_eq!(until(None, "q", slow).await.unwrap(), 8, "no limit");
    }
}
