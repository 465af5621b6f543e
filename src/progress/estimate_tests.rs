use super::*;
use chrono::NaiveDate;

fn rel(schema: Option<&str>, table: &str) -> Relation {
    Relation {
        schema: schema.map(str::to_string),
        table: Some(table.to_string()),
        query: None,
        filter: None,
    }
}

#[test]
fn each_dialect_reads_statistics_not_count() {
    let r = rel(Some("sales"), "Orders");
    for (d, needle, params) in [
        (
            Dialect::Postgres,
            "reltuples",
            vec![Some("\"sales\".\"orders\"".to_string())],
        ),
        (
            Dialect::MySql,
            "TABLE_ROWS",
            vec![Some("sales".into()), Some("Orders".into())],
        ),
        (
            Dialect::MsSql,
            "dm_db_partition_stats",
            vec![Some("[sales].[Orders]".into())],
        ),
        (
            Dialect::Oracle,
            "num_rows",
            vec![Some("SALES".into()), Some("ORDERS".into())],
        ),
    ] {
        let (sql, p) = estimate_query(d, &r).unwrap();
        assert!(sql.contains(needle), "{d:?}: {sql}");
        assert!(!sql.to_uppercase().contains("COUNT("), "{d:?}: {sql}");
        assert_eq!(p, params, "{d:?}");
    }
    let (sql, p) = estimate_query(Dialect::Sqlite, &rel(None, "orders")).unwrap();
    assert_eq!(sql, "SELECT CAST(COUNT(*) AS TEXT) FROM \"orders\"");
    assert!(p.is_empty());
}

#[test]
fn queries_and_filters_have_no_estimate() {
    let mut r = rel(None, "t");
    r.filter = Some("region = 'EU'".into());
    assert!(estimate_query(Dialect::Postgres, &r).is_none());
    let q = Relation {
        schema: None,
        table: None,
        query: Some("SELECT 1".into()),
        filter: None,
    };
    assert!(estimate_query(Dialect::MySql, &q).is_none());
}

#[test]
fn a_window_is_its_share_of_the_cursor_range() {
    let w = |lo: Option<CursorValue>, hi: CursorValue| Window {
        column: "c".into(),
        lo,
        hi,
    };
    let share = window_share(
        &CursorValue::Int(0),
        &w(Some(CursorValue::Int(900)), CursorValue::Int(1000)),
    );
    assert_eq!(share, Some(0.1));
    let day = |d| CursorValue::Date(NaiveDate::from_ymd_opt(2026, 1, d).unwrap());
    assert_eq!(
        window_share(&day(1), &w(Some(day(21)), day(31))),
        Some(1.0 / 3.0)
    );
    assert_eq!(window_share(&day(1), &w(None, day(31))), Some(1.0));
    assert_eq!(
        window_share(&day(5), &w(Some(day(5)), day(5))),
        None,
        "empty range: unknown"
    );
    assert_eq!(
        window_share(&CursorValue::Int(0), &w(Some(day(1)), day(2))),
        None,
        "kinds differ"
    );
}
