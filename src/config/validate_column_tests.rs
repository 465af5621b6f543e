//! One test per column rule of a row: ids, source, table or query, load type, target,
//! watermark, keys, chunking.

use super::*;
use calamine::{CellErrorType, Data, ExcelDateTime, ExcelDateTimeType};

#[test]
fn job_id_rules() {
    assert_eq!(
        one(&[("job_id", Data::Empty)]),
        ["SourceConfig!A2 job_id required"]
    );
    assert_eq!(
        one(&[("job_id", s("   "))]),
        ["SourceConfig!A2 job_id required"]
    );
    assert_eq!(
        one(&[("job_id", s("a b"))]),
        ["SourceConfig!A2 job_id ` ` is not allowed in a job_id"]
    );
    assert_eq!(
        one(&[("job_id", s(".."))]),
        ["SourceConfig!A2 job_id must not start with `.`"]
    );
    assert_eq!(
        one(&[("job_id", s(&"x".repeat(129)))]),
        ["SourceConfig!A2 job_id is longer than 128 characters"]
    );
    // A number typed as a job id is its text.
    assert_eq!(
        check(&[row(&[("job_id", Data::Float(2024.0))])]).jobs[0].job_id,
        "2024"
    );
}

#[test]
fn duplicate_job_ids_are_reported_at_the_later_cell() {
    let other = |id| row(&[("job_id", s(id)), ("table_name", s("other"))]);
    let v = check(&[row(&[]), other("other"), row(&[]), other("OTHER")]);
    assert_eq!(
        lines(&v),
        [
            "SourceConfig!A4 job_id duplicate job_id, first used in row 2 (SourceConfig!A2)",
            "SourceConfig!A5 job_id duplicate job_id (ignoring case), first used in row 3 \
             (SourceConfig!A3)",
        ]
    );
    assert_eq!(v.jobs.iter().map(|j| j.row).collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn source_type_rules() {
    assert_eq!(
        one(&[("source_type", Data::Empty)]),
        ["SourceConfig!B2 source_type required"]
    );
    assert_eq!(
        one(&[("source_type", s("DB2"))]),
        ["SourceConfig!B2 source_type `DB2` is not a source_type"]
    );
    // An API row needs an endpoint and an API section (`demo` is SQLite).
    assert_eq!(
        one(&[("source_type", s("api"))]),
        [
            "SourceConfig!C2 source_name [sources.demo] is a SQLite source, not API",
            "SourceConfig!S2 api_endpoint required when source_type = API"
        ]
    );
    // An API row with api_* values and no table: no warning about the api_* columns.
    assert_eq!(
        one(&[
            ("source_type", s("API")),
            ("table_name", Data::Empty),
            ("api_endpoint", s("/v1/orders"))
        ]),
        ["SourceConfig!C2 source_name [sources.demo] is a SQLite source, not API"]
    );
    let v = check(&[row(&[
        ("source_type", s(" postgres ")),
        ("enabled", s("N")),
    ])]);
    assert_eq!(lines(&v), Vec::<String>::new());
    assert_eq!(v.jobs[0].source_type, SourceType::PostgreSql);
}

#[test]
fn source_name_and_schema_rules() {
    assert_eq!(
        one(&[("source_name", Data::Empty)]),
        ["SourceConfig!C2 source_name required"]
    );
    let disabled = |t: &str| one(&[("source_type", s(t)), ("enabled", s("n"))]);
    assert_eq!(
        disabled("MSSQL"),
        ["SourceConfig!D2 schema_name required when source_type = MSSQL"]
    );
    assert_eq!(
        disabled("oracle"),
        ["SourceConfig!D2 schema_name required when source_type = Oracle"]
    );
    assert_eq!(
        one(&[("schema_name", s("dbo; drop table x"))]),
        ["SourceConfig!D2 schema_name `dbo; drop table x` is not a plain or quoted name"]
    );
}

#[test]
fn table_name_and_source_query_rules() {
    assert_eq!(
        one(&[("table_name", Data::Empty)]),
        ["SourceConfig!E2 table_name required unless source_query is given"]
    );
    let v = check(&[row(&[
        ("table_name", Data::Empty),
        ("source_query", s("select 1 as x;")),
    ])]);
    assert_eq!(lines(&v), Vec::<String>::new());
    assert_eq!(v.jobs[0].source_query.as_deref(), Some("select 1 as x"));
    assert_eq!(
        one(&[("source_query", s("DELETE FROM t"))]),
        ["SourceConfig!F2 source_query must start with SELECT or WITH"]
    );
    assert_eq!(
        one(&[("table_name", s("dbo.orders"))]),
        ["SourceConfig!E2 table_name `dbo.orders` is not a plain or quoted name"]
    );
    assert!(one(&[("table_name", s("[Order Details]"))]).is_empty());
}

#[test]
fn load_type_and_enabled_rules() {
    assert_eq!(
        one(&[("load_type", Data::Empty)]),
        ["SourceConfig!G2 load_type required"]
    );
    assert_eq!(
        one(&[("load_type", s("delta"))]),
        ["SourceConfig!G2 load_type `delta` is not a load_type"]
    );
    assert_eq!(
        one(&[("enabled", Data::Empty)]),
        ["SourceConfig!H2 enabled required"]
    );
    assert_eq!(
        one(&[("enabled", s("maybe"))]),
        ["SourceConfig!H2 enabled must be Y or N"]
    );
    let v = check(&[row(&[
        ("enabled", Data::Bool(false)),
        ("load_type", s("full")),
    ])]);
    assert!(!v.jobs[0].enabled);
}

#[test]
fn target_container_rules_depend_on_the_destination() {
    assert_eq!(
        one(&[("target_container", Data::Empty)]),
        ["SourceConfig!I2 target_container required"]
    );
    assert_eq!(
        one(&[("target_container", s("a/b"))]),
        ["SourceConfig!I2 target_container `a/b` is not a single safe folder name"]
    );
    assert!(one(&[("target_container", s("Raw_Data"))]).is_empty());
    assert_eq!(
        one(&[
            ("target_container", s("Raw_Data")),
            ("destination", s("lake"))
        ]),
        ["SourceConfig!I2 target_container `Raw_Data` is not a valid Azure container name"]
    );
    assert!(
        one(&[
            ("target_container", s("raw-data")),
            ("destination", s("LAKE"))
        ])
        .is_empty()
    );
}

#[test]
fn target_folder_path_rules() {
    let msg = |p: &str| one(&[("target_folder_path", s(p))]);
    assert_eq!(
        msg("/abs"),
        ["SourceConfig!J2 target_folder_path must be a relative path (no leading / or \\)"]
    );
    assert_eq!(
        msg("C:\\data"),
        ["SourceConfig!J2 target_folder_path must be a relative path (no drive letter)"]
    );
    assert_eq!(
        msg("a\\..\\b"),
        ["SourceConfig!J2 target_folder_path must not contain a `..` segment"]
    );
    assert_eq!(
        one(&[("target_folder_path", Data::Empty)]),
        ["SourceConfig!J2 target_folder_path required"]
    );
    let v = check(&[row(&[("target_folder_path", s("sales\\eu\\"))])]);
    assert_eq!(v.jobs[0].target_folder_path, "sales/eu");
}

#[test]
fn watermark_rules() {
    assert_eq!(
        one(&[("load_type", s("INCREMENTAL"))]),
        ["SourceConfig!K2 watermark_column required when load_type = INCREMENTAL"]
    );
    let inc = |wm: Data| {
        one(&[
            ("load_type", s("incremental")),
            ("watermark_column", s("id")),
            ("last_watermark", wm),
        ])
    };
    assert!(inc(Data::Float(12345.0)).is_empty());
    assert_eq!(
        inc(s("yesterday")),
        ["SourceConfig!L2 last_watermark `yesterday` is not a number, date or timestamp"]
    );
    assert_eq!(inc(Data::Float(3.25)).len(), 1);
    assert_eq!(
        inc(Data::Error(CellErrorType::NA)),
        ["SourceConfig!L2 last_watermark cell holds the Excel error #N/A"]
    );
    let date = Data::DateTime(ExcelDateTime::new(
        45306.0,
        ExcelDateTimeType::DateTime,
        false,
    ));
    let v = check(&[row(&[
        ("load_type", s("INCREMENTAL")),
        ("watermark_column", s("updated_at")),
        ("last_watermark", date),
    ])]);
    assert_eq!(v.jobs[0].last_watermark.as_deref(), Some("2024-01-15"));
    assert_eq!(
        one(&[("watermark_column", s("updated at"))]),
        ["SourceConfig!K2 watermark_column `updated at` is not a plain or quoted name"]
    );
}

#[test]
fn primary_key_and_partition_column_rules() {
    let v = check(&[row(&[("primary_key", s(" id , \"Line No\" "))])]);
    assert_eq!(v.jobs[0].primary_key, ["id", "\"Line No\""]);
    assert_eq!(
        one(&[("primary_key", s("id, line no"))]),
        ["SourceConfig!M2 primary_key `line no` is not a plain or quoted name"]
    );
    assert_eq!(
        one(&[("primary_key", s("a,,b"))]),
        ["SourceConfig!M2 primary_key has an empty name in the list"]
    );
    assert_eq!(
        one(&[("partition_column", s("id)--"))]),
        ["SourceConfig!N2 partition_column `id)--` is not a plain or quoted name"]
    );
}

#[test]
fn chunk_size_and_parallelism_rules() {
    assert_eq!(
        one(&[("chunk_size", Data::Float(3.25))]),
        ["SourceConfig!P2 chunk_size must be a whole number"]
    );
    assert_eq!(
        one(&[("chunk_size", Data::Float(0.0))]),
        ["SourceConfig!P2 chunk_size must be between 1 and 10000000"]
    );
    assert_eq!(
        one(&[("chunk_size", Data::Float(20_000_000.0))]),
        ["SourceConfig!P2 chunk_size must be between 1 and 10000000"]
    );
    assert_eq!(
        one(&[("chunk_size", Data::Error(CellErrorType::Value))]),
        ["SourceConfig!P2 chunk_size cell holds the Excel error #VALUE!"]
    );
    assert_eq!(
        one(&[("parallelism", Data::Float(65.0))]),
        ["SourceConfig!Q2 parallelism must be between 1 and 64"]
    );
    let v = check(&[row(&[
        ("chunk_size", s("50000")),
        ("parallelism", Data::Float(64.0)),
    ])]);
    assert_eq!((v.jobs[0].chunk_size, v.jobs[0].parallelism), (50_000, 64));
}
