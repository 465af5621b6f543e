//! Pure checks on single workbook values: names, paths, containers, queries.
//!
//! Each returns a [`Problem`] (message + optional hint) that the validator places at a cell.

use crate::config::job::{LoadType, SourceType, TargetFormat, WriteDisposition};
use crate::config::secrets::Secrets;
use crate::source::SourceSettings;

/// Longest job id or identifier accepted.
pub const MAX_NAME_LEN: usize = 128;

/// What is wrong with a value, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Short lower-case sentence.
    pub message: String,
    /// How to fix it, when that helps.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem with a message only.
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            hint: None,
        }
    }

    /// Add a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

/// Characters of a value shown in a message before it is cut short.
const SHOWN_CHARS: usize = 60;

/// A workbook or secrets value made safe to quote in a message: control, invisible and
/// combining characters escaped (`\0`, `\u{202e}`), and anything longer than 60 characters cut
/// to its start plus `… (N characters)`, so a 1 MB cell never floods the terminal.
pub fn shown(s: &str) -> String {
    let count = s.chars().count();
    let mut out = String::new();
    for c in s.chars().take(SHOWN_CHARS) {
        match c {
            '\\' | '"' | '\'' => out.push(c),
            _ => out.extend(c.escape_debug()),
        }
    }
    if count > SHOWN_CHARS {
        out.push_str(&format!("… ({count} characters)"));
    }
    out
}

/// A job id: `[A-Za-z0-9_.-]+`, at most 128 characters, not starting with `.`.
pub fn job_id(s: &str) -> Result<(), Problem> {
    let hint = "use letters, digits, `_`, `.` and `-` only, e.g. sales_orders";
    if let Some(bad) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        let bad = shown(&bad.to_string());
        return Err(Problem::new(format!("`{bad}` is not allowed in a job_id")).hint(hint));
    }
    if s.starts_with('.') {
        return Err(Problem::new("must not start with `.`").hint(hint));
    }
    if s.chars().count() > MAX_NAME_LEN {
        return Err(Problem::new(format!(
            "is longer than {MAX_NAME_LEN} characters"
        )));
    }
    Ok(())
}

/// A plain name (`^[\p{L}_][\p{L}\p{N}_$#]*$`) or one quoted name (`"…"`, `[…]`, `` `…` ``
/// with the closing quote doubled inside and no control characters), at most 128 characters.
pub fn identifier(s: &str) -> Result<(), Problem> {
    let bad = || {
        Problem::new(format!("`{}` is not a plain or quoted name", shown(s))).hint(
            "write one column or table name; quote names with spaces or symbols as \"My Name\" \
             (schema goes in schema_name, conditions in query_filter)",
        )
    };
    let too_long = || Problem::new(format!("is longer than {MAX_NAME_LEN} characters"));
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return Err(bad());
    };
    let close = match first {
        '"' => '"',
        '[' => ']',
        '`' => '`',
        c if c.is_alphabetic() || c == '_' => {
            if !chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '#')) {
                return Err(bad());
            }
            return if s.chars().count() > MAX_NAME_LEN {
                Err(too_long())
            } else {
                Ok(())
            };
        }
        _ => return Err(bad()),
    };
    // Quoted: walk the inside; a closing quote must be doubled or end the name.
    let inner: Vec<char> = chars.collect();
    if inner.last() != Some(&close) {
        return Err(bad());
    }
    let inner = &inner[..inner.len() - 1];
    let mut len = 0usize;
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if c.is_control() {
            return Err(bad());
        }
        if c == close {
            if inner.get(i + 1) != Some(&close) {
                return Err(bad());
            }
            i += 1;
        }
        len += 1;
        i += 1;
    }
    if len == 0 || inner.iter().all(|c| c.is_whitespace()) {
        return Err(bad());
    }
    if len > MAX_NAME_LEN {
        return Err(too_long());
    }
    Ok(())
}

