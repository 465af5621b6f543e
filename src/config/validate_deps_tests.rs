//! `depends_on` (column W): unknown ids, self-dependencies and cycles are errors naming cells;
//! a disabled dependency is a warning; ids compare ignoring case.

use super::*;

fn job(id: &'static str, deps: &str, more: &[(&'static str, Data)]) -> Vec<(&'static str, Data)> {
    let mut all = vec![
        ("job_id", s(id)),
        ("table_name", s(id)),
        (
            "depends_on",
            if deps.is_empty() {
                Data::Empty
            } else {
                s(deps)
            },
        ),
    ];
    all.extend(more.iter().cloned());
    row(&all)
}

#[test]
fn dependencies_are_read_ignoring_case_and_repeats() {
    let v = check(&[job("a", "", &[]), job("b", " A , a,", &[])]);
    assert!(!v.has_errors(), "{:?}", lines(&v));
    assert_eq!(v.jobs[1].depends_on, vec!["A".to_string()]);
}

#[test]
fn unknown_self_and_bad_ids_are_errors_at_their_cell() {
    let v = check(&[
        job("a", "nope", &[]),
        job("b", "b", &[]),
        job("c", "a b", &[]),
    ]);
    let l = lines(&v);
    assert_eq!(
        l,
        vec![
            "SourceConfig!X2 depends_on `nope` in depends_on is not a job_id of this workbook",
            "SourceConfig!X3 depends_on job `b` depends on itself",
            "SourceConfig!X4 depends_on `a b` in depends_on: ` ` is not allowed in a job_id",
        ],
        "{l:?}"
    );
}

#[test]
fn a_cycle_names_every_cell_in_it() {
    let v = check(&[
        job("a", "c", &[]),
        job("free", "", &[]),
        job("b", "a", &[]),
        job("c", "B", &[]),
        job("d", "c", &[]),
    ]);
    let l = lines(&v);
    assert_eq!(
        l,
        vec![
            "SourceConfig!X2 depends_on dependency cycle: `a` (SourceConfig!X2) → `c` (SourceConfig!X5) → `b` (SourceConfig!X4) → `a`"
        ],
        "{l:?}"
    );
}

#[test]
fn a_dependency_on_a_disabled_job_is_a_warning() {
    let v = check(&[job("a", "", &[("enabled", s("N"))]), job("b", "a", &[])]);
    assert!(!v.has_errors());
    assert_eq!(
        lines(&v),
        vec![
            "SourceConfig!X3 depends_on warning: depends on job `a` (row 2), which is disabled: that dependency counts as met"
        ]
    );
}

#[test]
fn a_dependency_on_a_row_with_errors_is_not_unknown() {
    let v = check(&[
        job("a", "", &[("load_type", s("SOMETIMES"))]),
        job("b", "a", &[]),
    ]);
    let l = lines(&v);
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(l[0].contains("load_type"), "{l:?}");
}
