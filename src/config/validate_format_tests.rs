//! `target_format` and `write_disposition`: defaults, accepted combinations, refused ones
//! reported at their cell (V = target_format, W = write_disposition).

use super::*;
use crate::config::job::{TargetFormat, WriteDisposition};

fn incremental(extra: &[(&str, Data)]) -> Vec<String> {
    let mut cells = vec![
        ("load_type", s("INCREMENTAL")),
        ("watermark_column", s("updated_at")),
    ];
    cells.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    one(&cells)
}

#[test]
fn empty_cells_default_to_parquet_and_the_load_types_disposition() {
    let v = check(&[row(&[])]);
    assert_eq!(v.jobs[0].target_format, TargetFormat::Parquet);
    assert_eq!(v.jobs[0].write_disposition, WriteDisposition::Replace);
    let v = check(&[row(&[
        ("load_type", s("INCREMENTAL")),
        ("watermark_column", s("updated_at")),
        ("target_format", s(" Delta ")),
    ])]);
    assert_eq!(lines(&v), Vec::<String>::new());
    assert_eq!(v.jobs[0].target_format, TargetFormat::Delta);
    assert_eq!(v.jobs[0].write_disposition, WriteDisposition::Append);
}

#[test]
fn accepted_combinations() {
    assert!(one(&[("write_disposition", s("REPLACE"))]).is_empty());
    assert!(
        one(&[
            ("target_format", s("delta")),
            ("write_disposition", s("replace"))
        ])
        .is_empty()
    );
    assert!(incremental(&[("write_disposition", s("append"))]).is_empty());
    let merge = [
        ("target_format", s("delta")),
        ("write_disposition", s("merge")),
        ("primary_key", s("order_id")),
    ];
    assert!(incremental(&merge).is_empty());
    let v = check(&[row(&[
        ("load_type", s("INCREMENTAL")),
        ("watermark_column", s("updated_at")),
        ("target_format", s("delta")),
        ("write_disposition", s("Merge")),
        ("primary_key", s("order_id")),
    ])]);
    assert_eq!(v.jobs[0].write_disposition, WriteDisposition::Merge);
}

#[test]
fn unknown_values_are_refused_at_their_cell() {
    assert_eq!(
        one(&[("target_format", s("iceberg"))]),
        ["SourceConfig!Y2 target_format `iceberg` is not a target_format"]
    );
    assert_eq!(
        one(&[("write_disposition", s("upsert"))]),
        ["SourceConfig!Z2 write_disposition `upsert` is not a write_disposition"]
    );
    assert!(
        check(&[row(&[("target_format", s("csv"))])])
            .jobs
            .is_empty()
    );
}

#[test]
fn impossible_combinations_are_refused_at_the_write_disposition_cell() {
    assert_eq!(
        one(&[("write_disposition", s("append"))]),
        [
            "SourceConfig!Z2 write_disposition `append` does not go with load_type = FULL, which replaces the table"
        ]
    );
    assert_eq!(
        one(&[
            ("target_format", s("delta")),
            ("write_disposition", s("merge")),
            ("primary_key", s("id"))
        ]),
        [
            "SourceConfig!Z2 write_disposition `merge` does not go with load_type = FULL, which replaces the table"
        ]
    );
    assert_eq!(
        incremental(&[("write_disposition", s("replace"))]),
        ["SourceConfig!Z2 write_disposition `replace` does not go with load_type = INCREMENTAL"]
    );
    assert_eq!(
        incremental(&[("write_disposition", s("merge")), ("primary_key", s("id"))]),
        ["SourceConfig!Z2 write_disposition `merge` needs target_format = delta"]
    );
    assert_eq!(
        incremental(&[
            ("target_format", s("delta")),
            ("write_disposition", s("merge"))
        ]),
        ["SourceConfig!Z2 write_disposition `merge` needs a primary_key to match rows by"]
    );
    let refused = check(&[row(&[("write_disposition", s("append"))])]);
    assert!(refused.jobs.is_empty() && refused.has_errors());
}
