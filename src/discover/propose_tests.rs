use super::*;
use crate::discover::catalog::{ColumnInfo, Kind, TableInfo};

fn col(name: &str, ty: &str, nullable: bool, pk: Option<u32>, identity: bool) -> ColumnInfo {
    ColumnInfo {
        name: name.into(),
        data_type: ty.into(),
        nullable,
        pk_position: pk,
        identity,
    }
}

fn table(name: &str, rows: Option<u64>, columns: Vec<ColumnInfo>) -> TableInfo {
    TableInfo {
        schema: Some("dbo".into()),
        name: name.into(),
        kind: Kind::Table,
        rows,
        columns,
    }
}

#[test]
fn names_are_quoted_when_the_database_would_fold_or_cannot_read_them_plain() {
    assert_eq!(
        workbook_name(Dialect::Postgres, "orders").unwrap(),
        "orders"
    );
    assert_eq!(
        workbook_name(Dialect::Postgres, "Orders").unwrap(),
        "\"Orders\""
    );
    assert_eq!(
        workbook_name(Dialect::Postgres, "order lines").unwrap(),
        "\"order lines\""
    );
    assert_eq!(
        workbook_name(Dialect::Postgres, "o\"q").unwrap(),
        "\"o\"\"q\""
    );
    assert_eq!(
        workbook_name(Dialect::Oracle, "EMPLOYEES").unwrap(),
        "EMPLOYEES"
    );
    assert_eq!(
        workbook_name(Dialect::Oracle, "Employees").unwrap(),
        "\"Employees\""
    );
    assert_eq!(workbook_name(Dialect::MySql, "Orders").unwrap(), "Orders");
    assert_eq!(
        workbook_name(Dialect::MsSql, "Order Details").unwrap(),
        "\"Order Details\""
    );
    assert!(workbook_name(Dialect::Postgres, "bad\u{1}name").is_err());
    for name in ["Orders", "o\"q", "a b", "x]y"] {
        let w = workbook_name(Dialect::Postgres, name).unwrap();
        assert_eq!(
            Dialect::Postgres.quote_ident(&w),
            format!("\"{}\"", name.replace('"', "\"\""))
        );
    }
}

#[test]
fn cursor_kinds_follow_the_source_type_mappings() {
    assert_eq!(
        cursor_kind(Dialect::MsSql, "datetime2"),
        Some(CursorKind::Timestamp)
    );
    assert_eq!(
        cursor_kind(Dialect::MsSql, "timestamp"),
        None,
        "rowversion is binary: no cursor"
    );
    assert_eq!(cursor_kind(Dialect::MsSql, "rowversion"), None);
    assert_eq!(cursor_kind(Dialect::MsSql, "bigint"), Some(CursorKind::Int));
    assert_eq!(
        cursor_kind(Dialect::Oracle, "NUMBER(10,0)"),
        Some(CursorKind::Int)
    );
    assert_eq!(cursor_kind(Dialect::Oracle, "NUMBER(10,2)"), None);
    assert_eq!(cursor_kind(Dialect::Oracle, "NUMBER"), None);
    assert_eq!(
        cursor_kind(Dialect::Oracle, "TIMESTAMP(6)"),
        Some(CursorKind::Timestamp)
    );
    assert_eq!(
        cursor_kind(Dialect::Postgres, "timestamp with time zone"),
        Some(CursorKind::TimestampTz)
    );
    assert_eq!(cursor_kind(Dialect::Postgres, "interval"), None);
    assert_eq!(
        cursor_kind(Dialect::MySql, "datetime(3)"),
        Some(CursorKind::Timestamp)
    );
    assert_eq!(
        cursor_kind(Dialect::MySql, "int(11) unsigned"),
        Some(CursorKind::Int)
    );
    assert_eq!(
        cursor_kind(Dialect::Sqlite, "TIMESTAMP"),
        Some(CursorKind::Timestamp)
    );
}

