//! Files that cannot be loaded: missing, not xlsx, corrupt, no sheet, empty sheet.

use super::*;

fn err(path: &Path) -> String {
    load(path).expect_err("load must fail").to_string()
}

#[test]
fn missing_sheet_lists_the_sheets() {
    let d = tmp();
    let p = write(
        &d,
        "m.xlsx",
        &[("Jobs", header_at(0, 0, &keys())), ("Other", vec![])],
    );
    assert_eq!(
        err(&p),
        format!(
            "workbook {} has no sheet `SourceConfig` (it has: Jobs, Other)",
            p.display()
        )
    );
}

#[test]
fn empty_sheet() {
    let d = tmp();
    let p = write(&d, "e.xlsx", &[("SourceConfig", vec![(3, 3, V::S("  "))])]);
    assert!(matches!(load(&p), Err(WorkbookError::EmptySheet { .. })));
    assert!(err(&p).contains("is empty"));
}

#[test]
fn files_that_are_not_xlsx() {
    let d = tmp();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.xlsx", b"", "the file is empty"),
        (
            "random.xlsx",
            &[0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3],
            "not a zip-based Excel file",
        ),
        (
            "old.xlsx",
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "password-protected",
        ),
        ("jobs.csv", b"job_id,source_type\na,SQLite\n", "a .csv file"),
        ("jobs.xls", b"whatever", "old .xls file"),
    ];
    for (name, bytes, detail) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = err(&p);
        assert!(
            e.starts_with(&format!("{} is not an Excel .xlsx workbook (", p.display())),
            "{e}"
        );
        assert!(e.contains(detail), "{e}");
    }
}

#[test]
fn corrupt_zip_and_missing_file() {
    let d = tmp();
    let p = d.path().join("broken.xlsx");
    std::fs::write(&p, b"PK\x03\x04 this is not really a zip archive at all").unwrap();
    assert!(
        matches!(load(&p), Err(WorkbookError::Corrupt { .. })),
        "{}",
        err(&p)
    );
    let missing = d.path().join("nope.xlsx");
    assert_eq!(
        err(&missing),
        format!("workbook {} does not exist", missing.display())
    );
    assert!(matches!(
        load(d.path()),
        Err(WorkbookError::Unreadable { .. } | WorkbookError::NotXlsx { .. })
    ));
}

#[test]
fn truncated_real_workbook_never_panics() {
    let d = tmp();
    let p = book(&d, &[job_at(1, 0, "a", &[])]);
    let bytes = std::fs::read(&p).unwrap();
    for cut in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 10] {
        let q = d.path().join(format!("cut{cut}.xlsx"));
        std::fs::write(&q, &bytes[..cut]).unwrap();
        assert!(load(&q).is_err(), "cut at {cut}");
    }
}

#[test]
fn column_keys_normalise_case_spaces_and_underscores() {
    assert_eq!(column_key("Job ID"), Some("job_id"));
    assert_eq!(column_key(" JOBID "), Some("job_id"));
    assert_eq!(column_key("job__id"), Some("job_id"));
    assert_eq!(column_key("Last Watermark"), Some("last_watermark"));
    assert_eq!(column_key("owner"), None);
    assert_eq!(column_key(" _ "), None);
}
