//! Reading the workbook: the `SourceConfig` sheet as cells with their absolute addresses.
//!
//! No meaning yet: this module finds the header, maps header names to the canonical column
//! keys of [`COLUMNS`], skips blank rows and keeps every other cell with its position.
//! [`crate::config::validate`] gives the cells their meaning.

use crate::config::blanks::{self, Blank};
use crate::config::issue::{Issue, Location, Severity};
use crate::config::job::COLUMNS;
use calamine::{Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The sheet that holds the jobs.
pub const SHEET_NAME: &str = "SourceConfig";

/// A workbook that cannot be read at all (as opposed to a cell problem, which is an [`Issue`]).
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// The file does not exist.
    #[error("workbook {} does not exist", .path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The file exists but could not be read (permissions, locked by Excel, a folder…).
    #[error("workbook {} cannot be read: {reason}", .path.display())]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// Wrong extension or not an xlsx (zip) file.
    #[error("{} is not an Excel .xlsx workbook ({detail})", .path.display())]
    NotXlsx {
        /// The path given.
        path: PathBuf,
        /// What it looks like instead.
        detail: String,
    },
    /// An xlsx (zip) file whose content calamine cannot read.
    #[error("workbook {} is corrupt: {reason}", .path.display())]
    Corrupt {
        /// The path given.
        path: PathBuf,
        /// The reader's message.
        reason: String,
    },
    /// No `SourceConfig` sheet.
    #[error("workbook {} has no sheet `SourceConfig` (it has: {})", .path.display(), .sheets.join(", "))]
    NoSheet {
        /// The path given.
        path: PathBuf,
        /// The sheets that exist.
        sheets: Vec<String>,
    },
    /// The sheet has no header row.
    #[error("sheet `{sheet}` in {} is empty: it needs a header row with the column names", .path.display())]
    EmptySheet {
        /// The path given.
        path: PathBuf,
        /// The sheet name as written in the workbook.
        sheet: String,
    },
}

/// One header cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// 0-based absolute column index (A = 0).
    pub index: u32,
    /// The header text as written (trimmed).
    pub header: String,
    /// The canonical column name from [`COLUMNS`], if the header is known (and not a duplicate).
    pub key: Option<&'static str>,
}

/// One non-empty cell of a job row.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// 0-based absolute column index.
    pub col: u32,
    /// The value as calamine read it.
    pub value: Data,
}

/// One non-blank row below the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based row number as Excel shows it.
    pub row: u32,
    /// The cells of known columns, keyed by canonical column name; empty cells are absent.
    pub cells: BTreeMap<&'static str, Cell>,
}

/// The `SourceConfig` sheet, read but not yet interpreted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet name as written in the workbook.
    pub name: String,
    /// 1-based row of the header (row 1 unless the sheet starts lower).
    pub header_row: u32,
    /// Every non-empty header cell, left to right.
    pub columns: Vec<Column>,
    /// The non-blank rows below the header, top to bottom.
    pub rows: Vec<Row>,
    /// Header problems (unknown, duplicate or empty headers), and formulas without a result.
    pub issues: Vec<Issue>,
    /// Cells that read as empty for a reason worth telling: keyed by (1-based row, column).
    pub blanks: BTreeMap<(u32, u32), Blank>,
}

impl Sheet {
    /// The absolute column index of a known column, if the header has it.
    pub fn column_of(&self, key: &str) -> Option<u32> {
        self.columns
            .iter()
            .find(|c| c.key == Some(key))
            .map(|c| c.index)
    }

    /// The column just right of the last header cell (where a missing column would go).
    pub fn next_column(&self) -> u32 {
        self.columns.iter().map(|c| c.index + 1).max().unwrap_or(0)
    }

    /// The location of a cell of this sheet.
    pub fn cell(&self, row: u32, col: u32) -> Location {
        Location::Cell {
            sheet: self.name.clone(),
            row,
            col,
        }
    }
}

/// The canonical key of a header: case, spaces, `_`, a byte order mark and zero-width
/// characters are ignored.
pub fn column_key(header: &str) -> Option<&'static str> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| {
                !c.is_whitespace() && !matches!(c, '_' | '\u{feff}' | '\u{200b}'..='\u{200d}')
            })
            .flat_map(char::to_lowercase)
            .collect()
    };
    let want = norm(header);
    if want.is_empty() {
        return None;
    }
    COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| norm(name) == want)
}

/// Load the `SourceConfig` sheet of an `.xlsx` workbook. Never panics, whatever the file holds.
pub fn load(path: &Path) -> Result<Sheet, WorkbookError> {
    let p = || path.to_path_buf();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(WorkbookError::Missing { path: p() });
        }
        Err(e) => {
            return Err(WorkbookError::Unreadable {
                path: p(),
                reason: e.to_string(),
            });
        }
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if ext != "xlsx" {
        let detail = match ext.as_str() {
            "" => "the name has no .xlsx extension".to_string(),
            "xls" => "an old .xls file: open it in Excel and save it as .xlsx".to_string(),
            other => format!("a .{other} file: save it from Excel as .xlsx"),
        };
        return Err(WorkbookError::NotXlsx { path: p(), detail });
    }
    from_bytes(path, bytes)
}

