//! Reading one workbook row: its cells typed, located and checked, every problem recorded.

use crate::config::blanks::Blank;
use crate::config::cell;
use crate::config::issue::{Issue, Location};
use crate::config::rules::{self, Problem};
use crate::config::secrets::Secrets;
use crate::config::workbook::{Row, Sheet};
use calamine::Data;
use std::collections::BTreeMap;

use super::validate::REQUIRED;

/// Validation state for one row.
pub(super) struct RowCtx<'a> {
    pub(super) sheet: &'a Sheet,
    pub(super) row: &'a Row,
    pub(super) secrets: &'a Secrets,
    /// The run's variables (built-in values and the user's).
    pub(super) vars: &'a crate::config::vars::RunVars,
    pub(super) issues: &'a mut Vec<Issue>,
    pub(super) failed: bool,
    /// Conditionally required columns absent from the header: key → (reason, rows needing it).
    pub(super) needs: &'a mut BTreeMap<&'static str, (&'static str, Vec<u32>)>,
    /// Source sections checked so far, typed for their kind, by section name.
    pub(super) sources: &'a mut BTreeMap<String, crate::source::SourceSettings>,
}

impl RowCtx<'_> {
    /// The cell of `key` in this row (even when empty), or the whole row if the column is absent.
    pub(super) fn at(&self, key: &str) -> Location {
        let col = self
            .row
            .cells
            .get(key)
            .map(|c| c.col)
            .or_else(|| self.sheet.column_of(key));
        match col {
            Some(col) => self.sheet.cell(self.row.row, col),
            None => Location::Row {
                sheet: self.sheet.name.clone(),
                row: self.row.row,
            },
        }
    }

    /// Why the cell of `key` in this row reads as empty, if the sheet knows.
    pub(super) fn blank(&self, key: &str) -> Option<&Blank> {
        match self.at(key) {
            Location::Cell { row, col, .. } => self.sheet.blanks.get(&(row, col)),
            _ => None,
        }
    }

    pub(super) fn error(&mut self, key: &str, p: Problem) {
        self.failed = true;
        let mut message = p.message;
        if let Some(more) = self.blank(key).and_then(Blank::explain) {
            message.push_str(&more);
        }
        let mut issue = Issue::error(self.at(key), key, message);
        issue.hint = p.hint;
        self.issues.push(issue);
    }

    pub(super) fn value(&self, key: &str) -> &Data {
        static EMPTY: Data = Data::Empty;
        self.row.cells.get(key).map_or(&EMPTY, |c| &c.value)
    }

    /// Type a cell; a typing error becomes an issue and `None`.
    pub(super) fn typed<T>(
        &mut self,
        key: &str,
        f: fn(&Data) -> Result<Option<T>, String>,
    ) -> Option<T> {
        match f(self.value(key)) {
            Ok(v) => v,
            Err(m) => {
                self.error(key, Problem::new(m));
                None
            }
        }
    }

    /// True when the cell is absent or holds only blanks (a typing error is not empty).
    pub(super) fn is_empty(&self, key: &str) -> bool {
        matches!(cell::text(self.value(key)), Ok(None))
    }

    pub(super) fn text(&mut self, key: &str) -> Option<String> {
        self.typed(key, cell::text)
    }

    /// A value that must be present when `needed`; `reason` is the "required when" sentence.
    pub(super) fn require<T>(
        &mut self,
        key: &'static str,
        v: Option<T>,
        reason: &'static str,
    ) -> Option<T> {
        if v.is_none() && self.is_empty(key) {
            self.failed = true;
            if self.blank(key) == Some(&Blank::Formula) {
                // Already reported where the sheet was read.
            } else if self.sheet.column_of(key).is_some() {
                self.error(key, Problem::new(reason));
            } else if !REQUIRED.contains(&key) {
                let entry = self.needs.entry(key).or_insert((reason, Vec::new()));
                entry.1.push(self.row.row);
            }
        }
        v
    }

    /// A name checked by [`rules::identifier`].
    pub(super) fn ident(&mut self, key: &str) -> Option<String> {
        let v = self.text(key)?;
        match rules::identifier(&v) {
            Ok(()) => Some(v),
            Err(p) => {
                self.error(key, p);
                None
            }
        }
    }

    /// An integer in `1..=max`, or `default` when empty.
    pub(super) fn count(&mut self, key: &str, max: i64, default: usize) -> usize {
        match self.typed(key, cell::integer) {
            None => default,
            Some(n) if (1..=max).contains(&n) => n as usize,
            Some(_) => {
                self.error(key, Problem::new(format!("must be between 1 and {max}")));
                default
            }
        }
    }
}