#[test]
fn a_not_null_modification_timestamp_makes_an_incremental_row() {
    let t = table(
        "Orders",
        Some(2_500_000),
        vec![
            col("OrderID", "int", false, Some(1), true),
            col("CreatedAt", "datetime2", false, None, false),
            col("ModifiedDate", "datetime2", false, None, false),
            col("rv", "timestamp", false, None, false),
        ],
    );
    let p = propose(SourceType::MsSql, "erp", &t).unwrap();
    assert_eq!(p.load_type, crate::config::LoadType::Incremental);
    assert_eq!(p.watermark_column.as_deref(), Some("ModifiedDate"));
    assert_eq!(p.primary_key.as_deref(), Some("OrderID"));
    assert_eq!(p.partition_column.as_deref(), Some("OrderID"));
    assert_eq!((p.parallelism, p.chunk_size), (2, 100_000));
    assert!(
        p.notes.contains("INCREMENTAL on ModifiedDate"),
        "{}",
        p.notes
    );
    assert!(
        p.notes
            .contains("~2500000 rows (catalog estimate): parallelism 2"),
        "{}",
        p.notes
    );
    assert_eq!(p.enabled, "N");
}

#[test]
fn a_nullable_timestamp_falls_back_to_the_identity_key() {
    let t = table(
        "t",
        Some(20_000_000),
        vec![
            col("id", "bigint", false, Some(1), true),
            col("updated_at", "datetime2", true, None, false),
        ],
    );
    let p = propose(SourceType::MsSql, "erp", &t).unwrap();
    assert_eq!(p.watermark_column.as_deref(), Some("id"));
    assert!(p.notes.contains("identity"), "{}", p.notes);
    assert_eq!(p.parallelism, 4);
}

#[test]
fn without_a_cursor_the_row_is_full_and_without_a_partition_column_parallelism_is_1() {
    let mut cols: Vec<ColumnInfo> = (0..60)
        .map(|i| col(&format!("c{i}"), "varchar", true, None, false))
        .collect();
    cols.push(col("code", "varchar", false, Some(1), false));
    let p = propose(
        SourceType::MsSql,
        "erp",
        &table("wide", Some(5_000_000), cols),
    )
    .unwrap();
    assert_eq!(p.load_type, crate::config::LoadType::Full);
    assert_eq!(p.watermark_column, None);
    assert_eq!(p.partition_column, None);
    assert_eq!(p.parallelism, 1);
    assert_eq!(p.chunk_size, 50_000);
    assert!(
        p.notes.contains("FULL: no cursor column") && p.notes.contains("no partition column"),
        "{}",
        p.notes
    );
    assert!(
        p.notes.contains("61 columns: chunk_size 50000"),
        "{}",
        p.notes
    );
}

#[test]
fn oracle_identity_without_precision_is_no_integer_cursor() {
    let t = TableInfo {
        schema: Some("HR".into()),
        name: "T".into(),
        kind: Kind::Table,
        rows: None,
        columns: vec![
            col("ID", "NUMBER", false, Some(1), true),
            col("LAST_MODIFIED", "TIMESTAMP(6)", false, None, false),
        ],
    };
    let p = propose(SourceType::Oracle, "fin", &t).unwrap();
    assert_eq!(p.watermark_column.as_deref(), Some("LAST_MODIFIED"));
    assert_eq!(
        p.partition_column, None,
        "NUMBER without precision loads as a decimal"
    );
    assert!(p.notes.contains("row estimate unknown"), "{}", p.notes);
}

#[test]
fn job_ids_are_valid_and_unique_ignoring_case() {
    let mut taken = HashSet::from(["pg_public_orders".to_string()]);
    assert_eq!(
        job_id(&["pg", "public", "Orders"], &mut taken),
        "pg_public_Orders_2"
    );
    assert_eq!(
        job_id(&["pg", "public", "ORDERS"], &mut taken),
        "pg_public_ORDERS_3"
    );
    assert_eq!(
        job_id(&["pg", "public", "order \"lines\""], &mut taken),
        "pg_public_order__lines_"
    );
    let long = "x".repeat(300);
    let id = job_id(&[".s", &long], &mut taken);
    assert!(crate::config::rules::job_id(&id).is_ok(), "{id}");
}
