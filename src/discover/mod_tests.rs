use super::*;
use catalog::{ColumnInfo, Kind};

#[test]
fn globs_match_ignoring_case() {
    assert!(matches("ord*", "Orders"));
    assert!(matches("o?ders", "ORDERS"));
    assert!(matches("x,ord*", "orders"));
    assert!(!matches("ord", "orders"));
    assert!(matches("*", "any thing"));
    assert!(!matches("a*b", "ac"));
}

fn t(schema: &str, name: &str) -> TableInfo {
    TableInfo {
        schema: Some(schema.into()),
        name: name.into(),
        kind: Kind::Table,
        rows: None,
        columns: vec![ColumnInfo {
            name: "id".into(),
            data_type: "integer".into(),
            nullable: false,
            pk_position: Some(1),
            identity: false,
        }],
    }
}

#[test]
fn tables_differing_only_in_case_get_unique_ids_and_folders() {
    let d = discover_rows(
        SourceType::PostgreSql,
        "pg",
        &[t("public", "orders"), t("public", "Orders")],
        &Existing::default(),
    );
    assert_eq!(d.proposals.len(), 2);
    assert_eq!(d.proposals[0].job_id, "pg_public_orders");
    assert_eq!(d.proposals[1].job_id, "pg_public_Orders_2");
    assert_eq!(d.proposals[0].target_folder_path, "pg/public");
    assert_eq!(
        d.proposals[1].target_folder_path,
        "pg/public/pg_public_Orders_2"
    );
    assert_eq!(d.proposals[1].table_name, "\"Orders\"");
}

#[test]
fn tables_already_in_the_workbook_are_skipped_ignoring_case_and_quoting() {
    let mut e = Existing::default();
    e.tables
        .push(table_key("PG", Some("\"public\""), "\"ORDERS\""));
    e.job_ids.insert("pg_public_lines".into());
    let d = discover_rows(
        SourceType::PostgreSql,
        "pg",
        &[t("public", "orders"), t("public", "lines")],
        &e,
    );
    assert_eq!(d.skipped.len(), 1);
    assert_eq!(d.skipped[0].reason, "already in the workbook");
    assert_eq!(d.proposals[0].job_id, "pg_public_lines_2");
}

#[test]
fn unusable_names_are_skipped_with_the_reason() {
    let d = discover_rows(
        SourceType::PostgreSql,
        "pg",
        &[t("public", "bad\u{7}")],
        &Existing::default(),
    );
    assert!(d.proposals.is_empty());
    assert!(
        d.skipped[0].reason.contains("cannot be written"),
        "{:?}",
        d.skipped
    );
}
