//! Errors of Delta tables, and the commit properties every load's commit carries.

use super::delta::{APP_METADATA_KEY, LoadInfo};
use crate::sink::store::redact;
use deltalake::DeltaTableError;
use deltalake::kernel::Transaction;
use deltalake::kernel::transaction::{CommitProperties, TransactionError};

/// What went wrong with a Delta table.
#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    /// `write_disposition = merge` without what it needs.
    #[error("write_disposition = merge needs {0}")]
    MergeNeeds(&'static str),
    /// A column type a Delta table cannot hold exactly.
    #[error(
        "column `{column}` is {data_type}, which a Delta table cannot hold exactly ({why}); cast it in source_query or use target_format = parquet"
    )]
    Type {
        /// Column name.
        column: String,
        /// The Arrow type.
        data_type: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// A load whose columns differ from the table's in a way the job's policy refuses.
    #[error("Delta table {table}: the source columns changed: {detail}")]
    SchemaChanged {
        /// Table root.
        table: String,
        /// Which columns differ, and what to do.
        detail: String,
    },
    /// A column whose type changed: Delta files already written cannot be read as the new type.
    #[error(
        "Delta table {table}: column `{column}` changed type from {from} to {to}; a Delta table keeps its column types (type widening is a table feature most readers lack); run once with --full-refresh to replace the table"
    )]
    TypeChanged {
        /// Table root.
        table: String,
        /// Column name.
        column: String,
        /// Delta type in the table.
        from: String,
        /// Delta type of the load.
        to: String,
    },
    /// Another writer committed to the table first in a way this commit cannot be reconciled
    /// with (an overwrite or MERGE): nothing of this load was applied.
    #[error(
        "Delta table {table}: another writer changed the table during this load ({message}); nothing was committed, run the job again"
    )]
    Conflict {
        /// Table root.
        table: String,
        /// delta-rs's account of the conflict, secrets redacted.
        message: String,
    },
    /// delta-rs failed.
    #[error("Delta table {table}: {operation}: {message}")]
    Delta {
        /// Table root.
        table: String,
        /// What was being done.
        operation: &'static str,
        /// The error, secrets redacted.
        message: String,
    },
}

/// The job's txn and the load's [`LoadInfo`] in the commitInfo.
pub(super) fn commit_properties(
    table: &str,
    info: &LoadInfo,
) -> Result<CommitProperties, DeltaError> {
    let metadata =
        serde_json::to_value(info).map_err(|e| delta_err(table, "encoding commitInfo", &e))?;
    Ok(CommitProperties::default()
        .with_metadata([(APP_METADATA_KEY.to_string(), metadata)])
        .with_application_transaction(Transaction::new(&info.job_id, info.seq)))
}

/// A failed commit: a conflict with another writer is [`DeltaError::Conflict`].
pub(super) fn commit_err(table: &str, e: impl Into<DeltaTableError>) -> DeltaError {
    let e: DeltaTableError = e.into();
    match &e {
        DeltaTableError::Transaction {
            source: TransactionError::CommitConflict(_) | TransactionError::MaxCommitAttempts(_),
        }
        | DeltaTableError::VersionAlreadyExists(_) => DeltaError::Conflict {
            table: table.to_string(),
            message: redact(&e.to_string()),
        },
        _ => delta_err(table, "committing", &e),
    }
}

pub(super) fn delta_err(
    table: &str,
    operation: &'static str,
    e: &dyn std::fmt::Display,
) -> DeltaError {
    DeltaError::Delta {
        table: table.to_string(),
        operation,
        message: redact(&e.to_string()),
    }
}
