//! The `discover` command: secrets → catalog → proposals → workbook and report.

use super::{Discovery, catalog, discover_rows, matches, source_section, workbook};
use crate::app::exit;
use crate::cli::{DiscoverArgs, Global, Output};
use crate::config::{Severity, issue};
use std::path::PathBuf;

fn error(code: u8, message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    code
}

/// secrets.toml: `--secrets`, else beside the workbook appended to, else `config/secrets.toml`.
fn secrets_file(global: &Global, args: &DiscoverArgs) -> PathBuf {
    match (&global.secrets, &args.append_to) {
        (Some(s), _) => s.clone(),
        (None, Some(book)) => crate::config::secrets_path(book, None),
        (None, None) => PathBuf::from("config").join("secrets.toml"),
    }
}

/// Run `ingest discover`; returns the exit code.
pub async fn run(global: &Global, args: DiscoverArgs) -> u8 {
    let path = secrets_file(global, &args);
    let (secrets, issues) = match crate::config::secrets::load(&path) {
        Ok(s) => s,
        Err(e) => return error(exit::INVALID, e),
    };
    if issues.iter().any(|i| i.severity == Severity::Error) {
        eprint!("{}", issue::render_text(&issues));
        return exit::INVALID;
    }
    let (name, ty, secret) = match source_section(&secrets, &args.source) {
        Ok(s) => s,
        Err(e) => return error(exit::INVALID, e),
    };
    let sheet = match &args.append_to {
        Some(book) => match workbook::read(book) {
            Ok(s) => Some(s),
            Err(e) => return error(exit::INVALID, e),
        },
        None => None,
    };
    if let Some(out) = args.out.as_ref().filter(|o| o.exists() && !args.force) {
        return error(exit::INVALID, workbook::WriteError::Exists(out.clone()));
    }
    let settings = match crate::source::SourceSettings::of(ty, secret) {
        Ok(s) => s,
        Err(what) => return error(exit::INVALID, format!("[sources.{name}] {what}")),
    };
    let source = match crate::source::open(name, &settings).await {
        Ok(s) => s,
        Err(e) => return error(exit::FAILED, e),
    };
    let tables = match catalog::read(source.as_ref(), args.schema.as_deref()).await {
        Ok(t) => t,
        Err(source) => {
            let e = super::DiscoverError::Catalog {
                name: name.to_string(),
                source,
            };
            return error(exit::FAILED, e);
        }
    };
    let tables: Vec<_> = tables
        .into_iter()
        .filter(|t| args.tables.as_deref().is_none_or(|p| matches(p, &t.name)))
        .collect();
    if tables.is_empty() {
        return error(
            exit::FAILED,
            format!("source `{name}` has no table or view that matches"),
        );
    }
    let existing = sheet.as_ref().map(workbook::existing).unwrap_or_default();
    let found = discover_rows(ty, &args.source, &tables, &existing);
    let written = match (&args.out, &args.append_to, &sheet) {
        (Some(out), _, _) => {
            workbook::write_new(out, &found.proposals, args.force).map(|()| Some(out))
        }
        (None, Some(book), Some(sheet)) => {
            workbook::append(book, sheet, &found.proposals).map(|()| Some(book))
        }
        _ => Ok(None),
    };
    let written = match written {
        Ok(w) => w,
        Err(e) => return error(exit::FAILED, e),
    };
    match args.output {
        Output::Json => println!("{}", render_json(name, &found, written)),
        Output::Text => print!("{}", render_text(&found, written)),
    }
    exit::OK
}

/// The proposals as one JSON document.
pub fn render_json(source: &str, found: &Discovery, written: Option<&PathBuf>) -> String {
    let doc = serde_json::json!({
        "source": source,
        "written": written.map(|w| w.display().to_string()),
        "proposals": found.proposals,
        "skipped": found.skipped,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The proposals as a table, the skipped tables, and what was written.
pub fn render_text(found: &Discovery, written: Option<&PathBuf>) -> String {
    let mut out = String::new();
    let w = found
        .proposals
        .iter()
        .map(|p| p.job_id.len())
        .max()
        .unwrap_or(6)
        .max(6);
    out.push_str(&format!(
        "{:<w$}  {:<11}  {:<10}  notes\n",
        "job_id", "load_type", "rows"
    ));
    for p in &found.proposals {
        let rows = p.rows_estimate.map_or("?".to_string(), |r| r.to_string());
        out.push_str(&format!(
            "{:<w$}  {:<11}  {:<10}  {}\n",
            p.job_id,
            p.load_type.to_string(),
            rows,
            p.notes
        ));
    }
    for s in &found.skipped {
        let table = match &s.schema {
            Some(schema) => format!("{schema}.{}", s.table),
            None => s.table.clone(),
        };
        out.push_str(&format!("skipped {table}: {}\n", s.reason));
    }
    let n = found.proposals.len();
    out.push_str(&match written {
        Some(path) => format!(
            "{n} rows written to {} (enabled = N: review each row, then set enabled = Y)\n",
            path.display()
        ),
        None => format!(
            "{n} rows proposed; nothing written (use --out FILE.xlsx or --append-to WORKBOOK)\n"
        ),
    });
    out
}
