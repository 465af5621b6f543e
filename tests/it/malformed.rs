//! Malformed workbooks, part 1: wrong values in typed cells, one bad cell per case.
//!
//! The good workbook has jobs j1..j3 in rows 2–4; columns (see `HEADER`): A job_id,
//! B source_type, C source_name, D schema_name, E table_name, F load_type, G enabled,
//! H target_container, I target_folder_path, J watermark_column, K primary_key, L chunk_size,
//! M parallelism, N destination. Layout cases are in `malformed_layout.rs`, secrets cases in
//! `malformed_secrets.rs`.

use crate::malformed_support::V::{B, D, F, N, S};
use crate::malformed_support::{Case, book, case, check_all, one, put, rezip, save};

/// Wrong types and out-of-range numbers in the typed columns.
#[rustfmt::skip]
pub(crate) const TYPED: &[Case] = &[
    case("chunk_size_text", |d| one(d, 3, "chunk_size", S("lots")),
        "SourceConfig!L3  chunk_size", "must be a whole number"),
    case("chunk_size_negative", |d| one(d, 3, "chunk_size", N(-5.0)),
        "SourceConfig!L3  chunk_size", "must be between 1 and 10000000"),
    case("chunk_size_zero", |d| one(d, 4, "chunk_size", N(0.0)),
        "SourceConfig!L4  chunk_size", "must be between 1 and 10000000"),
    case("chunk_size_fraction", |d| one(d, 2, "chunk_size", N(2.5)),
        "SourceConfig!L2  chunk_size", "must be a whole number"),
    case("chunk_size_huge", |d| one(d, 3, "chunk_size", N(1e12)),
        "SourceConfig!L3  chunk_size", "must be between 1 and 10000000"),
    case("chunk_size_beyond_i64", |d| one(d, 3, "chunk_size", N(1e300)),
        "SourceConfig!L3  chunk_size", "must be a whole number"),
    case("chunk_size_exponent_text", |d| one(d, 3, "chunk_size", S("5e9")),
        "SourceConfig!L3  chunk_size", "must be between 1 and 10000000"),
    case("chunk_size_boolean", |d| one(d, 3, "chunk_size", B(true)),
        "SourceConfig!L3  chunk_size", "must be a whole number"),
    case("chunk_size_date", |d| one(d, 3, "chunk_size", D(2024, 1, 15)),
        "SourceConfig!L3  chunk_size", "must be a whole number"),
    case("parallelism_zero", |d| one(d, 3, "parallelism", N(0.0)),
        "SourceConfig!M3  parallelism", "must be between 1 and 64"),
    case("parallelism_too_many", |d| one(d, 3, "parallelism", N(65.0)),
        "SourceConfig!M3  parallelism", "must be between 1 and 64"),
    case("parallelism_word", |d| one(d, 3, "parallelism", S("two")),
        "SourceConfig!M3  parallelism", "must be a whole number"),
    case("parallelism_fraction_text", |d| one(d, 3, "parallelism", S("1.5")),
        "SourceConfig!M3  parallelism", "must be a whole number"),
    case("enabled_maybe", |d| one(d, 3, "enabled", S("maybe")),
        "SourceConfig!G3  enabled", "must be Y or N"),
    case("enabled_two", |d| one(d, 3, "enabled", N(2.0)),
        "SourceConfig!G3  enabled", "must be Y or N"),
    case("enabled_date", |d| one(d, 3, "enabled", D(2024, 1, 15)),
        "SourceConfig!G3  enabled", "must be Y or N"),
    case("load_type_unknown", |d| one(d, 3, "load_type", S("DELTA")),
        "SourceConfig!F3  load_type", "`DELTA` is not a load_type"),
    case("load_type_number", |d| one(d, 3, "load_type", N(1.0)),
        "SourceConfig!F3  load_type", "`1` is not a load_type"),
    case("load_type_boolean", |d| one(d, 3, "load_type", B(true)),
        "SourceConfig!F3  load_type", "`true` is not a load_type"),
    case("load_type_date", |d| one(d, 3, "load_type", D(2024, 1, 15)),
        "SourceConfig!F3  load_type", "`2024-01-15` is not a load_type"),
    // Lower and mixed case are understood: the INCREMENTAL rule fires on the watermark cell.
    case("load_type_lower_case_is_read", |d| one(d, 3, "load_type", S("incremental")),
        "SourceConfig!J3  watermark_column", "required when load_type = INCREMENTAL"),
    case("load_type_mixed_case_is_read", |d| one(d, 4, "load_type", S(" InCrEmEnTaL ")),
        "SourceConfig!J4  watermark_column", "required when load_type = INCREMENTAL"),
    case("source_type_date", |d| one(d, 3, "source_type", D(2024, 1, 15)),
        "SourceConfig!B3  source_type", "`2024-01-15` is not a source_type"),
    case("source_type_api", |d| one(d, 3, "source_type", S("API")),
        "SourceConfig!C3  source_name", "[sources.demo] is a SQLite source, not API"),
    // A numeric job_id is accepted as its text: 123 and "123" are the same id.
    case("job_id_number_equals_text", |d| save(d, book(|ws| {
            put(ws, 3, "job_id", N(123.0));
            put(ws, 4, "job_id", S("123"));
        })),
        "SourceConfig!A4  job_id", "duplicate job_id, first used in row 3 (SourceConfig!A3)"),
    case("job_id_duplicate", |d| one(d, 4, "job_id", S("j1")),
        "SourceConfig!A4  job_id", "duplicate job_id, first used in row 2 (SourceConfig!A2)"),
    case("job_id_duplicate_ignoring_case", |d| one(d, 4, "job_id", S("J2")),
        "SourceConfig!A4  job_id", "(ignoring case), first used in row 3 (SourceConfig!A3)"),
    case("job_id_blank_text", |d| one(d, 3, "job_id", S("   ")),
        "SourceConfig!A3  job_id", "required"),
    case("table_name_number", |d| one(d, 3, "table_name", N(2024.0)),
        "SourceConfig!E3  table_name", "`2024` is not a plain or quoted name"),
    case("watermark_column_date", |d| save(d, book(|ws| {
            put(ws, 3, "load_type", S("INCREMENTAL"));
            put(ws, 3, "watermark_column", D(2024, 1, 15));
        })),
        "SourceConfig!J3  watermark_column", "`2024-01-15` is not a plain or quoted name"),
    case("incremental_without_watermark", |d| one(d, 2, "load_type", S("INCREMENTAL")),
        "SourceConfig!J2  watermark_column", "required when load_type = INCREMENTAL"),
    case("source_name_boolean", |d| one(d, 3, "source_name", B(true)),
        "SourceConfig!C3  source_name", "no [sources.true] or [sources.sqlite]"),
    case("error_cell_div0", |d| one(d, 3, "chunk_size", F("=1/0", Some("#DIV/0!"))),
        "SourceConfig!L3  chunk_size", "cell holds the Excel error #DIV/0!"),
    case("error_cell_na_in_job_id", |d| one(d, 3, "job_id", F("=NA()", Some("#N/A"))),
        "SourceConfig!A3  job_id", "cell holds the Excel error #N/A"),
    case("error_cell_ref_in_table", |d| one(d, 3, "table_name", F("=#REF!", Some("#REF!"))),
        "SourceConfig!E3  table_name", "cell holds the Excel error #REF!"),
    // Formulas: the cached value is what counts.
    case("formula_cached_bad_value", |d| one(d, 3, "chunk_size", F("=\"x\"&\"y\"", Some("xy"))),
        "SourceConfig!L3  chunk_size", "must be a whole number"),
    case("formula_cached_value_is_used", |d| save(d, book(|ws| {
            put(ws, 3, "chunk_size", F("=2*500", Some("1000")));
            put(ws, 4, "job_id", F("=\"j\"&\"1\"", Some("j1")));
        })),
        "SourceConfig!A4  job_id", "duplicate job_id, first used in row 2"),
    // rust_xlsxwriter saves 0 as the result unless told otherwise: 0 is what the file says.
    case("formula_library_default_result", |d| one(d, 3, "table_name", F("=\"t\"&\"2\"", None)),
        "SourceConfig!E3  table_name", "`0` is not a plain or quoted name"),
    // As openpyxl writes formulas: no <v> at all. The cell must not read as empty.
    case("formula_without_cached_value", |d| rezip(d,
            |ws| put(ws, 3, "chunk_size", F("=1000*5", None)),
            "xl/worksheets/sheet1.xml", |x| x.replace("</f><v>0</v>", "</f>")),
        "SourceConfig!L3  chunk_size", "holds a formula without a saved result (`=1000*5`)"),
    case("formula_without_cached_value_required", |d| rezip(d,
            |ws| put(ws, 4, "job_id", F("=\"j\"&\"4\"", None)),
            "xl/worksheets/sheet1.xml", |x| x.replace("</f><v>0</v>", "</f>")),
        "SourceConfig!A4  job_id", "holds a formula without a saved result"),
];

