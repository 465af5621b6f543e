//! Rows of a catalog query read as text, for every sqlx-based source.

use sqlx::{ColumnIndex, Database, Decode, Row, Type};

/// Every column of every row as `Option<String>` (the catalog queries cast to text).
pub(super) fn texts<R>(rows: &[R]) -> Result<Vec<Vec<Option<String>>>, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    R::Database: Database,
{
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.try_get::<Option<String>, _>(i))
                .collect()
        })
        .collect()
}
