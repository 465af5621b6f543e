//! Tests of the SQL Server source (a sibling file of `mssql.rs`, kept apart for size).

use super::types::ParamKind;
use super::*;
use crate::config::secrets::Secret;
use crate::config::secrets::SourceSecret;
use crate::plan::chunk::Chunk;
use crate::plan::sql::{Param as SqlParam, select_sql};
use crate::plan::window::Window;
use std::collections::HashMap;

fn secret() -> SourceSecret {
    SourceSecret {
        host: Some("db.example.com".into()),
        database: Some("sales".into()),
        username: Some("loader".into()),
        password: Some(Secret::new("pa55")),
        ..Default::default()
    }
}

#[test]
fn config_from_secrets() {
    let c = config_from(&secret()).unwrap();
    assert_eq!(c.get_addr(), "db.example.com:1433");
    let mut s = secret();
    s.port = Some(14330);
    assert_eq!(config_from(&s).unwrap().get_addr(), "db.example.com:14330");
    s.password = None;
    let e = config_from(&s).unwrap_err();
    assert!(e.contains("password"), "{e}");
    // `password = ""`: a SQL login without a password.
    s.password = Some(Secret::new(""));
    assert!(config_from(&s).is_ok());
    let mut s = secret();
    s.host = None;
    assert!(config_from(&s).unwrap_err().contains("host"));
    let mut s = secret();
    s.url = Some(Secret::new(
        "server=tcp:other,1500;user id=a;password=secret-pw",
    ));
    assert_eq!(config_from(&s).unwrap().get_addr(), "other:1500");
    s.url = Some(Secret::new("server=tcp:other,notaport;password=secret-pw"));
    if let Err(e) = config_from(&s) {
        assert!(!e.contains("secret-pw"), "{e}");
    }
}

#[test]
fn window_and_chunk_sql_binds_typed_parameters() {
    let rel = Relation {
        schema: Some("dbo".into()),
        table: Some("Order Lines".into()),
        query: None,
        filter: Some("status = 'x'".into()),
    };
    let t = |s: &str| CursorValue::parse(CursorKind::Timestamp, s).unwrap();
    let w = Window {
        column: "updated_at".into(),
        lo: Some(t("2024-01-01T00:00:00.1234567")),
        hi: t("2024-02-01T00:00:00"),
    };
    let ch = Chunk {
        index: 0,
        column: "id".into(),
        from: Some(CursorValue::Int(10)),
        to: Some(CursorValue::Int(20)),
        nulls: false,
    };
    let q = select_sql(Dialect::MsSql, &rel, Some(&w), Some(&ch));
    assert_eq!(
        q.sql,
        "SELECT * FROM [dbo].[Order Lines] WHERE (\nstatus = 'x'\n) AND [updated_at] >= @P1 \
         AND [updated_at] <= @P2 AND [id] >= @P3 AND [id] < @P4"
    );
    let params = MsSqlSource::params(&Native::MsSql(Arc::default()), &q).unwrap();
    assert_eq!(params.len(), 4);
    match &params[0].0 {
        ColumnData::DateTime2(Some(v)) => {
            assert_eq!(v.time().increments() % 10, 7, "100 ns digit kept");
            assert_eq!(v.time().scale(), 7);
        }
        other => panic!("expected datetime2, got {other:?}"),
    }
    assert!(matches!(params[2].0, ColumnData::I64(Some(10))));
    // A legacy datetime column binds as datetime, so it compares exactly.
    let native = Native::MsSql(Arc::new(HashMap::from([(
        "updated_at".to_string(),
        ParamKind::DateTime,
    )])));
    let params = MsSqlSource::params(&native, &q).unwrap();
    assert!(matches!(params[1].0, ColumnData::DateTime(Some(_))));
    // Also when the workbook names the column quoted or in another case than the server.
    for name in ["[updated_at]", "UPDATED_AT"] {
        let mut q = q.clone();
        q.params[1].column = name.into();
        let params = MsSqlSource::params(&native, &q).unwrap();
        assert!(
            matches!(params[1].0, ColumnData::DateTime(Some(_))),
            "{name}"
        );
    }
    let huge = Query {
        sql: "SELECT 1 WHERE 1 = @P1".into(),
        params: vec![SqlParam {
            column: "id".into(),
            value: CursorValue::Int(i128::from(i64::MAX) + 1),
        }],
    };
    assert!(matches!(
        MsSqlSource::params(&Native::None, &huge),
        Err(SourceError::BadValue { .. })
    ));
}

#[test]
fn tiberius_30_s_command_timeout_is_replaced_by_query_timeout_secs() {
    assert_eq!(
        Config::new().get_command_timeout(),
        Some(Duration::from_secs(30)),
        "tiberius's own default, which this source turns off"
    );
    assert_eq!(config_from(&secret()).unwrap().get_command_timeout(), None);
    let mut s = secret();
    s.query_timeout_secs = Some(600);
    assert_eq!(s.query_timeout(), Some(Duration::from_secs(600)));
}
