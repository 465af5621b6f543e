//! Whole-sheet validation: secrets resolution, API columns, missing columns, ordering.

use super::*;
use crate::config::job::SchemaChange;

#[test]
fn secrets_are_resolved_for_enabled_jobs_only() {
    assert_eq!(
        one(&[("source_name", s("sales"))]),
        ["SourceConfig!C2 source_name no [sources.sales] or [sources.sqlite] in secrets.toml"]
    );
    assert!(one(&[("source_name", s("sales")), ("enabled", s("N"))]).is_empty());
    assert_eq!(
        one(&[
            ("source_name", s("pg_wrong")),
            ("source_type", s("PostgreSQL"))
        ]),
        ["SourceConfig!C2 source_name [sources.pg_wrong] is a SQLite source, not PostgreSQL"]
    );
    // [sources.mysql] without `type` is a MySQL section by its name.
    assert_eq!(
        one(&[("source_name", s("mysql")), ("source_type", s("postgres"))]),
        ["SourceConfig!C2 source_name [sources.mysql] is a MySQL source, not PostgreSQL"]
    );
    // Fallback to the section named after the type.
    assert!(one(&[("source_name", s("shop")), ("source_type", s("MariaDB"))]).is_empty());
    assert_eq!(
        one(&[("destination", s("nowhere"))]),
        ["SourceConfig!R2 destination no [destinations.nowhere] in secrets.toml"]
    );
    // An empty destination means `adls`, reported at the empty cell.
    assert_eq!(
        one(&[("destination", Data::Empty)]),
        ["SourceConfig!R2 destination no [destinations.adls] in secrets.toml"]
    );
}

#[test]
fn api_columns_on_other_rows_are_warnings() {
    let v = check(&[row(&[
        ("api_endpoint", s("/v1/orders")),
        ("pagination_type", s("page")),
    ])]);
    assert_eq!(
        lines(&v),
        [
            "SourceConfig!S2 api_endpoint warning: only used by the API source; ignored",
            "SourceConfig!U2 pagination_type warning: only used by the API source; ignored",
        ]
    );
    assert_eq!(v.jobs.len(), 1);
    assert!(!v.has_errors());
}

#[test]
fn missing_required_column_is_reported_once_at_the_header() {
    let header = [
        "job_id",
        "source_type",
        "source_name",
        "table_name",
        "load_type",
        "target_container",
        "target_folder_path",
        "destination",
    ];
    let v = validate(
        &sheet_with(&header, &[row(&[]), row(&[("job_id", s("b"))])]),
        &secrets(),
    );
    assert_eq!(
        lines(&v),
        ["SourceConfig!I1 enabled required column missing"]
    );
    assert!(v.jobs.is_empty());
}

#[test]
fn missing_conditional_column_names_the_rows_that_need_it() {
    let header = [
        "job_id",
        "source_type",
        "source_name",
        "table_name",
        "load_type",
        "enabled",
        "target_container",
        "target_folder_path",
        "destination",
    ];
    let rows = [
        row(&[("load_type", s("INCREMENTAL"))]),
        row(&[("job_id", s("b"))]),
        row(&[("job_id", s("c")), ("load_type", s("INCREMENTAL"))]),
    ];
    let v = validate(&sheet_with(&header, &rows), &secrets());
    assert_eq!(
        lines(&v),
        ["SourceConfig!J1 watermark_column required column missing"]
    );
    assert_eq!(
        v.issues[0].hint.as_deref(),
        Some("rows 2, 4 need it (required when load_type = INCREMENTAL)")
    );
    assert_eq!(
        v.jobs.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(),
        ["b"]
    );
}

#[test]
fn every_mistake_in_every_row_is_reported_in_order() {
    let v = check(&[
        row(&[("chunk_size", Data::Float(3.25)), ("job_id", s("bad id"))]),
        row(&[("job_id", s("fine"))]),
        row(&[
            ("job_id", s("inc")),
            ("load_type", s("INCREMENTAL")),
            ("enabled", s("perhaps")),
        ]),
    ]);
    assert_eq!(
        lines(&v),
        [
            "SourceConfig!A2 job_id ` ` is not allowed in a job_id",
            "SourceConfig!P2 chunk_size must be a whole number",
            "SourceConfig!H4 enabled must be Y or N",
            "SourceConfig!K4 watermark_column required when load_type = INCREMENTAL",
        ]
    );
    assert_eq!(
        v.jobs.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(),
        ["fine"]
    );
}

#[test]
fn a_header_only_sheet_warns_that_there_are_no_jobs() {
    let v = check(&[]);
    assert_eq!(
        lines(&v),
        ["SourceConfig!2  warning: no jobs: the sheet has only a header row"]
    );
    assert!(!v.has_errors());
}

#[test]
fn schema_change_is_evolve_by_default_or_fail() {
    let v = check(&[row(&[])]);
    assert_eq!(v.jobs[0].schema_change, SchemaChange::Evolve);
    for (text, want) in [
        ("evolve", SchemaChange::Evolve),
        (" FAIL ", SchemaChange::Fail),
        ("Evolve", SchemaChange::Evolve),
    ] {
        let v = check(&[row(&[("schema_change", s(text))])]);
        assert_eq!(lines(&v), Vec::<String>::new(), "{text}");
        assert_eq!(v.jobs[0].schema_change, want, "{text}");
    }
    assert_eq!(
        one(&[("schema_change", s("ignore"))]),
        ["SourceConfig!V2 schema_change `ignore` is not a schema_change"]
    );
    let v = check(&[row(&[("schema_change", Data::Float(1.0))])]);
    assert!(v.has_errors(), "{:?}", lines(&v));
}