/// Split a comma-separated list of names, ignoring commas inside quotes; items are trimmed.
/// An empty item (`a,,b`) is a problem.
pub fn split_names(s: &str) -> Result<Vec<String>, Problem> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut close: Option<char> = None;
    for c in s.chars() {
        match close {
            Some(q) if c == q => {
                // A doubled quote re-opens immediately on the next char: handled by toggling.
                close = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None => match c {
                ',' => items.push(std::mem::take(&mut cur)),
                '"' | '`' => {
                    close = Some(c);
                    cur.push(c);
                }
                '[' => {
                    close = Some(']');
                    cur.push(c);
                }
                _ => cur.push(c),
            },
        }
    }
    items.push(cur);
    let items: Vec<String> = items.into_iter().map(|i| i.trim().to_string()).collect();
    if items.iter().any(String::is_empty) {
        return Err(Problem::new("has an empty name in the list")
            .hint("separate key columns with single commas, e.g. id,line_no"));
    }
    Ok(items)
}

/// A relative folder inside the container: no leading `/` or `\`, no drive letter, no `..`.
/// Returns it normalised: `\` → `/`, empty and `.` segments dropped, no surrounding `/`.
pub fn folder_path(s: &str) -> Result<String, Problem> {
    let hint = "write a folder inside the container, e.g. sales/orders";
    if s.starts_with('/') || s.starts_with('\\') {
        return Err(Problem::new("must be a relative path (no leading / or \\)").hint(hint));
    }
    let b = s.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(Problem::new("must be a relative path (no drive letter)").hint(hint));
    }
    if s.chars().any(char::is_control) {
        return Err(Problem::new("must not contain control characters").hint(hint));
    }
    let mut segments = Vec::new();
    for seg in s.split(['/', '\\']) {
        let seg = seg.trim();
        match seg {
            "" | "." => {}
            ".." => return Err(Problem::new("must not contain a `..` segment").hint(hint)),
            _ => segments.push(seg),
        }
    }
    if segments.is_empty() {
        return Err(Problem::new("must name a folder").hint(hint));
    }
    Ok(segments.join("/"))
}

/// An Azure container name: 3–63 characters, lower-case letters, digits and single hyphens,
/// starting and ending with a letter or digit.
pub fn azure_container(s: &str) -> Result<(), Problem> {
    let hint = "Azure container names are 3-63 lower-case letters, digits and single hyphens, \
                e.g. raw-data";
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok_ends = s
        .chars()
        .next()
        .zip(s.chars().last())
        .is_some_and(|(a, z)| a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric());
    if !(3..=63).contains(&s.len()) || !ok_chars || !ok_ends || s.contains("--") {
        let s = shown(s);
        return Err(Problem::new(format!("`{s}` is not a valid Azure container name")).hint(hint));
    }
    Ok(())
}

/// A sub-folder of a local destination: one safe folder name (no `/`, `\`, `..`, not `.`).
pub fn local_container(s: &str) -> Result<(), Problem> {
    let hint = "for a local destination, target_container is one folder name, e.g. raw";
    let bad = s.contains(['/', '\\', ':'])
        || s == "."
        || s.contains("..")
        || s.chars().any(char::is_control);
    if bad {
        let s = shown(s);
        return Err(Problem::new(format!("`{s}` is not a single safe folder name")).hint(hint));
    }
    Ok(())
}

/// A source query: must start with SELECT or WITH. Returns it without trailing `;`.
pub fn source_query(s: &str) -> Result<String, Problem> {
    let first: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    if first != "SELECT" && first != "WITH" {
        return Err(Problem::new("must start with SELECT or WITH")
            .hint("write one query that returns rows; it is wrapped as a subquery"));
    }
    Ok(s.trim()
        .trim_end_matches([';', ' ', '\t', '\r', '\n'])
        .to_string())
}

