//! Text dates and timestamps: how a column writes them, learned at plan time, and parameters
//! bound the same way so they compare correctly as text.

use crate::plan::CursorValue;
use crate::plan::sql::Query;
use crate::source::Native;
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Sqlite};
use std::sync::Arc;

/// How a text timestamp column writes its values, learned from a value read at plan time,
/// so bound parameters compare correctly as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextFormat {
    /// `' '` or `'T'` between date and time.
    pub(super) sep: char,
    /// Fractional second digits.
    pub(super) frac: usize,
}

impl Default for TextFormat {
    fn default() -> Self {
        TextFormat { sep: ' ', frac: 0 }
    }
}

/// The query with its parameters, timestamps written as the column writes them.
pub(super) fn bind(
    native: &Native,
    query: &Query,
) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    let formats = match native {
        Native::Sqlite(f) => Some(f.as_ref()),
        _ => None,
    };
    let mut q = sqlx::query(AssertSqlSafe(query.sql.clone()));
    for p in &query.params {
        let fmt = formats
            .and_then(|f| f.get(&p.column))
            .copied()
            .unwrap_or_default();
        q = match p.value {
            CursorValue::Int(v) => match i64::try_from(v) {
                Ok(v) => q.bind(v),
                Err(_) => q.bind(v.to_string()),
            },
            // SQLite keeps such numbers as REALs: the double read at plan time comes back.
            CursorValue::Decimal(d) => q.bind(d.to_string().parse::<f64>().unwrap_or(f64::NAN)),
            CursorValue::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
            CursorValue::Timestamp(t) => q.bind(format_ts(t, fmt)),
            CursorValue::TimestampTz(t) => {
                q.bind(format!("{}+00:00", format_ts(t.naive_utc(), fmt)))
            }
        };
    }
    q
}

pub(super) fn format_ts(t: chrono::NaiveDateTime, fmt: TextFormat) -> String {
    let base = t
        .format(&format!("%Y-%m-%d{}%H:%M:%S", fmt.sep))
        .to_string();
    let nanos = format!("{:09}", t.and_utc().timestamp_subsec_nanos());
    let needed = nanos.trim_end_matches('0').len();
    let digits = fmt.frac.max(needed);
    if digits == 0 {
        base
    } else {
        format!("{base}.{}", &nanos[..digits.min(9)])
    }
}

/// Remember in `native` how a text timestamp column writes its values (from a value read at
/// plan time), so parameters on it are written the same way.
pub(super) fn learn(native: &mut Native, column: &str, sample: &str) {
    if !matches!(native, Native::Sqlite(_)) {
        *native = Native::Sqlite(Arc::default());
    }
    if let Native::Sqlite(formats) = native {
        Arc::make_mut(formats).insert(column.to_string(), learn_format(sample));
    }
}

pub(super) fn learn_format(text: &str) -> TextFormat {
    let sep = if text.as_bytes().get(10) == Some(&b'T') {
        'T'
    } else {
        ' '
    };
    let frac = text
        .get(19..)
        .and_then(|rest| rest.strip_prefix('.'))
        .map(|f| f.bytes().take_while(u8::is_ascii_digit).count())
        .unwrap_or(0);
    TextFormat { sep, frac }
}
