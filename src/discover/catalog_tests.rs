use super::*;

fn row(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|s| s.map(str::to_string)).collect()
}

#[test]
fn every_dialect_has_a_catalog_query_binding_the_schema() {
    for (d, placeholder, stats) in [
        (Dialect::Postgres, "$1", "reltuples"),
        (Dialect::MySql, "?", "TABLE_ROWS"),
        (Dialect::MsSql, "@P1", "sys.dm_db_partition_stats"),
        (Dialect::Oracle, ":1", "num_rows"),
    ] {
        let (sql, params) = catalog_query(d, Some("Sales"));
        assert!(sql.contains(placeholder), "{d:?}: {sql}");
        assert!(
            sql.contains(stats),
            "{d:?} reads row estimates from statistics: {sql}"
        );
        assert!(!sql.to_uppercase().contains("COUNT(*)"), "{d:?}: {sql}");
        assert_eq!(params, vec![Some("Sales".to_string())]);
        assert_eq!(catalog_query(d, None).1, vec![None]);
    }
    let (sql, params) = catalog_query(Dialect::Sqlite, Some("x"));
    assert!(
        sql.contains("pragma_table_info") && params.is_empty(),
        "{sql}"
    );
}

#[test]
fn mssql_query_reads_identity_keys_and_skips_system_objects() {
    let (sql, _) = catalog_query(Dialect::MsSql, None);
    for part in [
        "c.is_identity = 1",
        "i.is_primary_key = 1",
        "ic.key_ordinal",
        "o.type IN ('U', 'V')",
        "o.is_ms_shipped = 0",
        "ps.index_id IN (0, 1)",
        "(@P1 IS NULL OR s.name = @P1)",
        "ORDER BY s.name, o.name, c.column_id",
    ] {
        assert!(sql.contains(part), "missing `{part}`: {sql}");
    }
}

#[test]
fn oracle_query_reads_identity_keys_and_precision() {
    let (sql, _) = catalog_query(Dialect::Oracle, None);
    for part in [
        "c.identity_column = 'YES'",
        "k.constraint_type = 'P'",
        "TO_CHAR(t.num_rows)",
        "c.data_precision",
        "COALESCE(UPPER(:1), USER)",
        "o.object_type IN ('TABLE', 'VIEW')",
    ] {
        assert!(sql.contains(part), "missing `{part}`: {sql}");
    }
}

#[test]
fn postgres_query_treats_never_analyzed_as_unknown_and_finds_serials() {
    let (sql, _) = catalog_query(Dialect::Postgres, None);
    assert!(sql.contains("c.reltuples >= 0"), "{sql}");
    assert!(
        sql.contains("attidentity") && sql.contains("nextval("),
        "{sql}"
    );
    assert!(sql.contains("NOT c.relispartition"), "{sql}");
}

#[test]
fn mssql_rows_map_to_tables() {
    let rows = vec![
        row(&[
            Some("dbo"),
            Some("Orders"),
            Some("TABLE"),
            Some("2500000"),
            Some("OrderID"),
            Some("1"),
            Some("int"),
            Some("N"),
            Some("1"),
            Some("Y"),
        ]),
        row(&[
            Some("dbo"),
            Some("Orders"),
            Some("TABLE"),
            Some("2500000"),
            Some("ModifiedDate"),
            Some("2"),
            Some("datetime2"),
            Some("N"),
            None,
            Some("N"),
        ]),
        row(&[
            Some("dbo"),
            Some("Orders"),
            Some("TABLE"),
            Some("2500000"),
            Some("rv"),
            Some("3"),
            Some("timestamp"),
            Some("N"),
            None,
            Some("N"),
        ]),
        row(&[
            Some("dbo"),
            Some("vOrders"),
            Some("VIEW"),
            None,
            Some("OrderID"),
            Some("1"),
            Some("int"),
            Some("Y"),
            None,
            Some("N"),
        ]),
    ];
    let t = tables_from_rows(Dialect::MsSql, &rows).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(
        (
            t[0].schema.as_deref(),
            t[0].name.as_str(),
            t[0].kind,
            t[0].rows
        ),
        (Some("dbo"), "Orders", Kind::Table, Some(2_500_000))
    );
    assert_eq!(t[0].columns.len(), 3);
    assert!(
        t[0].columns[0].identity
            && t[0].columns[0].pk_position == Some(1)
            && !t[0].columns[0].nullable
    );
    assert_eq!(
        t[0].primary_key()
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["OrderID"]
    );
    assert_eq!((t[1].kind, t[1].rows), (Kind::View, None));
}

#[test]
fn oracle_rows_map_to_tables() {
    let rows = vec![
        row(&[
            Some("HR"),
            Some("EMPLOYEES"),
            Some("TABLE"),
            Some("107"),
            Some("EMPLOYEE_ID"),
            Some("1"),
            Some("NUMBER(6,0)"),
            Some("N"),
            Some("1"),
            Some("N"),
        ]),
        row(&[
            Some("HR"),
            Some("EMPLOYEES"),
            Some("TABLE"),
            Some("107"),
            Some("LAST_UPDATE"),
            Some("2"),
            Some("DATE"),
            Some("N"),
            None,
            Some("N"),
        ]),
        row(&[
            Some("HR"),
            Some("TMP"),
            Some("TABLE"),
            None,
            Some("X"),
            Some("1"),
            Some("VARCHAR2"),
            Some("Y"),
            None,
            Some("N"),
        ]),
    ];
    let t = tables_from_rows(Dialect::Oracle, &rows).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].rows, Some(107));
    assert_eq!(t[1].rows, None, "never analyzed: unknown");
}

#[test]
fn sqlite_integer_primary_key_is_the_rowid_identity() {
    let rows = vec![
        row(&[
            None,
            Some("a"),
            Some("TABLE"),
            None,
            Some("id"),
            Some("1"),
            Some("INTEGER"),
            Some("Y"),
            Some("1"),
            Some("N"),
        ]),
        row(&[
            None,
            Some("b"),
            Some("TABLE"),
            None,
            Some("id"),
            Some("1"),
            Some("BIGINT"),
            Some("Y"),
            Some("1"),
            Some("N"),
        ]),
        row(&[
            None,
            Some("c"),
            Some("TABLE"),
            None,
            Some("x"),
            Some("1"),
            Some("INTEGER"),
            Some("N"),
            Some("1"),
            Some("N"),
        ]),
        row(&[
            None,
            Some("c"),
            Some("TABLE"),
            None,
            Some("y"),
            Some("2"),
            Some("INTEGER"),
            Some("N"),
            Some("2"),
            Some("N"),
        ]),
    ];
    let t = tables_from_rows(Dialect::Sqlite, &rows).unwrap();
    assert!(t[0].columns[0].identity);
    assert!(!t[1].columns[0].identity, "only INTEGER is the rowid alias");
    assert!(
        t[2].columns.iter().all(|c| !c.identity),
        "a composite key is no rowid"
    );
}

#[test]
fn malformed_rows_are_errors_not_panics() {
    assert!(tables_from_rows(Dialect::MsSql, &[row(&[Some("x")])]).is_err());
    let no_name = row(&[
        Some("s"),
        None,
        None,
        None,
        Some("c"),
        None,
        None,
        None,
        None,
        None,
    ]);
    assert!(tables_from_rows(Dialect::MsSql, &[no_name]).is_err());
}
