//! `ingest discover`: list a source's tables and views from its catalog and propose one
//! workbook row per table (load type, cursor, keys, chunking), for a person to review.

pub mod catalog;
pub mod command;
pub mod propose;
pub mod workbook;
pub mod xlsx_append;

use crate::config::{SourceType, secrets::Secrets};
use crate::plan::sql::unwrap_quoted;
use crate::sink::layout::TableLayout;
use catalog::TableInfo;
use propose::{Proposal, safe_segment};
use std::collections::HashSet;

/// What can stop `discover`. Messages never hold a secret.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// `--source` names no section, or one without a known type.
    #[error("{0}")]
    Source(String),
    /// The catalog could not be read.
    #[error("cannot read the catalog of source `{name}`: {source}")]
    Catalog {
        /// Source name.
        name: String,
        /// The source's error.
        source: crate::source::SourceError,
    },
    /// The workbook could not be written or read.
    #[error(transparent)]
    Workbook(#[from] workbook::WriteError),
}

/// A table that got no row, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Skipped {
    /// Schema as the catalog spells it.
    pub schema: Option<String>,
    /// Table as the catalog spells it.
    pub table: String,
    /// Why.
    pub reason: String,
}

/// The rows proposed and the tables left out.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Discovery {
    /// One row per table, in catalog order.
    pub proposals: Vec<Proposal>,
    /// Tables that got no row.
    pub skipped: Vec<Skipped>,
}

/// Rows already in a workbook that new rows must not clash with.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    /// Job ids, lower-cased.
    pub job_ids: HashSet<String>,
    /// `(source, schema, table)` as [`table_key`] makes them.
    pub tables: Vec<(String, String, String)>,
    /// Table folders as [`folder_key`] makes them.
    pub folders: HashSet<String>,
}

/// A name compared ignoring case and quoting.
pub fn name_key(name: &str) -> String {
    let t = name.trim();
    unwrap_quoted(t)
        .unwrap_or_else(|| t.to_string())
        .to_lowercase()
}

/// `(source, schema, table)` ignoring case and quoting.
pub fn table_key(source: &str, schema: Option<&str>, table: &str) -> (String, String, String) {
    (
        name_key(source),
        schema.map(name_key).unwrap_or_default(),
        name_key(table),
    )
}

/// Whether two table keys name one table; a blank schema matches any (the default schema).
fn same_table(a: &(String, String, String), b: &(String, String, String)) -> bool {
    a.0 == b.0 && a.2 == b.2 && (a.1.is_empty() || b.1.is_empty() || a.1 == b.1)
}

/// The table folder of a row, lower-cased, as the folder-collision rule compares it.
pub fn folder_key(
    destination: &str,
    container: &str,
    folder: &str,
    source: &str,
    table: &str,
) -> String {
    let layout = TableLayout::new(folder, source, table);
    format!(
        "{}\n{}\n{}",
        destination.to_lowercase(),
        container.to_lowercase(),
        layout.prefix().as_ref().to_lowercase()
    )
}

/// Whether `name` matches one of the comma-separated globs (`*`, `?`), ignoring case.
pub fn matches(patterns: &str, name: &str) -> bool {
    fn glob(p: &[char], s: &[char]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some('*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
            (Some('?'), Some(_)) => glob(&p[1..], &s[1..]),
            (Some(a), Some(b)) => a == b && glob(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let s: Vec<char> = name.to_lowercase().chars().collect();
    patterns
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| {
            let p: Vec<char> = p.to_lowercase().chars().collect();
            glob(&p, &s)
        })
}

/// The source section named `--source` and its type.
pub fn source_section<'a>(
    secrets: &'a Secrets,
    name: &str,
) -> Result<
    (
        &'a str,
        SourceType,
        &'a crate::config::secrets::SourceSecret,
    ),
    DiscoverError,
> {
    let file = secrets.file.display();
    let (section, s) = secrets
        .sources
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            DiscoverError::Source(format!(
                "no [sources.{}] in {file}",
                crate::config::rules::shown(name)
            ))
        })?;
    let ty = match &s.kind {
        Some(k) => SourceType::parse(k),
        None => SourceType::parse(section),
    }
    .ok_or_else(|| {
        DiscoverError::Source(format!("[sources.{section}] in {file} has no known `type`"))
    })?;
    Ok((section.as_str(), ty, s))
}

/// Propose rows for `tables` (already filtered), unique against `existing`; tables already
/// in the workbook and names ingest cannot express are skipped with the reason.
pub fn discover_rows(
    ty: SourceType,
    source: &str,
    tables: &[TableInfo],
    existing: &Existing,
) -> Discovery {
    let mut out = Discovery::default();
    let mut ids = existing.job_ids.clone();
    let mut folders = existing.folders.clone();
    for t in tables {
        let skip = |reason: String| Skipped {
            schema: t.schema.clone(),
            table: t.name.clone(),
            reason,
        };
        let key = table_key(source, t.schema.as_deref(), &t.name);
        if existing.tables.iter().any(|k| same_table(k, &key)) {
            out.skipped.push(skip("already in the workbook".into()));
            continue;
        }
        let mut p = match propose::propose(ty, source, t) {
            Ok(p) => p,
            Err(problem) => {
                out.skipped.push(skip(format!(
                    "its name cannot be written in the workbook: {}",
                    problem.message
                )));
                continue;
            }
        };
        let mut parts = vec![source];
        let mut folder = vec![safe_segment(source)];
        if let Some(s) = t.schema.as_deref().filter(|_| ty != SourceType::Sqlite) {
            parts.push(s);
            folder.push(safe_segment(s));
        }
        parts.push(&t.name);
        p.job_id = propose::job_id(&parts, &mut ids);
        p.target_folder_path = folder.join("/");
        let dest = crate::config::job::DEFAULT_DESTINATION;
        let mut fk = folder_key(
            dest,
            &p.target_container,
            &p.target_folder_path,
            source,
            &p.table_name,
        );
        if folders.contains(&fk) {
            // Names that differ only in case share a folder: give this one its own.
            p.target_folder_path = format!("{}/{}", p.target_folder_path, p.job_id);
            fk = folder_key(
                dest,
                &p.target_container,
                &p.target_folder_path,
                source,
                &p.table_name,
            );
        }
        folders.insert(fk);
        out.proposals.push(p);
    }
    out
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
