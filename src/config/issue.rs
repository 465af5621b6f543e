//! A validation problem and where it is: a workbook cell or a key in secrets.toml.

use serde::Serialize;
use std::fmt;

/// How bad a problem is: errors stop the run, warnings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration cannot run.
    Error,
    /// Worth knowing, does not stop anything.
    Warning,
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// A workbook cell, 1-based row, 0-based column index (rendered `Sheet!F7`).
    Cell {
        /// Sheet name.
        sheet: String,
        /// 1-based row number as Excel shows it.
        row: u32,
        /// 0-based column index (A = 0).
        col: u32,
    },
    /// A whole workbook row (rendered `Sheet!7`).
    Row {
        /// Sheet name.
        sheet: String,
        /// 1-based row number.
        row: u32,
    },
    /// A file, optionally a dotted key in it (rendered `secrets.toml:sources.db.port`).
    File {
        /// File name as the user gave it.
        path: String,
        /// Dotted key, empty for the file as a whole.
        key: String,
    },
}

impl Location {
    /// The A1-style column letters of a 0-based column index (0 → A, 26 → AA).
    pub fn column_letters(mut col: u32) -> String {
        let mut out = Vec::new();
        loop {
            out.push(b'A' + (col % 26) as u8);
            if col < 26 {
                break;
            }
            col = col / 26 - 1;
        }
        out.reverse();
        String::from_utf8(out).expect("ASCII letters")
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Cell { sheet, row, col } => {
                write!(f, "{sheet}!{}{row}", Location::column_letters(*col))
            }
            Location::Row { sheet, row } => write!(f, "{sheet}!{row}"),
            Location::File { path, key } if key.is_empty() => write!(f, "{path}"),
            Location::File { path, key } => write!(f, "{path}:{key}"),
        }
    }
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// Where it is.
    pub at: Location,
    /// The workbook column or secrets key concerned (may be empty).
    pub column: String,
    /// What is wrong, one sentence.
    pub message: String,
    /// How to fix it, when that helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}
