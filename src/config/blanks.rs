//! Cells that read as empty although the sheet shows something: formulas saved without a
//! result (files written by a program rather than Excel), and the covered parts of merged cells.

use crate::config::cell;
use crate::config::issue::{Issue, Location};
use crate::config::rules::shown;
use crate::config::workbook::Sheet;
use calamine::{Dimensions, Range};

/// Why a job cell reads as empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blank {
    /// A formula whose result was never saved; already reported as an error.
    Formula,
    /// Covered by a merged range whose value lives only in its first cell.
    Merged {
        /// The merged range, e.g. `B2:B4`.
        range: String,
        /// Its first cell, e.g. `B2`.
        first: String,
    },
}

impl Blank {
    /// The words added to a problem found at this cell, if any.
    pub fn explain(&self) -> Option<String> {
        match self {
            Blank::Formula => None,
            Blank::Merged { range, first } => Some(format!(
                " (the cell is inside merged cells {range}; only {first} holds a value)"
            )),
        }
    }
}

/// `B2`-style address of 0-based row and column.
fn a1(row: u32, col: u32) -> String {
    format!("{}{}", Location::column_letters(col), row + 1)
}

/// Record the empty job cells covered by merged ranges, and report every job cell holding a
/// formula without a saved result (its value cannot be known without Excel computing it).
pub fn annotate(sheet: &mut Sheet, formulas: Option<&Range<String>>, merged: &[Dimensions]) {
    let known: Vec<(u32, &'static str)> = sheet
        .columns
        .iter()
        .filter_map(|c| Some((c.index, c.key?)))
        .collect();
    let empty = |sheet: &Sheet, i: usize, key: &str| {
        sheet.rows[i]
            .cells
            .get(key)
            .is_none_or(|c| matches!(cell::text(&c.value), Ok(None)))
    };
    for d in merged {
        let (first_row, last_row) = (d.start.0 + 1, d.end.0 + 1);
        let lo = sheet.rows.partition_point(|r| r.row < first_row);
        let hi = sheet.rows.partition_point(|r| r.row <= last_row);
        for &(col, key) in known
            .iter()
            .filter(|(c, _)| (d.start.1..=d.end.1).contains(c))
        {
            for i in lo..hi {
                let row = sheet.rows[i].row;
                if (row - 1, col) != d.start && empty(sheet, i, key) {
                    let blank = Blank::Merged {
                        range: format!("{}:{}", a1(d.start.0, d.start.1), a1(d.end.0, d.end.1)),
                        first: a1(d.start.0, d.start.1),
                    };
                    sheet.blanks.insert((row, col), blank);
                }
            }
        }
    }
    let Some(formulas) = formulas else { return };
    let Some((row0, col0)) = formulas.start() else {
        return;
    };
    for (r, c, f) in formulas.used_cells() {
        let (row, col) = (row0 + r as u32 + 1, col0 + c as u32);
        let Some(&(_, key)) = known.iter().find(|(k, _)| *k == col) else {
            continue;
        };
        let Ok(i) = sheet.rows.binary_search_by_key(&row, |r| r.row) else {
            continue;
        };
        if f.trim().is_empty() || !empty(sheet, i, key) {
            continue;
        }
        let formula = shown(f.trim_start_matches('='));
        sheet.issues.push(
            Issue::error(
                sheet.cell(row, col),
                key,
                format!("holds a formula without a saved result (`={formula}`)"),
            )
            .with_hint("open the workbook in Excel and save it, so the result is stored"),
        );
        sheet.blanks.insert((row, col), Blank::Formula);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::workbook::read_range;
    use calamine::Data;

    fn sheet() -> Sheet {
        let mut range = Range::new((0, 0), (3, 1));
        for (c, h) in ["job_id", "source_type"].iter().enumerate() {
            range.set_value((0, c as u32), Data::String(h.to_string()));
        }
        range.set_value((1, 0), Data::String("a".into()));
        range.set_value((1, 1), Data::String("SQLite".into()));
        range.set_value((2, 0), Data::String("b".into()));
        range.set_value((3, 0), Data::String("c".into()));
        read_range("SourceConfig", &range).unwrap()
    }

    #[test]
    fn merged_cells_mark_the_covered_empty_cells_only() {
        let mut s = sheet();
        let merged = [Dimensions {
            start: (1, 1),
            end: (3, 1),
        }];
        annotate(&mut s, None, &merged);
        assert!(
            !s.blanks.contains_key(&(2, 1)),
            "the first cell holds the value"
        );
        let want = Blank::Merged {
            range: "B2:B4".into(),
            first: "B2".into(),
        };
        assert_eq!(s.blanks.get(&(3, 1)), Some(&want));
        assert_eq!(s.blanks.get(&(4, 1)), Some(&want));
        assert_eq!(s.blanks.len(), 2);
    }

    #[test]
    fn a_formula_without_result_is_an_error_at_its_cell() {
        let mut s = sheet();
        let mut formulas = Range::new((0, 0), (3, 1));
        formulas.set_value((2, 1), "\"Post\"&\"greSQL\"".to_string());
        formulas.set_value((1, 1), "\"SQ\"&\"Lite\"".to_string()); // has a result: fine
        annotate(&mut s, Some(&formulas), &[]);
        assert_eq!(s.issues.len(), 1, "{:?}", s.issues);
        assert_eq!(s.issues[0].at.to_string(), "SourceConfig!B3");
        assert!(
            s.issues[0]
                .message
                .contains("formula without a saved result")
        );
        assert_eq!(s.blanks.get(&(3, 1)), Some(&Blank::Formula));
    }

    #[test]
    fn a_huge_merged_range_costs_only_the_job_cells() {
        let mut s = sheet();
        let merged = [Dimensions {
            start: (0, 0),
            end: (1_048_575, 16_383),
        }];
        annotate(&mut s, None, &merged);
        let keys: Vec<_> = s.blanks.keys().copied().collect();
        assert_eq!(keys, [(3, 1), (4, 1)], "only the empty job cells");
    }
}
