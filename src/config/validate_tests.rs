//! Validation tests, on sheets built in memory (header in row 1, columns A..W in
//! the order of `COLUMNS`: job_id A, source_type B, … destination R, api_endpoint S,
//! target_format V, write_disposition W).

use super::*;
use crate::config::job::COLUMNS;
use crate::config::secrets::{DestinationSecret, SourceSecret};
use crate::config::workbook::read_range;
use calamine::{Data, Range};

fn s(v: &str) -> Data {
    Data::String(v.to_string())
}

/// A valid enabled SQLite row, with some cells replaced (`Data::Empty` clears one).
fn row(overrides: &[(&str, Data)]) -> Vec<(&'static str, Data)> {
    let mut cells: Vec<(&'static str, Data)> = COLUMNS
        .iter()
        .map(|(k, _)| {
            let v = match *k {
                "job_id" => s("orders"),
                "source_type" => s("SQLite"),
                "source_name" => s("demo"),
                "table_name" => s("orders"),
                "load_type" => s("FULL"),
                "enabled" => s("Y"),
                "target_container" => s("raw"),
                "target_folder_path" => s("sales"),
                "destination" => s("output"),
                _ => Data::Empty,
            };
            (*k, v)
        })
        .collect();
    for (k, v) in overrides {
        let slot = cells
            .iter_mut()
            .find(|(c, _)| c == k)
            .expect("known column");
        slot.1 = v.clone();
    }
    cells
}

/// A sheet with the given header keys and rows (each row lists values for those keys).
fn sheet_with(header: &[&str], rows: &[Vec<(&'static str, Data)>]) -> Sheet {
    let mut range: Range<Data> = Range::new((0, 0), (rows.len() as u32, header.len() as u32 - 1));
    for (c, h) in header.iter().enumerate() {
        range.set_value((0, c as u32), s(h));
    }
    for (r, cells) in rows.iter().enumerate() {
        for (k, v) in cells {
            if let Some(c) = header.iter().position(|h| h == k) {
                range.set_value((r as u32 + 1, c as u32), v.clone());
            }
        }
    }
    read_range("SourceConfig", &range).expect("non-empty sheet")
}

fn all_columns() -> Vec<&'static str> {
    COLUMNS.iter().map(|(k, _)| *k).collect()
}

fn secrets() -> Secrets {
    let mut s = Secrets {
        file: "config/secrets.toml".into(),
        ..Secrets::default()
    };
    let sqlite = |p: &str| SourceSecret {
        kind: Some("sqlite".into()),
        path: Some(p.into()),
        ..SourceSecret::default()
    };
    s.sources.insert("demo".into(), sqlite("demo.sqlite"));
    s.sources.insert("pg_wrong".into(), sqlite("x.sqlite"));
    let host_only = SourceSecret {
        host: Some("db".into()),
        ..SourceSecret::default()
    };
    s.sources.insert("mysql".into(), host_only);
    s.destinations.insert(
        "output".into(),
        DestinationSecret {
            path: Some("output".into()),
            ..DestinationSecret::default()
        },
    );
    s.destinations.insert(
        "lake".into(),
        DestinationSecret {
            storage_account_name: Some("acct".into()),
            ..DestinationSecret::default()
        },
    );
    s
}

fn check(rows: &[Vec<(&'static str, Data)>]) -> Validation {
    validate(&sheet_with(&all_columns(), rows), &secrets())
}

/// `Sheet!A1 column message` for every issue, warnings prefixed.
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

/// Validate one row with overrides and return its issue lines.
fn one(overrides: &[(&str, Data)]) -> Vec<String> {
    lines(&check(&[row(overrides)]))
}

#[test]
fn a_valid_row_gives_a_job_with_defaults() {
    let v = check(&[row(&[])]);
    assert_eq!(lines(&v), Vec::<String>::new());
    assert!(!v.has_errors());
    let job = &v.jobs[0];
    assert_eq!(job.job_id, "orders");
    assert_eq!(job.row, 2);
    assert_eq!(job.source_type, SourceType::Sqlite);
    assert_eq!(job.load_type, LoadType::Full);
    assert!(job.enabled);
    assert_eq!(job.chunk_size, 100_000);
    assert_eq!(job.parallelism, 1);
    assert_eq!(job.destination, "output");
    assert_eq!(job.primary_key, Vec::<String>::new());
}

#[path = "validate_column_tests.rs"]
mod column;

#[path = "validate_sheet_tests.rs"]
mod sheet;

#[path = "validate_folder_tests.rs"]
mod folder;

#[path = "validate_deps_tests.rs"]
mod deps;

#[path = "validate_format_tests.rs"]
mod format;
#[path = "validate_vars_tests.rs"]
mod vars;
