//! Any grid of cells, written as a real workbook: loading and validating never panics.
//!
//! Raw bytes rarely get past the zip layer; this target writes arbitrary cell values (text near
//! the real vocabulary, numbers, booleans, formulas, merged ranges) with rust_xlsxwriter so the
//! fuzzer spends its time in the header mapping and the validation rules.
#![no_main]

use arbitrary::Arbitrary;
use ingest::config::job::COLUMNS;
use ingest::config::{harness, secrets, workbook};
use libfuzzer_sys::fuzz_target;
use rust_xlsxwriter::{Formula, Workbook};
use std::path::Path;

/// Values the validator knows, so arbitrary input often means something (column names come
/// from [`COLUMNS`]).
const VALUES: &[&str] = &[
    "PostgreSQL",
    "SQLite",
    "MySQL",
    "SQLServer",
    "Oracle",
    "FULL",
    "INCREMENTAL",
    "Y",
    "N",
    "demo",
    "pg",
    "output",
    "lake",
    "raw",
    "id",
    "updated_at",
    "..",
    "/",
    "a,b",
    "",
    " ",
];

#[derive(Arbitrary, Debug)]
enum Cell {
    Column(u8),
    Word(u8),
    Text(String),
    Number(f64),
    Bool(bool),
    Formula(String, Option<String>),
    Merge(u8, u8, String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    sheet_name: Option<String>,
    start_row: u8,
    start_col: u8,
    rows: Vec<Vec<Cell>>,
    secrets: String,
}

fuzz_target!(|input: Input| {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let name = input.sheet_name.as_deref().unwrap_or(workbook::SHEET_NAME);
    if ws.set_name(name).is_err() {
        return;
    }
    // rust_xlsxwriter 0.102 panics on a merge overlapping an earlier one once an overlap was
    // refused (found by this target): never ask it for an overlapping merge.
    let mut merged = std::collections::HashSet::new();
    for (r, row) in input.rows.iter().take(64).enumerate() {
        for (c, cell) in row.iter().take(24).enumerate() {
            let (r, c) = (
                u32::from(input.start_row % 8) + r as u32,
                u16::from(input.start_col % 8) + c as u16,
            );
            let _ = match cell {
                Cell::Column(w) => ws
                    .write_string(r, c, COLUMNS[usize::from(*w) % COLUMNS.len()].0)
                    .map(|_| ()),
                Cell::Word(w) => ws
                    .write_string(r, c, VALUES[usize::from(*w) % VALUES.len()])
                    .map(|_| ()),
                Cell::Text(t) => ws.write_string(r, c, t).map(|_| ()),
                Cell::Number(n) => ws.write_number(r, c, *n).map(|_| ()),
                Cell::Bool(b) => ws.write_boolean(r, c, *b).map(|_| ()),
                Cell::Formula(f, cached) => {
                    let mut f = Formula::new(f);
                    if let Some(v) = cached {
                        f = f.set_result(v);
                    }
                    ws.write_formula(r, c, f).map(|_| ())
                }
                Cell::Merge(h, w, t) => {
                    let (r2, c2) = (r + u32::from(h % 3), c + u16::from(w % 3));
                    let cells: Vec<(u32, u16)> = (r..=r2)
                        .flat_map(|y| (c..=c2).map(move |x| (y, x)))
                        .collect();
                    if (r, c) == (r2, c2) || cells.iter().any(|p| merged.contains(p)) {
                        continue;
                    }
                    merged.extend(cells);
                    ws.merge_range(r, c, r2, c2, t, &Default::default())
                        .map(|_| ())
                }
            };
        }
    }
    let Ok(bytes) = wb.save_to_buffer() else {
        return;
    };
    let secrets = secrets::parse(Path::new("secrets.toml"), input.secrets.into_bytes(), [])
        .map(|(s, _)| s)
        .unwrap_or_default();
    let _ = harness::workbook(&bytes, &secrets);
});