/// Read the `SourceConfig` sheet from the bytes of an `.xlsx` file; `path` names it in
/// messages. Never panics, whatever the bytes.
pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Sheet, WorkbookError> {
    let p = || path.to_path_buf();
    if !bytes.starts_with(b"PK\x03\x04") {
        let detail = if bytes.is_empty() {
            "the file is empty".to_string()
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            "an old .xls file or a password-protected workbook: save it as .xlsx without a password"
                .to_string()
        } else {
            "the content is not a zip-based Excel file".to_string()
        };
        return Err(WorkbookError::NotXlsx { path: p(), detail });
    }
    let corrupt = |e: calamine::XlsxError| WorkbookError::Corrupt {
        path: p(),
        reason: e.to_string(),
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(corrupt)?;
    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return Err(WorkbookError::Corrupt {
            path: p(),
            reason: "it lists no worksheets (xl/workbook.xml is missing or damaged)".to_string(),
        });
    }
    let Some(name) = sheets
        .iter()
        .find(|s| s.as_str() == SHEET_NAME)
        .or_else(|| {
            sheets
                .iter()
                .find(|s| s.trim().eq_ignore_ascii_case(SHEET_NAME))
        })
        .cloned()
    else {
        return Err(WorkbookError::NoSheet { path: p(), sheets });
    };
    let range = book.worksheet_range(&name).map_err(corrupt)?;
    let mut sheet = read_range(&name, &range).ok_or(WorkbookError::EmptySheet {
        path: p(),
        sheet: name.clone(),
    })?;
    // Best effort: a workbook whose formulas or merged cells cannot be listed still loads.
    let formulas = book.worksheet_formula(&name).ok();
    let merged = book.merge_cells_by_sheet_name(&name).unwrap_or_default();
    blanks::annotate(&mut sheet, formulas.as_ref(), &merged);
    Ok(sheet)
}

/// True when a cell holds nothing a person would see as a value.
fn blank(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Interpret a calamine range (which may start anywhere) as header + rows; None when blank.
pub(crate) fn read_range(name: &str, range: &calamine::Range<Data>) -> Option<Sheet> {
    let (row0, col0) = range.start()?;
    let rows: Vec<(u32, &[Data])> = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (row0 + i as u32 + 1, cells))
        .filter(|(_, cells)| !cells.iter().all(blank))
        .collect();
    // The header is the first row naming a known column (a title above it is skipped),
    // else the first non-blank row.
    let known = |cells: &[Data]| {
        cells.iter().any(
            |d| matches!(crate::config::cell::text(d), Ok(Some(t)) if column_key(&t).is_some()),
        )
    };
    let at = rows.iter().position(|(_, c)| known(c)).unwrap_or(0);
    let (header_row, header_cells) = *rows.get(at)?;
    let data = &rows[at + 1..];

    let mut sheet = Sheet {
        name: name.to_string(),
        header_row,
        columns: Vec::new(),
        rows: Vec::new(),
        issues: Vec::new(),
        blanks: BTreeMap::new(),
    };
    let mut first_at: BTreeMap<&'static str, u32> = BTreeMap::new();
    for (i, value) in header_cells.iter().enumerate() {
        let index = col0 + i as u32;
        let at = sheet.cell(header_row, index);
        let header = crate::config::cell::text(value).ok().flatten();
        let Some(header) = header else {
            let used = data
                .iter()
                .any(|(_, cells)| cells.get(i).is_some_and(|d| !blank(d)));
            if used {
                sheet.issues.push(Issue {
                    severity: Severity::Warning,
                    at,
                    column: String::new(),
                    message: "column has no header; its values are ignored".to_string(),
                    hint: Some("write a column name in the header row".to_string()),
                });
            }
            continue;
        };
        let mut key = column_key(&header);
        match key {
            None => sheet.issues.push(Issue {
                severity: Severity::Warning,
                at,
                column: crate::config::rules::shown(&header),
                message: "unknown column, ignored".to_string(),
                hint: Some(
                    "check the spelling; `ingest generate-sample` writes every column".to_string(),
                ),
            }),
            Some(k) => {
                if let Some(first) = first_at.get(k) {
                    sheet.issues.push(Issue {
                        severity: Severity::Error,
                        at,
                        column: k.to_string(),
                        message: format!(
                            "duplicate column, already in {}",
                            sheet.cell(header_row, *first)
                        ),
                        hint: Some("delete or rename one of the two columns".to_string()),
                    });
                    key = None;
                } else {
                    first_at.insert(k, index);
                }
            }
        }
        sheet.columns.push(Column { index, header, key });
    }

    for &(row, cells) in data {
        let mut map = BTreeMap::new();
        for column in &sheet.columns {
            let Some(key) = column.key else { continue };
            let Some(value) = cells.get((column.index - col0) as usize) else {
                continue;
            };
            if *value != Data::Empty {
                map.insert(
                    key,
                    Cell {
                        col: column.index,
                        value: value.clone(),
                    },
                );
            }
        }
        sheet.rows.push(Row { row, cells: map });
    }
    Some(sheet)
}

#[cfg(test)]
#[path = "workbook_tests.rs"]
mod tests;
