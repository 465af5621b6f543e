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

impl Issue {
    /// An error at a location.
    pub fn error(at: Location, column: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            severity: Severity::Error,
            at,
            column: column.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at a location.
    pub fn warning(at: Location, column: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            severity: Severity::Warning,
            ..Issue::error(at, column, message)
        }
    }

    /// The same issue with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Issue {
        self.hint = Some(hint.into());
        self
    }
}

/// Sort issues for printing: workbook cells by sheet, row, then column (a whole-row issue after
/// the cells of its row), then file locations; errors before warnings at the same place.
/// The sort is stable, so issues at the same place keep the order they were found in.
pub fn sort(issues: &mut [Issue]) {
    fn key(i: &Issue) -> (u8, &str, u32, u32, &str, Severity) {
        match &i.at {
            Location::Cell { sheet, row, col } => (0, sheet, *row, *col, "", i.severity),
            Location::Row { sheet, row } => (0, sheet, *row, u32::MAX, "", i.severity),
            Location::File { path, key } => (1, path, 0, 0, key, i.severity),
        }
    }
    issues.sort_by(|a, b| key(a).cmp(&key(b)));
}

/// `N errors, M warnings` with correct singulars.
fn counts(issues: &[Issue]) -> String {
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = issues.len() - errors;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Render issues for a terminal: `Sheet!F7  column  message` (warnings as `warning: message`),
/// a hint on the next line as `    hint: …`, then a final `N errors, M warnings` line.
/// An empty list renders as an empty string.
pub fn render_text(issues: &[Issue]) -> String {
    let mut out = String::new();
    for issue in issues {
        out.push_str(&issue.at.to_string());
        if !issue.column.is_empty() {
            out.push_str("  ");
            out.push_str(&issue.column);
        }
        out.push_str("  ");
        if issue.severity == Severity::Warning {
            out.push_str("warning: ");
        }
        out.push_str(&issue.message);
        out.push('\n');
        if let Some(hint) = &issue.hint {
            out.push_str("    hint: ");
            out.push_str(hint);
            out.push('\n');
        }
    }
    if !issues.is_empty() {
        out.push_str(&counts(issues));
        out.push('\n');
    }
    out
}

/// Render issues as a JSON array of `{severity, location, column, message, hint?}` objects,
/// `location` being the rendered address (`SourceConfig!F7`).
pub fn render_json(issues: &[Issue]) -> String {
    let items: Vec<serde_json::Value> = issues
        .iter()
        .map(|i| {
            let mut o = serde_json::json!({
                "severity": i.severity,
                "location": i.at.to_string(),
                "column": i.column,
                "message": i.message,
            });
            if let (Some(hint), Some(map)) = (&i.hint, o.as_object_mut()) {
                map.insert("hint".to_string(), serde_json::Value::from(hint.as_str()));
            }
            o
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(row: u32, col: u32) -> Location {
        Location::Cell {
            sheet: "SourceConfig".into(),
            row,
            col,
        }
    }

    #[test]
    fn column_letters_cover_multi_letter_columns() {
        assert_eq!(Location::column_letters(0), "A");
        assert_eq!(Location::column_letters(25), "Z");
        assert_eq!(Location::column_letters(26), "AA");
        assert_eq!(Location::column_letters(701), "ZZ");
        assert_eq!(Location::column_letters(702), "AAA");
    }

    #[test]
    fn text_renders_errors_warnings_hints_and_counts() {
        let issues = vec![
            Issue::error(
                cell(7, 5),
                "watermark_column",
                "required when load_type = INCREMENTAL",
            )
            .with_hint("name the cursor column"),
            Issue::warning(cell(1, 21), "colour", "unknown column, ignored"),
            Issue::error(
                Location::File {
                    path: "secrets.toml".into(),
                    key: String::new(),
                },
                "",
                "cannot be read",
            ),
        ];
        assert_eq!(
            render_text(&issues),
            "SourceConfig!F7  watermark_column  required when load_type = INCREMENTAL\n\
             \x20   hint: name the cursor column\n\
             SourceConfig!V1  colour  warning: unknown column, ignored\n\
             secrets.toml  cannot be read\n\
             2 errors, 1 warning\n"
        );
        assert_eq!(render_text(&[]), "");
    }

    #[test]
    fn json_has_one_object_per_issue_with_optional_hint() {
        let issues = vec![
            Issue::error(cell(3, 10), "chunk_size", "must be a whole number")
                .with_hint("e.g. 50000"),
            Issue::warning(
                Location::Row {
                    sheet: "SourceConfig".into(),
                    row: 4,
                },
                "",
                "odd",
            ),
        ];
        let v: serde_json::Value = serde_json::from_str(&render_json(&issues)).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"severity": "error", "location": "SourceConfig!K3", "column": "chunk_size",
                 "message": "must be a whole number", "hint": "e.g. 50000"},
                {"severity": "warning", "location": "SourceConfig!4", "column": "",
                 "message": "odd"}
            ])
        );
    }

    #[test]
    fn sort_orders_by_row_then_column_rows_after_cells_files_last() {
        let file = Location::File {
            path: "secrets.toml".into(),
            key: "a".into(),
        };
        let mut issues = vec![
            Issue::error(file.clone(), "", "f"),
            Issue::warning(cell(3, 0), "", "w"),
            Issue::error(
                Location::Row {
                    sheet: "SourceConfig".into(),
                    row: 2,
                },
                "",
                "r",
            ),
            Issue::error(cell(3, 0), "", "e"),
            Issue::error(cell(2, 4), "", "c"),
            Issue::error(cell(10, 0), "", "late"),
        ];
        sort(&mut issues);
        let order: Vec<&str> = issues.iter().map(|i| i.message.as_str()).collect();
        assert_eq!(order, ["c", "r", "e", "w", "late", "f"]);
    }
}
