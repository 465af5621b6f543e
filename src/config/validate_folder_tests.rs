//! Two jobs may not share a table folder (same destination, container, folder, source, table).

use super::*;

/// Columns: target_folder_path is J (index 9).
fn job(id: &'static str, overrides: &[(&'static str, Data)]) -> Vec<(&'static str, Data)> {
    let mut all = vec![("job_id", s(id))];
    all.extend(overrides.iter().cloned());
    row(&all)
}

#[test]
fn two_jobs_writing_one_table_folder_are_refused_naming_both_cells() {
    let v = check(&[
        job("sales_orders", &[("schema_name", s("sales"))]),
        job("other_table", &[("table_name", s("customers"))]),
        job(
            "archive_orders",
            &[("schema_name", s("archive")), ("enabled", s("N"))],
        ),
    ]);
    assert!(v.has_errors());
    let l = lines(&v);
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(
        l[0].starts_with("SourceConfig!J4 target_folder_path job `archive_orders` writes into the same table folder as job `sales_orders` (row 2, SourceConfig!J2): `sales/demo_orders` in container `raw` of destination `output`"),
        "{l:?}"
    );
    let hint = v.issues[0].hint.as_deref().unwrap_or_default();
    assert!(hint.contains("target_folder_path"), "{hint}");
}

#[test]
fn folders_compare_as_the_layout_normalises_them_ignoring_case() {
    // `./Sales/` is the folder `sales`; `"Orders"` is the table `Orders`; `DEMO` the source.
    let same = [
        ("target_folder_path", s("./Sales/")),
        ("table_name", s("\"Orders\"")),
        ("source_name", s("DEMO")),
        ("target_container", s("RAW")),
    ];
    let v = check(&[job("a", &[]), job("b", &same)]);
    assert_eq!(v.issues.len(), 1, "{:?}", lines(&v));
    assert_eq!(v.issues[0].at.to_string(), "SourceConfig!J3");
    // A source_query job's table is its job id: two of them never collide by table.
    let query = |id| {
        job(
            id,
            &[
                ("table_name", Data::Empty),
                ("source_query", s("SELECT 1 AS x")),
            ],
        )
    };
    assert!(!check(&[query("q1"), query("q2")]).has_errors());
}

#[test]
fn another_folder_container_destination_or_table_is_fine() {
    for other in [
        ("target_folder_path", s("sales/archive")),
        ("target_container", s("raw2")),
        ("table_name", s("orders_archive")),
        ("destination", s("lake")),
    ] {
        let v = check(&[job("a", &[]), job("b", std::slice::from_ref(&other))]);
        assert!(
            !lines(&v).iter().any(|l| l.contains("same table folder")),
            "{other:?}: {:?}",
            lines(&v)
        );
    }
}