/// The write disposition a job may use: FULL only replaces; INCREMENTAL appends, or merges
/// into a Delta table by a primary key. `None` (an empty cell) takes the load type's default.
pub fn write_disposition(
    load_type: LoadType,
    format: TargetFormat,
    chosen: Option<WriteDisposition>,
    has_primary_key: bool,
) -> Result<WriteDisposition, Problem> {
    let Some(d) = chosen else {
        return Ok(WriteDisposition::default_for(load_type));
    };
    match (load_type, d) {
        (LoadType::Full, WriteDisposition::Replace) => Ok(d),
        (LoadType::Full, _) => Err(Problem::new(format!(
            "`{d}` does not go with load_type = FULL, which replaces the table"
        ))
        .hint(
            "leave write_disposition empty or write replace; use INCREMENTAL to append or merge",
        )),
        (LoadType::Incremental, WriteDisposition::Replace) => Err(Problem::new(
            "`replace` does not go with load_type = INCREMENTAL",
        )
        .hint("use load_type = FULL to replace the table, or append / merge")),
        (LoadType::Incremental, WriteDisposition::Merge) if format != TargetFormat::Delta => {
            Err(Problem::new("`merge` needs target_format = delta")
                .hint("set target_format to delta, or use append"))
        }
        (LoadType::Incremental, WriteDisposition::Merge) if !has_primary_key => {
            Err(Problem::new("`merge` needs a primary_key to match rows by")
                .hint("fill primary_key with the key columns, e.g. order_id"))
        }
        (LoadType::Incremental, _) => Ok(d),
    }
}

/// The file name of secrets.toml as the user knows it, for messages.
fn secrets_name(secrets: &Secrets) -> String {
    secrets.file.file_name().map_or_else(
        || "secrets.toml".to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}

/// The source section of a job exists (`[sources.<name>]`, else `[sources.<type>]`), when it
/// declares a type (`type = …`, or a section named after a type) that type is `ty`, and it
/// holds what a source of that type connects with: its name and settings, typed once.
pub fn source_section(
    secrets: &Secrets,
    name: &str,
    ty: SourceType,
) -> Result<(String, SourceSettings), Problem> {
    let file = secrets_name(secrets);
    let Some((section, s)) = secrets.source_for(name, ty) else {
        let name = shown(name);
        let msg = if name.eq_ignore_ascii_case(ty.key()) {
            format!("no [sources.{name}] in {file}")
        } else {
            format!("no [sources.{name}] or [sources.{}] in {file}", ty.key())
        };
        return Err(Problem::new(msg).hint(format!("add a [sources.{name}] section to {file}")));
    };
    let declared = match &s.kind {
        Some(k) => SourceType::parse(k).ok_or(k.as_str()),
        None => SourceType::parse(section).ok_or(""),
    };
    match declared {
        Ok(t) if t != ty => Err(Problem::new(format!(
            "[sources.{section}] is a {t} source, not {ty}"
        ))
        .hint(format!("fix source_type here or `type` in {file}"))),
        Err(k) if !k.is_empty() => Err(Problem::new(format!(
            "[sources.{section}] has an unknown type `{}`",
            shown(k)
        ))),
        _ => SourceSettings::of(ty, s)
            .map(|settings| (section.to_string(), settings))
            .map_err(|what| {
                Problem::new(format!("[sources.{section}] {what}"))
                    .hint(format!("fix [sources.{section}] in {file}"))
            }),
    }
}

/// The `[destinations.<dest>]` section exists.
pub fn destination_section(secrets: &Secrets, dest: &str) -> Result<(), Problem> {
    if secrets.destination(dest).is_some() {
        return Ok(());
    }
    let file = secrets_name(secrets);
    let dest = shown(dest);
    let have: Vec<&str> = secrets.destinations.keys().map(String::as_str).collect();
    let hint = if have.is_empty() {
        format!("add a [destinations.{dest}] section to {file}")
    } else {
        format!("{file} has: {}", have.join(", "))
    };
    Err(Problem::new(format!("no [destinations.{dest}] in {file}")).hint(hint))
}

/// `target_container` for the job's destination: Azure naming for an Azure destination, a
/// single safe folder name for a local one (and when the destination is not configured).
pub fn target_container(secrets: &Secrets, dest: &str, container: &str) -> Result<(), Problem> {
    match secrets.destination(dest) {
        Some((_, d)) if d.path.is_none() => azure_container(container),
        _ => local_container(container),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
