//! [`Query::inline`]: the SQL with its placeholders replaced by typed literals.
//!
//! Placeholders are found by a small lexer that skips string literals, quoted identifiers and
//! comments, so nothing inside the user's text is touched. The builders in `sql.rs` always put
//! every placeholder after the user's query and filter, so only the last `params.len()`
//! placeholders found are replaced: a stray `?` or `$1` in user text is never rewritten.

use super::{Dialect, Query};
use crate::plan::CursorValue;
use chrono::{NaiveDateTime, Timelike};

impl Query {
    /// The SQL with every placeholder replaced by a literal, for statements that cannot bind
    /// (PostgreSQL binary COPY). Ints as digits, dates and timestamps as typed literals,
    /// timestamps with time zone converted to UTC (`+00:00`).
    pub fn inline(&self, d: Dialect) -> String {
        let found = placeholders(d, &self.sql);
        let n = self.params.len();
        let taken = &found[found.len().saturating_sub(n)..];
        let mut out = String::with_capacity(self.sql.len() + 32 * n);
        let mut at = 0;
        for (j, ph) in taken.iter().enumerate() {
            let idx = match ph.number {
                Some(num) => num.checked_sub(1),
                None => Some(n - taken.len() + j),
            };
            let Some(param) = idx.and_then(|i| self.params.get(i)) else {
                continue;
            };
            out.push_str(&self.sql[at..ph.start]);
            out.push_str(&literal(d, &param.value));
            at = ph.end;
        }
        out.push_str(&self.sql[at..]);
        out
    }
}

