//! Malformed workbooks, part 2: sheets, headers, merged cells, size, unicode and broken files.

use crate::malformed_support::V::{N, S};
use crate::malformed_support::{
    Case, book, case, check_all, col, good_bytes, one, put, raw, rezip, save, text_cell, write_jobs,
};
use rust_xlsxwriter::{Format, Workbook};
use std::path::{Path, PathBuf};

/// A workbook whose only job sheet is named `name`, with a bad chunk_size in row 3.
fn sheet_named(dir: &Path, name: &str) -> PathBuf {
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("Notes").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name(name).unwrap();
    write_jobs(ws, 0, 0, 3);
    put(ws, 3, "chunk_size", S("lots"));
    save(dir, wb)
}

/// The good workbook with header cell `c` (0-based column) replaced.
fn header(dir: &Path, c: u16, text: &str, bad_row3: Option<(&str, &'static str)>) -> PathBuf {
    save(
        dir,
        book(|ws| {
            ws.write_string(0, c, text).unwrap();
            if let Some((column, v)) = bad_row3 {
                put(ws, 3, column, S(v));
            }
        }),
    )
}

/// `n` good rows with a bad chunk_size at Excel row 9876 and a duplicate id at row 5000.
fn big(dir: &Path, n: u32) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("SourceConfig").unwrap();
    write_jobs(ws, 0, 0, n);
    put(ws, 9876, "chunk_size", S("x"));
    put(ws, 5000, "job_id", S("j17"));
    save(dir, wb)
}

/// The good workbook's bytes with every occurrence of `from` replaced by `to` (same length).
fn patched(dir: &Path, from: &str, to: &str) -> PathBuf {
    assert_eq!(from.len(), to.len());
    let mut bytes = good_bytes(dir);
    let (from, to) = (from.as_bytes(), to.as_bytes());
    let mut i = 0;
    let mut hits = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            hits += 1;
        }
        i += 1;
    }
    assert!(hits > 0, "nothing patched");
    raw(dir, "ingestion_config.xlsx", &bytes)
}

/// A 1 MB text.
fn mega(unit: &str) -> String {
    unit.repeat((1 << 20) / unit.len())
}

