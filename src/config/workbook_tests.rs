//! A corpus of real `.xlsx` files written with rust_xlsxwriter, read back with [`load`] and
//! validated, asserting the exact cells reported.

use super::*;
use crate::config::secrets::{DestinationSecret, SourceSecret};
use crate::config::validate::{Validation, validate};
use crate::config::{Secrets, Severity};
use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Formula, Workbook};
use tempfile::TempDir;

/// A cell value to write.
#[derive(Clone)]
enum V {
    S(&'static str),
    N(f64),
    B(bool),
    Date(NaiveDate),
    Stamp(chrono::NaiveDateTime),
    F(&'static str, &'static str),
}

type Cells = Vec<(u32, u16, V)>;

/// The first 18 columns (job_id … destination), the way the template writes them.
fn keys() -> Vec<&'static str> {
    COLUMNS.iter().take(18).map(|(k, _)| *k).collect()
}

fn header_at(row: u32, col0: u16, names: &[&'static str]) -> Cells {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (row, col0 + i as u16, V::S(n)))
        .collect()
}

/// A valid enabled SQLite job in `row`, columns laid out as [`keys`] from `col0`; each job id
/// its own target folder (two jobs may not share a table folder).
fn job_at(row: u32, col0: u16, id: &'static str, over: &[(&str, V)]) -> Cells {
    let mut vals: Vec<(&str, V)> = vec![
        ("job_id", V::S(id)),
        ("source_type", V::S("SQLite")),
        ("source_name", V::S("demo")),
        ("table_name", V::S("orders")),
        ("load_type", V::S("FULL")),
        ("enabled", V::S("Y")),
        ("target_container", V::S("raw")),
        ("target_folder_path", V::S(id)),
        ("destination", V::S("output")),
    ];
    for (k, v) in over {
        vals.retain(|(c, _)| c != k);
        vals.push((k, v.clone()));
    }
    let keys = keys();
    vals.into_iter()
        .filter_map(|(k, v)| {
            let c = keys.iter().position(|x| *x == k)?;
            Some((row, col0 + c as u16, v))
        })
        .collect()
}

fn write(dir: &TempDir, file: &str, sheets: &[(&str, Cells)]) -> PathBuf {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (name, cells) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, c, v) in cells {
            match v {
                V::S(s) => ws.write_string(*r, *c, *s).map(|_| ()),
                V::N(n) => ws.write_number(*r, *c, *n).map(|_| ()),
                V::B(b) => ws.write_boolean(*r, *c, *b).map(|_| ()),
                V::Date(d) => ws.write_datetime_with_format(*r, *c, d, &date).map(|_| ()),
                V::Stamp(t) => ws.write_datetime_with_format(*r, *c, t, &stamp).map(|_| ()),
                V::F(f, res) => ws
                    .write_formula(*r, *c, Formula::new(*f).set_result(*res))
                    .map(|_| ()),
            }
            .unwrap();
        }
    }
    let path = dir.path().join(file);
    wb.save(&path).unwrap();
    path
}

/// One `SourceConfig` sheet with a header in row 1 and the given jobs.
fn book(dir: &TempDir, jobs: &[Cells]) -> PathBuf {
    let mut cells = header_at(0, 0, &keys());
    for j in jobs {
        cells.extend(j.iter().cloned());
    }
    write(dir, "config.xlsx", &[("SourceConfig", cells)])
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.sources.insert(
        "demo".into(),
        SourceSecret {
            kind: Some("sqlite".into()),
            path: Some("demo.sqlite".into()),
            ..SourceSecret::default()
        },
    );
    s.destinations.insert(
        "output".into(),
        DestinationSecret {
            path: Some("output".into()),
            ..DestinationSecret::default()
        },
    );
    s
}

fn run(path: &Path) -> Validation {
    validate(&load(path).expect("workbook loads"), &secrets())
}

/// `Sheet!A1 column message` per issue (warnings prefixed).
fn lines(v: &Validation) -> Vec<String> {
    v.issues
        .iter()
        .map(|i| {
            let w = if i.severity == Severity::Warning {
                "warning: "
            } else {
                ""
            };
            format!("{} {} {w}{}", i.at, i.column, i.message)
        })
        .collect()
}

fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn minimal_valid_workbook_has_no_issues() {
    let d = tmp();
    let v = run(&book(&d, &[job_at(1, 0, "orders", &[])]));
    assert_eq!(lines(&v), Vec::<String>::new());
    assert_eq!(v.jobs.len(), 1);
    assert_eq!(v.jobs[0].row, 2);
}

#[test]
fn several_independent_mistakes_are_all_reported() {
    let d = tmp();
    let p = book(
        &d,
        &[
            job_at(1, 0, "a", &[("source_type", V::S("Sybase"))]),
            job_at(2, 0, "b", &[]),
            job_at(
                3,
                0,
                "c",
                &[
                    ("target_folder_path", V::S("../up")),
                    ("parallelism", V::N(100.0)),
                ],
            ),
            job_at(4, 0, "d", &[("load_type", V::S("INCREMENTAL"))]),
        ],
    );
    assert_eq!(
        lines(&run(&p)),
        [
            "SourceConfig!B2 source_type `Sybase` is not a source_type",
            "SourceConfig!J4 target_folder_path must not contain a `..` segment",
            "SourceConfig!Q4 parallelism must be between 1 and 64",
            "SourceConfig!K5 watermark_column required when load_type = INCREMENTAL",
        ]
    );
}

#[test]
fn data_not_starting_at_a1_keeps_absolute_addresses() {
    let d = tmp();
    let mut cells = header_at(2, 2, &keys());
    cells.extend(job_at(3, 2, "ok", &[]));
    cells.extend(job_at(4, 2, "bad", &[("chunk_size", V::S("many"))]));
    let p = write(&d, "c3.xlsx", &[("SourceConfig", cells)]);
    let sheet = load(&p).unwrap();
    assert_eq!(sheet.header_row, 3);
    assert_eq!(sheet.columns[0].index, 2);
    let v = validate(&sheet, &secrets());
    // chunk_size is the 16th column: C + 15 = R.
    assert_eq!(
        lines(&v),
        ["SourceConfig!R5 chunk_size must be a whole number"]
    );
    assert_eq!(v.jobs[0].row, 4);
}

#[test]
fn duplicate_job_ids() {
    let d = tmp();
    let p = book(
        &d,
        &[
            job_at(1, 0, "x", &[]),
            job_at(2, 0, "y", &[]),
            job_at(3, 0, "x", &[]),
        ],
    );
    assert_eq!(
        lines(&run(&p)),
        ["SourceConfig!A4 job_id duplicate job_id, first used in row 2 (SourceConfig!A2)"]
    );
}

#[test]
fn fractional_chunk_size() {
    let d = tmp();
    let p = book(&d, &[job_at(1, 0, "x", &[("chunk_size", V::N(3.25))])]);
    assert_eq!(
        lines(&run(&p)),
        ["SourceConfig!P2 chunk_size must be a whole number"]
    );
    let p = book(&d, &[job_at(1, 0, "x", &[("chunk_size", V::N(50000.0))])]);
    assert_eq!(run(&p).jobs[0].chunk_size, 50_000);
}

#[test]
fn date_formatted_last_watermark() {
    let d = tmp();
    let day = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
    let inc = |wm: V| {
        vec![
            ("load_type", V::S("INCREMENTAL")),
            ("watermark_column", V::S("updated_at")),
            ("last_watermark", wm),
        ]
    };
    let p = book(
        &d,
        &[
            job_at(1, 0, "a", &inc(V::Date(day))),
            job_at(
                2,
                0,
                "b",
                &inc(V::Stamp(day.and_hms_opt(8, 30, 5).unwrap())),
            ),
            job_at(3, 0, "c", &inc(V::N(12345.0))),
        ],
    );
    let v = run(&p);
    assert_eq!(lines(&v), Vec::<String>::new());
    let wms: Vec<_> = v
        .jobs
        .iter()
        .map(|j| j.last_watermark.clone().unwrap())
        .collect();
    assert_eq!(wms, ["2024-01-15", "2024-01-15T08:30:05", "12345"]);
}