/// A typed SQL literal for a cursor value in a dialect.
pub(super) fn literal(d: Dialect, v: &CursorValue) -> String {
    match v {
        CursorValue::Int(i) => i.to_string(),
        // A plain numeric literal is exact in every dialect (SQLite reads it as a REAL).
        CursorValue::Decimal(x) => x.to_string(),
        CursorValue::Date(x) => {
            let s = x.format("%Y-%m-%d");
            match d {
                Dialect::Postgres | Dialect::Oracle => format!("DATE '{s}'"),
                Dialect::MySql => format!("DATE'{s}'"),
                Dialect::MsSql => format!("CAST('{s}' AS date)"),
                Dialect::Sqlite => format!("'{s}'"),
            }
        }
        CursorValue::Timestamp(t) => match d {
            Dialect::Postgres => format!("TIMESTAMP '{}'", ts_text(t, 6)),
            Dialect::MySql => format!("TIMESTAMP'{}'", ts_text(t, 6)),
            Dialect::MsSql => format!("CAST('{}' AS datetime2)", ts_text(t, 7)),
            Dialect::Oracle => format!("TIMESTAMP '{}'", ts_text(t, 9)),
            Dialect::Sqlite => format!("'{}'", ts_text(t, 6)),
        },
        CursorValue::TimestampTz(t) => {
            let u = t.naive_utc();
            match d {
                Dialect::Postgres => format!("TIMESTAMPTZ '{}+00:00'", ts_text(&u, 6)),
                Dialect::MySql => format!("TIMESTAMP'{}+00:00'", ts_text(&u, 6)),
                Dialect::MsSql => {
                    format!("CAST('{} +00:00' AS datetimeoffset)", ts_text(&u, 7))
                }
                Dialect::Oracle => format!("TIMESTAMP '{} +00:00'", ts_text(&u, 9)),
                Dialect::Sqlite => format!("'{}+00:00'", ts_text(&u, 6)),
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS.f…` with exactly `digits` (1..=9) fractional digits, truncated.
fn ts_text(t: &NaiveDateTime, digits: usize) -> String {
    let nanos = format!("{:09}", t.nanosecond() % 1_000_000_000);
    let digits = digits.clamp(1, 9);
    format!("{}.{}", t.format("%Y-%m-%d %H:%M:%S"), &nanos[..digits])
}

/// One placeholder token: its byte range and, for numbered styles, its number.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Placeholder {
    start: usize,
    end: usize,
    number: Option<usize>,
}

/// Every placeholder of the dialect's style outside literals, quoted identifiers and comments.
pub(super) fn placeholders(d: Dialect, sql: &str) -> Vec<Placeholder> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        i = match c {
            b'\'' => skip_quoted(b, i, b'\'', d == Dialect::MySql),
            b'"' => skip_quoted(b, i, b'"', d == Dialect::MySql),
            b'`' if matches!(d, Dialect::MySql | Dialect::Sqlite) => skip_quoted(b, i, b'`', false),
            b'[' if matches!(d, Dialect::MsSql | Dialect::Sqlite) => skip_quoted(b, i, b']', false),
            b'-' if next == Some(b'-') => skip_line(b, i),
            b'#' if d == Dialect::MySql => skip_line(b, i),
            b'/' if next == Some(b'*') => {
                skip_block(b, i, matches!(d, Dialect::Postgres | Dialect::MsSql))
            }
            b'?' if matches!(d, Dialect::MySql | Dialect::Sqlite) => {
                out.push(Placeholder {
                    start: i,
                    end: i + 1,
                    number: None,
                });
                i + 1
            }
            b'$' if d == Dialect::Postgres => dollar(sql, i, &mut out),
            b'@' if d == Dialect::MsSql && matches!(next, Some(b'P' | b'p')) => {
                numbered(b, i, 2, &mut out)
            }
            b':' if d == Dialect::Oracle => numbered(b, i, 1, &mut out),
            _ if is_word(c, d) => word(sql, i, d),
            _ => i + 1,
        };
    }
    out
}

fn is_word(c: u8, d: Dialect) -> bool {
    c.is_ascii_alphanumeric()
        || c == b'_'
        || c >= 0x80
        || (c == b'$' && d != Dialect::Sqlite)
        || (c == b'#' && matches!(d, Dialect::Oracle | Dialect::MsSql))
        || (c == b'@' && d == Dialect::MsSql)
}

/// Skip a word (identifier, keyword, number); handles prefixed literals `E'…'` and `q'[…]'`.
fn word(sql: &str, start: usize, d: Dialect) -> usize {
    let b = sql.as_bytes();
    let mut i = start;
    while i < b.len() && is_word(b[i], d) {
        i += 1;
    }
    if b.get(i) != Some(&b'\'') {
        return i;
    }
    let w = sql[start..i].to_ascii_lowercase();
    match (d, w.as_str()) {
        (Dialect::Postgres, "e") => skip_quoted(b, i, b'\'', true),
        (Dialect::Oracle, "q" | "nq") => skip_q_quote(sql, i),
        _ => i,
    }
}

/// Skip a run quoted by `close` starting at `open` (`''` doubles; `\` escapes if `backslash`).
fn skip_quoted(b: &[u8], open: usize, close: u8, backslash: bool) -> usize {
    let mut i = open + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
        } else if b[i] == close {
            if b.get(i + 1) == Some(&close) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p + 1)
}

/// Skip `/* … */`, nested when the dialect nests comments.
fn skip_block(b: &[u8], start: usize, nested: bool) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') if depth == 0 || nested => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// Oracle `q'X…X'` (brackets pair up) starting at the quote.
fn skip_q_quote(sql: &str, quote: usize) -> usize {
    let Some(open) = sql[quote + 1..].chars().next() else {
        return sql.len();
    };
    let close = match open {
        '[' => ']',
        '{' => '}',
        '(' => ')',
        '<' => '>',
        c => c,
    };
    let body = quote + 1 + open.len_utf8();
    let mut end = String::from(close);
    end.push('\'');
    sql[body..]
        .find(&end)
        .map_or(sql.len(), |p| body + p + end.len())
}

/// Postgres `$n` (a placeholder) or a dollar-quoted string `$tag$…$tag$`.
fn dollar(sql: &str, start: usize, out: &mut Vec<Placeholder>) -> usize {
    let b = sql.as_bytes();
    if b.get(start + 1).is_some_and(u8::is_ascii_digit) {
        return numbered(b, start, 1, out);
    }
    let mut i = start + 1;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
        i += 1;
    }
    if b.get(i) != Some(&b'$') {
        return start + 1;
    }
    let tag = &sql[start..=i];
    sql[i + 1..]
        .find(tag)
        .map_or(sql.len(), |p| i + 1 + p + tag.len())
}

/// A prefix of `prefix_len` bytes followed by digits: a numbered placeholder.
fn numbered(b: &[u8], start: usize, prefix_len: usize, out: &mut Vec<Placeholder>) -> usize {
    let digits = start + prefix_len;
    let mut i = digits;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits {
        return start + 1;
    }
    let number = std::str::from_utf8(&b[digits..i])
        .ok()
        .and_then(|s| s.parse().ok());
    out.push(Placeholder {
        start,
        end: i,
        number,
    });
    i
}

/// The end of the string literal, quoted identifier, comment or word that starts at byte `i`,
/// if one does: what the variable scanner must step over unchanged.
pub(super) fn skip_token(d: Dialect, sql: &str, i: usize) -> Option<usize> {
    let b = sql.as_bytes();
    let c = *b.get(i)?;
    let next = b.get(i + 1).copied();
    Some(match c {
        b'\'' => skip_quoted(b, i, b'\'', d == Dialect::MySql),
        b'"' => skip_quoted(b, i, b'"', d == Dialect::MySql),
        b'`' if matches!(d, Dialect::MySql | Dialect::Sqlite) => skip_quoted(b, i, b'`', false),
        b'[' if matches!(d, Dialect::MsSql | Dialect::Sqlite) => skip_quoted(b, i, b']', false),
        b'-' if next == Some(b'-') => skip_line(b, i),
        b'#' if d == Dialect::MySql => skip_line(b, i),
        b'/' if next == Some(b'*') => {
            skip_block(b, i, matches!(d, Dialect::Postgres | Dialect::MsSql))
        }
        b'$' if d == Dialect::Postgres => dollar(sql, i, &mut Vec::new()),
        _ if is_word(c, d) => word(sql, i, d),
        _ => return None,
    })
}