/// Sheets, headers and layout.
#[rustfmt::skip]
pub(crate) const LAYOUT: &[Case] = &[
    case("no_sourceconfig_sheet", |d| {
            let mut wb = Workbook::new();
            wb.add_worksheet().set_name("Jobs").unwrap();
            wb.add_worksheet().set_name("Notes").unwrap();
            save(d, wb)
        },
        "ingestion_config.xlsx", "has no sheet `SourceConfig` (it has: Jobs, Notes)"),
    case("sheet_name_lower_case_is_read", |d| sheet_named(d, "sourceconfig"),
        "sourceconfig!L3  chunk_size", "must be a whole number"),
    case("sheet_name_with_spaces_is_read", |d| sheet_named(d, " SourceConfig "),
        " SourceConfig !L3  chunk_size", "must be a whole number"),
    case("hidden_sheet_is_read", |d| {
            let mut wb = Workbook::new();
            wb.add_worksheet().set_name("Front").unwrap();
            let ws = wb.add_worksheet();
            ws.set_name("SourceConfig").unwrap().set_hidden(true);
            write_jobs(ws, 0, 0, 3);
            put(ws, 4, "parallelism", N(0.0));
            save(d, wb)
        },
        "SourceConfig!M4  parallelism", "must be between 1 and 64"),
    case("empty_sheet", |d| {
            let mut wb = Workbook::new();
            wb.add_worksheet().set_name("SourceConfig").unwrap();
            save(d, wb)
        },
        "ingestion_config.xlsx", "is empty: it needs a header row"),
    case("blank_header_row_data_taken_as_header", |d| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("SourceConfig").unwrap();
            write_jobs(ws, 0, 0, 3);
            for c in 0..14 {
                ws.write_string(0, c, " ").unwrap();
            }
            save(d, wb)
        },
        "SourceConfig!O2  job_id", "required column missing"),
    case("missing_required_column", |d| header(d, col("enabled"), "enabld", None),
        "SourceConfig!O1  enabled", "required column missing"),
    case("only_one_column", |d| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("SourceConfig").unwrap();
            ws.write_string(0, 0, "job_id").unwrap();
            ws.write_string(1, 0, "a").unwrap();
            save(d, wb)
        },
        "SourceConfig!G1  target_folder_path", "required column missing"),
    case("duplicate_header", |d| header(d, 14, "Chunk Size", None),
        "SourceConfig!O1  chunk_size", "duplicate column, already in SourceConfig!L1"),
    case("odd_header_spacing_and_case_is_read", |d|
            header(d, col("chunk_size"), "  CHUNK _Size ", Some(("chunk_size", "many"))),
        "SourceConfig!L3  chunk_size", "must be a whole number"),
    case("bom_in_header_is_ignored", |d|
            header(d, 0, "\u{feff}job_id", Some(("job_id", "a/b"))),
        "SourceConfig!A3  job_id", "`/` is not allowed in a job_id"),
    case("error_cell_as_header", |d| save(d, book(|ws| {
            put(ws, 1, "enabled", crate::malformed_support::V::F("=NA()", Some("#N/A")));
        })),
        "SourceConfig!O1  enabled", "required column missing"),
    case("data_starts_at_c5", |d| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("SourceConfig").unwrap();
            ws.write_string(0, 0, "Jobs of the sales team").unwrap();
            write_jobs(ws, 4, 2, 3);
            ws.write_string(6, 2 + col("chunk_size"), "lots").unwrap();
            save(d, wb)
        },
        "SourceConfig!N7  chunk_size", "must be a whole number"),
    case("hidden_row_is_still_a_job", |d| save(d, book(|ws| {
            ws.set_row_hidden(2).unwrap();
            put(ws, 3, "enabled", S("maybe"));
        })),
        "SourceConfig!G3  enabled", "must be Y or N"),
    case("protected_sheet_is_read", |d| save(d, book(|ws| {
            ws.protect_with_password("pw");
            put(ws, 3, "enabled", S("maybe"));
        })),
        "SourceConfig!G3  enabled", "must be Y or N"),
    case("merged_cells_down_job_rows", |d| save(d, book(|ws| {
            ws.merge_range(1, col("source_type"), 3, col("source_type"), "SQLite", &Format::new())
                .unwrap();
        })),
        "SourceConfig!B3  source_type", "merged"),
    case("merged_cells_across_columns", |d| save(d, book(|ws| {
            let (h, i) = (col("target_container"), col("target_folder_path"));
            ws.merge_range(2, h, 2, i, "raw", &Format::new()).unwrap();
        })),
        "SourceConfig!I3  target_folder_path", "merged"),
    case("ten_thousand_rows_bad_deep_inside", |d| big(d, 10_000),
        "SourceConfig!L9876  chunk_size", "must be a whole number"),
    case("ten_thousand_rows_duplicate_deep_inside", |d| big(d, 10_000),
        "SourceConfig!A5000  job_id", "first used in row 18 (SourceConfig!A18)"),
];

