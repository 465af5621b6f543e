//! Runtime variables in SQL and folder text: `{name}` tokens, found only outside string
//! literals, quoted identifiers and comments (SQL), and substituted by quoted string literals,
//! never pasted as raw SQL. `{{` and `}}` stand for a literal `{` and `}`.

use super::{Dialect, inline};
use std::fmt::Write;

/// One piece of a template: text kept as written, or a variable reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text kept as it is (escapes already undone).
    Text(String),
    /// `{name}`: the variable's name.
    Var(String),
}

/// True for a variable name: an ASCII letter or `_`, then ASCII letters, digits and `_`.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The pieces of SQL text of dialect `d`: `{name}` inside a string literal, a quoted
/// identifier or a comment is kept as written.
pub fn sql_template(d: Dialect, sql: &str) -> Vec<Piece> {
    split(sql, |i| inline::skip_token(d, sql, i))
}

/// The pieces of a folder path: every `{name}` is a variable.
pub fn path_template(path: &str) -> Vec<Piece> {
    split(path, |_| None)
}

/// The variables a template names, in order of appearance (repeats kept).
pub fn names(pieces: &[Piece]) -> impl Iterator<Item = &str> {
    pieces.iter().filter_map(|p| match p {
        Piece::Var(n) => Some(n.as_str()),
        Piece::Text(_) => None,
    })
}

fn split(text: &str, skip: impl Fn(usize) -> Option<usize>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with("{{") || rest.starts_with("}}") {
            cur.push_str(&rest[..1]);
            i += 2;
            continue;
        }
        if let Some(name) = rest
            .strip_prefix('{')
            .and_then(|r| r.find('}').map(|end| &r[..end]))
            .filter(|n| is_var_name(n))
        {
            if !cur.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut cur)));
            }
            out.push(Piece::Var(name.to_string()));
            i += name.len() + 2;
            continue;
        }
        let end = match skip(i) {
            Some(end) if end > i => end.min(text.len()),
            _ => i + rest.chars().next().map_or(1, char::len_utf8),
        };
        cur.push_str(&text[i..end]);
        i = end;
    }
    if !cur.is_empty() {
        out.push(Piece::Text(cur));
    }
    out
}

/// A string literal holding `value` exactly, for dialect `d`: quotes are doubled; a backslash
/// is written so that it stays one backslash whatever the server's escaping mode
/// (PostgreSQL `E'…'` with `\\`; MySQL a `_utf8mb4 X'…'` hex literal). SQL Server literals
/// are `N'…'` so any character survives.
pub fn string_literal(d: Dialect, value: &str) -> String {
    let quoted = format!("'{}'", value.replace('\'', "''"));
    match d {
        Dialect::Postgres if value.contains('\\') => {
            format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
        }
        Dialect::MySql if value.contains('\\') => {
            let mut hex = String::with_capacity(value.len() * 2);
            for b in value.bytes() {
                let _ = write!(hex, "{b:02X}");
            }
            format!("_utf8mb4 X'{hex}'")
        }
        Dialect::MsSql => format!("N{quoted}"),
        _ => quoted,
    }
}

#[cfg(test)]
#[path = "vars_tests.rs"]
mod tests;
