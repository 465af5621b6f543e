//! Runtime variables in cells: query_filter (O), source_query (F), target_folder_path (J).

use super::*;
use crate::config::vars::{RunVars, VarOptions};

fn vars() -> RunVars {
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T03:15:00Z")
        .unwrap()
        .to_utc();
    let opts = VarOptions {
        now: Some(now),
        timezone: None,
        overrides: vec![
            ("region".into(), "x' OR '1'='1".into()),
            ("part".into(), "a/../b".into()),
        ],
    };
    RunVars::new(&opts, &BTreeMap::new())
}

fn check_vars(rows: &[Vec<(&'static str, Data)>]) -> Validation {
    validate_with(&sheet_with(&all_columns(), rows), &secrets(), &vars())
}

#[test]
fn variables_become_literals_and_folders_and_are_recorded() {
    let v = check_vars(&[row(&[
        (
            "query_filter",
            s("d >= {run_date} AND r = {region} AND n = '{run_date}'"),
        ),
        ("target_folder_path", s("snap/{yyyy}/{mm}/{dd}")),
    ])]);
    assert!(!v.has_errors(), "{:?}", lines(&v));
    let job = &v.jobs[0];
    assert_eq!(
        job.query_filter.as_deref(),
        Some("d >= '2026-12-02' AND r = 'x'' OR ''1''=''1' AND n = '{run_date}'")
    );
    assert_eq!(job.target_folder_path, "snap/2026/12/02");
    let used: Vec<&str> = job.variables.keys().map(String::as_str).collect();
    assert_eq!(used, ["dd", "mm", "region", "run_date", "yyyy"]);
}

#[test]
fn bad_variables_are_errors_at_their_cells() {
    let v = check_vars(&[
        row(&[("query_filter", s("x = {nope}"))]),
        row(&[
            ("job_id", s("inc")),
            ("table_name", s("inc")),
            ("load_type", s("INCREMENTAL")),
            ("watermark_column", s("id")),
            ("target_folder_path", s("daily/{run_date}")),
        ]),
        row(&[
            ("job_id", s("q")),
            ("table_name", Data::Empty),
            ("source_query", s("SELECT * FROM t WHERE r = {regio}")),
            ("target_folder_path", s("s/{part}")),
        ]),
    ]);
    let l = lines(&v);
    assert_eq!(l.len(), 4, "{l:?}");
    assert_eq!(
        l[0],
        "SourceConfig!O2 query_filter unknown variable `{nope}`"
    );
    assert!(
        l[1].starts_with("SourceConfig!J3 target_folder_path an INCREMENTAL job's folder must be stable, but it uses `{run_date}`"),
        "{l:?}"
    );
    assert_eq!(
        l[2],
        "SourceConfig!F4 source_query unknown variable `{regio}`"
    );
    assert!(
        l[3].starts_with(
            "SourceConfig!J4 target_folder_path the value of `{part}` cannot be used in a folder"
        ),
        "{l:?}"
    );
}

#[test]
fn per_day_folders_of_two_jobs_still_collide_when_equal() {
    let v = check_vars(&[
        row(&[("target_folder_path", s("snap/{yyyy}"))]),
        row(&[
            ("job_id", s("other")),
            ("target_folder_path", s("snap/2026")),
        ]),
    ]);
    let l = lines(&v);
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(l[0].contains("same table folder"), "{l:?}");
}

#[test]
fn a_templated_folder_that_meets_a_fixed_one_on_a_later_run_is_refused() {
    let v = check_vars(&[
        row(&[("target_folder_path", s("snap/{yyyy}"))]),
        row(&[
            ("job_id", s("fixed")),
            ("target_folder_path", s("Snap/2031")),
        ]),
        row(&[
            ("job_id", s("deeper")),
            ("target_folder_path", s("snap/2031/x")),
        ]),
        row(&[
            ("job_id", s("mine")),
            ("table_name", s("other")),
            ("target_folder_path", s("snap/{table}/{yyyy}")),
        ]),
    ]);
    let l = lines(&v);
    assert_eq!(
        l,
        vec![
            "SourceConfig!J2 target_folder_path on some runs job `orders`'s folder `snap/{yyyy}` is the table folder of job `fixed` (row 3, SourceConfig!J3): `Snap/2031`"
        ],
        "{l:?}"
    );
}

#[test]
fn table_is_the_name_without_its_quotes() {
    let v = check_vars(&[row(&[
        ("table_name", s("\"Order Details\"")),
        ("query_filter", s("t = {table}")),
    ])]);
    assert!(!v.has_errors(), "{:?}", lines(&v));
    assert_eq!(
        v.jobs[0].query_filter.as_deref(),
        Some("t = 'Order Details'")
    );
}