/// Unicode, control characters and 1 MB values.
#[rustfmt::skip]
pub(crate) const TEXT: &[Case] = &[
    case("job_id_emoji", |d| one(d, 3, "job_id", S("sales_📈")),
        "SourceConfig!A3  job_id", "`📈` is not allowed in a job_id"),
    case("job_id_rtl_override", |d| one(d, 3, "job_id", S("abc\u{202e}txt")),
        "SourceConfig!A3  job_id", "`\\u{202e}` is not allowed in a job_id"),
    case("job_id_combining_mark", |d| one(d, 3, "job_id", S("cafe\u{301}")),
        "SourceConfig!A3  job_id", "`\\u{301}` is not allowed in a job_id"),
    case("job_id_nul", |d| one(d, 3, "job_id", S("a\0b")),
        "SourceConfig!A3  job_id", "`\\0` is not allowed in a job_id"),
    case("job_id_tab_inside", |d| one(d, 3, "job_id", S("a\tb")),
        "SourceConfig!A3  job_id", "`\\t` is not allowed in a job_id"),
    case("table_name_emoji", |d| one(d, 3, "table_name", S("📈")),
        "SourceConfig!E3  table_name", "`📈` is not a plain or quoted name"),
    case("table_name_control_char_in_quotes", |d| one(d, 3, "table_name", S("\"a\u{7}b\"")),
        "SourceConfig!E3  table_name", "`\"a\\u{7}b\"` is not a plain or quoted name"),
    case("folder_control_char", |d| one(d, 3, "target_folder_path", S("a\u{1b}[31m")),
        "SourceConfig!I3  target_folder_path", "must not contain control characters"),
    case("mega_table_name_is_shortened", |d| text_cell(d, 3, "table_name", &mega("a b ")),
        "SourceConfig!E3  table_name", "… (1048575 characters)` is not a plain or quoted name"),
    case("mega_valid_name_is_too_long", |d| text_cell(d, 3, "table_name", &mega("a")),
        "SourceConfig!E3  table_name", "is longer than 128 characters"),
    case("mega_load_type_is_shortened", |d| text_cell(d, 3, "load_type", &mega("FULL ")),
        "SourceConfig!F3  load_type", "characters)` is not a load_type"),
    case("mega_header_is_shortened", |d| rezip(d, |ws| {
            ws.write_string(0, 14, "HEADER-MARK").unwrap();
            put(ws, 3, "enabled", S("maybe"));
        }, "xl/sharedStrings.xml", |x| x.replace("HEADER-MARK", &mega("col "))),
        "SourceConfig!O1", "unknown column"),
];

/// Files that are not workbooks, or broken ones.
#[rustfmt::skip]
pub(crate) const FILES: &[Case] = &[
    case("zero_bytes", |d| raw(d, "ingestion_config.xlsx", b""),
        "ingestion_config.xlsx", "the file is empty"),
    case("truncated_zip", |d| {
            let b = good_bytes(d);
            raw(d, "ingestion_config.xlsx", &b[..b.len() / 2])
        },
        "ingestion_config.xlsx", "is corrupt"),
    case("zip_without_workbook_part", |d| patched(d, "xl/workbook.xml", "xl/workbooX.xml"),
        "ingestion_config.xlsx", "is corrupt"),
    case("zip_without_sheet_part", |d| patched(d, "worksheets/sheet1.xml", "worksheets/sheetX.xml"),
        "ingestion_config.xlsx", "is corrupt"),
    case("ole_magic_with_xlsx_name", |d| {
            raw(d, "ingestion_config.xlsx", &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0])
        },
        "ingestion_config.xlsx", "an old .xls file or a password-protected workbook"),
    case("password_protected_workbook", |d| {
            let mut b = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
            b.extend(vec![0u8; 504]);
            b.extend("EncryptionInfo".encode_utf16().flat_map(u16::to_le_bytes));
            b.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
            raw(d, "ingestion_config.xlsx", &b)
        },
        "ingestion_config.xlsx", "save it as .xlsx without a password"),
    case("xls_extension", |d| raw(d, "ingestion_config.xls", b"\xD0\xCF\x11\xE0"),
        "ingestion_config.xls", "an old .xls file: open it in Excel and save it as .xlsx"),
    case("csv_named_xlsx", |d| raw(d, "ingestion_config.xlsx", b"job_id,source_type\na,SQLite\n"),
        "ingestion_config.xlsx", "the content is not a zip-based Excel file"),
    case("utf8_bom_csv_named_xlsx", |d| raw(d, "ingestion_config.xlsx", b"\xEF\xBB\xBFjob_id\n"),
        "ingestion_config.xlsx", "the content is not a zip-based Excel file"),
    case("folder_named_xlsx", |d| {
            std::fs::create_dir(d.join("ingestion_config.xlsx")).unwrap();
            d.join("ingestion_config.xlsx")
        },
        "ingestion_config.xlsx", "cannot be read"),
];

#[test]
fn layout_problems_are_named_by_cell() {
    check_all(LAYOUT);
}

#[test]
fn odd_text_is_refused_and_shown_safely() {
    check_all(TEXT);
}

#[test]
fn broken_files_name_the_file() {
    check_all(FILES);
}
