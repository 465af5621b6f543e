//! Writing proposals: a new workbook from the `generate-sample` template (`--out`), or rows
//! appended below the existing ones of a workbook (`--append-to`).

use super::propose::{Proposal, Value};
use super::{Existing, folder_key, table_key, xlsx_append};
use crate::config::cell;
use crate::config::sample::{self, SHEET};
use crate::config::workbook::{self, Sheet};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a workbook could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `--out` exists and `--force` was not given.
    #[error("{} already exists; nothing was written (use --force to overwrite, or --append-to to add rows)", .0.display())]
    Exists(PathBuf),
    /// The file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The writer failed.
    #[error("cannot build workbook {}: {source}", path.display())]
    Xlsx {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        source: rust_xlsxwriter::XlsxError,
    },
    /// The workbook to append to could not be read.
    #[error(transparent)]
    Read(#[from] workbook::WorkbookError),
    /// The workbook's parts could not be edited.
    #[error("cannot append to {}: {reason}", path.display())]
    Append {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Write `bytes` to `path` through a temporary file beside it, replacing it atomically.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Write a new workbook (the template of `generate-sample`) holding the proposals.
pub fn write_new(path: &Path, proposals: &[Proposal], force: bool) -> Result<(), WriteError> {
    if path.exists() && !force {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let bytes = sample::template_bytes(proposals.len() as u32 + 1, |ws| {
        for (i, p) in proposals.iter().enumerate() {
            let r = i as u32 + 1;
            for (name, v) in p.cells() {
                let Some(c) = sample::column_index(name) else {
                    continue;
                };
                match v {
                    Value::Text(t) => ws.write_string(r, c, t)?,
                    Value::Number(n) => ws.write_number(r, c, n as f64)?,
                };
            }
        }
        Ok(())
    })
    .map_err(|source| WriteError::Xlsx {
        path: path.to_path_buf(),
        source,
    })?;
    write_atomic(path, &bytes)
}

fn text(sheet_row: &workbook::Row, key: &str) -> Option<String> {
    sheet_row
        .cells
        .get(key)
        .and_then(|c| cell::text(&c.value).ok().flatten())
        .filter(|s| !s.trim().is_empty())
}

/// The jobs, tables and folders already in a workbook's rows (any row, valid or not).
pub fn existing(sheet: &Sheet) -> Existing {
    let mut e = Existing::default();
    for row in &sheet.rows {
        if let Some(id) = text(row, "job_id") {
            e.job_ids.insert(id.trim().to_ascii_lowercase());
        }
        let source = text(row, "source_name").unwrap_or_default();
        if let Some(table) = text(row, "table_name") {
            e.tables.push(table_key(
                &source,
                text(row, "schema_name").as_deref(),
                &table,
            ));
        }
        let folder = text(row, "target_folder_path").unwrap_or_default();
        let table = text(row, "table_name")
            .or_else(|| text(row, "job_id"))
            .unwrap_or_default();
        let dest = text(row, "destination")
            .unwrap_or_else(|| crate::config::job::DEFAULT_DESTINATION.into());
        let container = text(row, "target_container").unwrap_or_default();
        e.folders
            .insert(folder_key(&dest, &container, &folder, &source, &table));
    }
    e
}

/// Read the workbook to append to.
pub fn read(path: &Path) -> Result<Sheet, WriteError> {
    Ok(workbook::load(path)?)
}

/// Append the proposals below the last row of `sheet` (read from `path`), in its own column
/// order; columns its header lacks are added at the right of the header.
pub fn append(path: &Path, sheet: &Sheet, proposals: &[Proposal]) -> Result<(), WriteError> {
    if proposals.is_empty() {
        return Ok(());
    }
    let fail = |reason: String| WriteError::Append {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut columns: BTreeMap<&str, u32> = BTreeMap::new();
    let mut header = Vec::new();
    let mut next = sheet.next_column();
    for p in proposals {
        for (name, _) in p.cells() {
            if columns.contains_key(name) {
                continue;
            }
            let c = match sheet.column_of(name) {
                Some(c) => c,
                None => {
                    header.push((next, name.to_string()));
                    next += 1;
                    next - 1
                }
            };
            columns.insert(name, c);
        }
    }
    let rows: Vec<BTreeMap<u32, Value>> = proposals
        .iter()
        .map(|p| {
            p.cells()
                .into_iter()
                .filter_map(|(k, v)| columns.get(k).map(|c| (*c, v)))
                .collect()
        })
        .collect();
    let last = sheet.rows.last().map_or(sheet.header_row, |r| r.row);
    let name = if sheet.name.is_empty() {
        SHEET
    } else {
        sheet.name.as_str()
    };
    let edited = xlsx_append::rewrite_sheet(&bytes, name, |xml| {
        xlsx_append::edit_sheet(xml, sheet.header_row, &header, last + 1, &rows)
    })
    .map_err(fail)?;
    write_atomic(path, &edited)
}
