//! Row estimates for progress bars: catalog statistics, never `COUNT(*)` (except on SQLite,
//! where counting is cheap and there are no statistics). An estimate is a hint for a
//! percentage and an ETA; nothing is decided on it.

use crate::plan::CursorValue;
use crate::plan::sql::{Dialect, Relation, from_clause, unwrap_quoted};
use crate::plan::window::Window;
use crate::source::{Source, SourceError};

/// The catalog query estimating a relation's rows, with its text parameters; `None` for a
/// `source_query` or a filtered relation (no statistics describe those).
pub fn estimate_query(d: Dialect, rel: &Relation) -> Option<(String, Vec<Option<String>>)> {
    if rel.query.is_some() || rel.filter.as_deref().is_some_and(|f| !f.trim().is_empty()) {
        return None;
    }
    let table = rel.table.as_deref().filter(|t| !t.trim().is_empty())?;
    let schema = rel.schema.as_deref().filter(|s| !s.trim().is_empty());
    let bare = |name: &str| {
        unwrap_quoted(name).unwrap_or_else(|| match d {
            Dialect::Oracle => name.to_uppercase(),
            Dialect::Postgres => name.to_ascii_lowercase(),
            _ => name.to_string(),
        })
    };
    let qualified = from_clause(d, rel);
    Some(match d {
        // reltuples < 0: never vacuumed or analyzed (unknown). A partitioned table analyzed
        // as a whole has its own estimate; otherwise add its partitions'.
        Dialect::Postgres => (
            "SELECT CASE WHEN p.reltuples > 0 OR (p.reltuples = 0 AND p.relkind <> 'p') \
             THEN p.reltuples::bigint::text \
             ELSE (SELECT CASE WHEN MAX(c.reltuples) < 0 THEN NULL \
             ELSE SUM(GREATEST(c.reltuples, 0))::bigint::text END \
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = p.oid) END \
             FROM pg_class p WHERE p.oid = to_regclass($1::text)"
                .to_string(),
            vec![Some(qualified)],
        ),
        Dialect::MySql => (
            "SELECT CAST(TABLE_ROWS AS CHAR) FROM information_schema.tables \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?"
                .to_string(),
            vec![schema.map(bare), Some(bare(table))],
        ),
        Dialect::MsSql => (
            "SELECT CAST(SUM(row_count) AS nvarchar(20)) FROM sys.dm_db_partition_stats \
             WHERE object_id = OBJECT_ID(@P1) AND index_id IN (0, 1)"
                .to_string(),
            vec![Some(qualified)],
        ),
        Dialect::Oracle => (
            "SELECT TO_CHAR(num_rows) FROM all_tables \
             WHERE owner = COALESCE(UPPER(:1), USER) AND table_name = :2"
                .to_string(),
            vec![schema.map(bare), Some(bare(table))],
        ),
        Dialect::Sqlite => (
            format!("SELECT CAST(COUNT(*) AS TEXT) FROM {qualified}"),
            Vec::new(),
        ),
    })
}

/// The relation's estimated rows; `None` when the catalog has no estimate for it.
pub async fn table_rows(source: &dyn Source, rel: &Relation) -> Result<Option<u64>, SourceError> {
    let Some((sql, params)) = estimate_query(source.dialect(), rel) else {
        return Ok(None);
    };
    let rows = source.text_rows(&sql, &params).await?;
    Ok(rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|n| n.is_finite() && *n >= 0.0)
        .map(|n| n as u64))
}

/// The share of the rows from `lowest` to `window.hi` that the window `(lo, hi]` holds,
/// assuming the cursor's values are spread evenly: `(hi - lo) / (hi - lowest)`. `None` when
/// the kind has no distance or the range is empty.
pub fn window_share(lowest: &CursorValue, window: &Window) -> Option<f64> {
    let Some(lo) = &window.lo else {
        return Some(1.0);
    };
    let num = distance(lo, &window.hi)?;
    let den = distance(lowest, &window.hi)?;
    if den <= 0.0 {
        return None;
    }
    Some((num / den).clamp(0.0, 1.0))
}

/// `b - a` as a number (days, seconds, units), when the two are of one kind.
fn distance(a: &CursorValue, b: &CursorValue) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive;
    Some(match (a, b) {
        (CursorValue::Int(a), CursorValue::Int(b)) => (*b - *a) as f64,
        (CursorValue::Date(a), CursorValue::Date(b)) => (*b - *a).num_days() as f64,
        (CursorValue::Timestamp(a), CursorValue::Timestamp(b)) => {
            (*b - *a).num_milliseconds() as f64 / 1000.0
        }
        (CursorValue::TimestampTz(a), CursorValue::TimestampTz(b)) => {
            (*b - *a).num_milliseconds() as f64 / 1000.0
        }
        (CursorValue::Decimal(a), CursorValue::Decimal(b)) => (*b - *a).to_f64()?,
        _ => return None,
    })
}

/// The rows a load is expected to read: the table's estimate for a full copy or a first
/// incremental load, scaled by [`window_share`] for a later window; `None` when unknown.
pub async fn load_rows(
    source: &dyn Source,
    rel: &Relation,
    window: Option<&Window>,
    lowest: Option<&CursorValue>,
) -> Option<u64> {
    let share = match window {
        None => 1.0,
        Some(w) if w.lo.is_none() => 1.0,
        Some(w) => window_share(lowest?, w)?,
    };
    match table_rows(source, rel).await {
        Ok(Some(rows)) => Some((rows as f64 * share).round() as u64),
        Ok(None) => None,
        Err(e) => {
            tracing::debug!("row estimate: {e}");
            None
        }
    }
}

#[cfg(test)]
#[path = "estimate_tests.rs"]
mod tests;