#[test]
fn boolean_cells_for_enabled() {
    let d = tmp();
    let p = book(
        &d,
        &[
            job_at(1, 0, "a", &[("enabled", V::B(true))]),
            job_at(2, 0, "b", &[("enabled", V::B(false))]),
            job_at(3, 0, "c", &[("enabled", V::N(1.0))]),
            job_at(4, 0, "d", &[("enabled", V::S("sometimes"))]),
        ],
    );
    let v = run(&p);
    assert_eq!(lines(&v), ["SourceConfig!H5 enabled must be Y or N"]);
    assert_eq!(
        v.jobs.iter().map(|j| j.enabled).collect::<Vec<_>>(),
        [true, false, true]
    );
}

#[test]
fn header_variants_are_matched() {
    let d = tmp();
    let mut names = keys();
    names[0] = "Job ID";
    names[1] = "SOURCE_TYPE ";
    names[2] = " Source Name";
    names[9] = "targetFolderPath";
    let mut cells = header_at(0, 0, &names);
    cells.extend(job_at(1, 0, "a", &[]));
    let sheet = load(&write(&d, "h.xlsx", &[("SourceConfig", cells)])).unwrap();
    let keys_found: Vec<_> = sheet.columns.iter().take(3).map(|c| c.key).collect();
    assert_eq!(
        keys_found,
        [Some("job_id"), Some("source_type"), Some("source_name")]
    );
    assert_eq!(sheet.columns[9].key, Some("target_folder_path"));
    assert_eq!(lines(&validate(&sheet, &secrets())), Vec::<String>::new());
}

#[test]
fn unknown_duplicate_and_empty_headers() {
    let d = tmp();
    let mut cells = header_at(0, 0, &keys());
    cells.push((0, 18, V::S("owner")));
    cells.push((0, 19, V::S("Job_ID")));
    cells.extend(job_at(1, 0, "a", &[]));
    cells.push((1, 20, V::S("orphan value")));
    cells.push((1, 19, V::S("ignored")));
    let v = run(&write(&d, "u.xlsx", &[("SourceConfig", cells)]));
    assert_eq!(
        lines(&v),
        [
            "SourceConfig!S1 owner warning: unknown column, ignored",
            "SourceConfig!T1 job_id duplicate column, already in SourceConfig!A1",
            "SourceConfig!U1  warning: column has no header; its values are ignored",
        ]
    );
    assert!(v.has_errors());
}

#[test]
fn blank_rows_in_the_middle_are_skipped() {
    let d = tmp();
    let mut blank = vec![(2, 0, V::S("   "))];
    blank.extend(job_at(4, 0, "late", &[("load_type", V::S("sometimes"))]));
    let p = book(&d, &[job_at(1, 0, "a", &[]), blank]);
    let v = run(&p);
    assert_eq!(
        lines(&v),
        ["SourceConfig!G5 load_type `sometimes` is not a load_type"]
    );
    assert_eq!(
        load(&p)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.row)
            .collect::<Vec<_>>(),
        [2, 5]
    );
}

#[test]
fn formula_cells_use_their_cached_value() {
    let d = tmp();
    let p = book(
        &d,
        &[
            job_at(
                1,
                0,
                "a",
                &[
                    ("table_name", V::F("=LOWER(\"ORDERS\")", "orders")),
                    ("chunk_size", V::F("=1000*50", "50000")),
                ],
            ),
            job_at(2, 0, "b", &[("parallelism", V::F("=NA()", "#N/A"))]),
        ],
    );
    let v = run(&p);
    assert_eq!(
        lines(&v),
        ["SourceConfig!Q3 parallelism cell holds the Excel error #N/A"]
    );
    assert_eq!(v.jobs[0].table_name.as_deref(), Some("orders"));
    assert_eq!(v.jobs[0].chunk_size, 50_000);
}

#[test]
fn sheet_name_is_matched_ignoring_case() {
    let d = tmp();
    let mut cells = header_at(0, 0, &keys());
    cells.extend(job_at(1, 0, "a", &[("job_id", V::S("bad/id"))]));
    let p = write(&d, "s.xlsx", &[("Notes", vec![]), ("sourceconfig", cells)]);
    assert_eq!(
        lines(&run(&p)),
        ["sourceconfig!A2 job_id `/` is not allowed in a job_id"]
    );
}

#[path = "workbook_load_tests.rs"]
mod load;