/// Hostile identifiers and paths that try to leave their folder.
#[rustfmt::skip]
pub(crate) const HOSTILE: &[Case] = &[
    case("table_sql_injection", |d| one(d, 3, "table_name", S("a\"; DROP TABLE x; --")),
        "SourceConfig!E3  table_name", "is not a plain or quoted name"),
    case("table_backtick_unbalanced", |d| one(d, 3, "table_name", S("`a`b`")),
        "SourceConfig!E3  table_name", "is not a plain or quoted name"),
    case("table_bracket_breakout", |d| one(d, 3, "table_name", S("[a]; DROP TABLE x")),
        "SourceConfig!E3  table_name", "is not a plain or quoted name"),
    case("schema_dotted_quoted", |d| one(d, 3, "schema_name", S("\"s\".\"t\"")),
        "SourceConfig!D3  schema_name", "is not a plain or quoted name"),
    case("primary_key_injection", |d| one(d, 3, "primary_key", S("id; DROP TABLE x")),
        "SourceConfig!K3  primary_key", "is not a plain or quoted name"),
    case("primary_key_empty_item", |d| one(d, 3, "primary_key", S("id,,line")),
        "SourceConfig!K3  primary_key", "has an empty name in the list"),
    case("job_id_parent_dir", |d| one(d, 3, "job_id", S("../x")),
        "SourceConfig!A3  job_id", "`/` is not allowed in a job_id"),
    case("job_id_dot_dot", |d| one(d, 3, "job_id", S("..")),
        "SourceConfig!A3  job_id", "must not start with `.`"),
    case("job_id_backslash", |d| one(d, 3, "job_id", S("a\\b")),
        "SourceConfig!A3  job_id", "`\\` is not allowed in a job_id"),
    case("job_id_drive", |d| one(d, 3, "job_id", S("C:x")),
        "SourceConfig!A3  job_id", "`:` is not allowed in a job_id"),
    case("folder_parent", |d| one(d, 3, "target_folder_path", S("../x")),
        "SourceConfig!I3  target_folder_path", "must not contain a `..` segment"),
    case("folder_absolute", |d| one(d, 3, "target_folder_path", S("/abs")),
        "SourceConfig!I3  target_folder_path", "must be a relative path"),
    case("folder_drive", |d| one(d, 3, "target_folder_path", S("C:\\x")),
        "SourceConfig!I3  target_folder_path", "no drive letter"),
    case("folder_climbs_back_out", |d| one(d, 3, "target_folder_path", S("a/../../b")),
        "SourceConfig!I3  target_folder_path", "must not contain a `..` segment"),
    case("folder_dot_dot", |d| one(d, 3, "target_folder_path", S("..")),
        "SourceConfig!I3  target_folder_path", "must not contain a `..` segment"),
    case("folder_unc", |d| one(d, 3, "target_folder_path", S("\\\\server\\share")),
        "SourceConfig!I3  target_folder_path", "must be a relative path"),
    case("folder_backslash_parent", |d| one(d, 3, "target_folder_path", S("a\\..\\..\\b")),
        "SourceConfig!I3  target_folder_path", "must not contain a `..` segment"),
    case("container_parent", |d| one(d, 3, "target_container", S("../x")),
        "SourceConfig!H3  target_container", "is not a single safe folder name"),
    case("container_dot_dot", |d| one(d, 3, "target_container", S("..")),
        "SourceConfig!H3  target_container", "is not a single safe folder name"),
    case("container_backslash", |d| one(d, 3, "target_container", S("a\\b")),
        "SourceConfig!H3  target_container", "is not a single safe folder name"),
    case("container_drive", |d| one(d, 3, "target_container", S("C:")),
        "SourceConfig!H3  target_container", "is not a single safe folder name"),
];

#[test]
fn wrong_types_are_named_by_cell() {
    check_all(TYPED);
}

#[test]
fn hostile_names_and_escaping_paths_are_refused() {
    check_all(HOSTILE);
}

/// The corpus is counted, not estimated: 60 distinct cases at the least (issue #7).
#[test]
fn corpus_has_at_least_sixty_distinct_cases() {
    use crate::{malformed_layout as layout, malformed_secrets as secrets};
    let tables: [&[Case]; 8] = [
        TYPED,
        HOSTILE,
        layout::LAYOUT,
        layout::TEXT,
        layout::FILES,
        secrets::FILE,
        secrets::KEYS,
        secrets::CROSS,
    ];
    let names: std::collections::BTreeSet<&str> = tables
        .iter()
        .flat_map(|t| t.iter().map(|c| c.name))
        .collect();
    let total: usize = tables.iter().map(|t| t.len()).sum();
    assert_eq!(names.len(), total, "case names are unique");
    assert!(total >= 60, "only {total} cases");
    println!("malformed-input corpus: {total} cases");
}
