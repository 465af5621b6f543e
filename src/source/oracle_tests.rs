//! Tests of the Oracle source (a sibling file of `oracle.rs`, kept apart for size).

use super::*;
use crate::plan::sql::select_sql;
use crate::plan::window::Window;

#[test]
fn connect_strings() {
    let mut s = SourceSecret {
        host: Some("db".into()),
        service_name: Some("ORCLPDB1".into()),
        ..Default::default()
    };
    assert_eq!(connect_string(&s).unwrap(), "//db:1521/ORCLPDB1");
    s.port = Some(1600);
    s.service_name = None;
    s.sid = Some("ORCL".into());
    assert_eq!(
        connect_string(&s).unwrap(),
        "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1600))(CONNECT_DATA=(SID=ORCL)))"
    );
    s.sid = None;
    assert!(connect_string(&s).is_err());
    s.connect_string = Some("tns_alias".into());
    assert_eq!(connect_string(&s).unwrap(), "tns_alias");
}

#[test]
fn an_empty_password_means_external_authentication() {
    let mut s = SourceSecret {
        connect_string: Some("db/ORCL".into()),
        username: Some("scott".into()),
        password: Some(Secret::new("tiger")),
        ..Default::default()
    };
    let l = Login::of(&s).unwrap();
    assert_eq!(
        (l.username.as_str(), l.password.as_ref().map(|p| p.expose())),
        ("scott", Some("tiger"))
    );
    s.password = Some(Secret::new(""));
    let l = Login::of(&s).unwrap();
    assert_eq!((l.username.as_str(), l.password.is_none()), ("scott", true));
    s.username = None;
    let l = Login::of(&s).unwrap();
    assert_eq!((l.username.as_str(), l.password.is_none()), ("", true));
    s.password = None;
    let e = Login::of(&s).err().unwrap();
    assert!(
        e.contains("no `password`") && e.contains("password = \"\""),
        "{e}"
    );
    s.password = Some(Secret::new("tiger"));
    assert!(Login::of(&s).err().unwrap().contains("no `username`"));
}

#[test]
fn window_sql_uses_upper_case_names_and_numbered_binds() {
    let rel = Relation {
        schema: Some("hr".into()),
        table: Some("employees".into()),
        query: None,
        filter: None,
    };
    let t = |s: &str| CursorValue::parse(CursorKind::Timestamp, s).unwrap();
    let w = Window {
        column: "hire_date".into(),
        lo: Some(t("2024-01-01")),
        hi: t("2024-02-01T10:00:00.5"),
    };
    let q = select_sql(Dialect::Oracle, &rel, Some(&w), None);
    assert_eq!(
        q.sql,
        "SELECT * FROM \"HR\".\"EMPLOYEES\" WHERE \"HIRE_DATE\" >= :1 AND \"HIRE_DATE\" <= :2"
    );
    let dates = HashMap::from([("hire_date".to_string(), true)]);
    assert_eq!(bind_values(&q, &dates).len(), 2);
}

#[tokio::test]
async fn missing_client_or_server_is_a_clean_connect_error() {
    let secret = SourceSecret {
        connect_string: Some("//127.0.0.1:1/NOPE".into()),
        username: Some("u".into()),
        password: Some(Secret::new("top-secret")),
        ..Default::default()
    };
    match OracleSource::connect("ora", &OracleSettings::of(&secret).unwrap()).await {
        Err(SourceError::Connect { message, .. }) => {
            eprintln!("connect error: {message}");
            assert!(!message.contains("top-secret"));
            if message.contains("DPI-1047") {
                assert!(message.contains("Instant Client"), "{message}");
            }
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("connected to a closed port"),
    }
}

#[test]
fn the_largest_query_timeout_fits_the_call_timeout() {
    use crate::config::secrets::MAX_QUERY_TIMEOUT_SECS;
    // `Connection::set_call_timeout` takes milliseconds in a u32 (below 49.7 days).
    assert!(u32::try_from(MAX_QUERY_TIMEOUT_SECS * 1000).is_ok());
    let s = SourceSecret {
        query_timeout_secs: Some(MAX_QUERY_TIMEOUT_SECS),
        ..Default::default()
    };
    assert_eq!(
        s.query_timeout().map(|d| d.as_millis()),
        Some(u128::from(MAX_QUERY_TIMEOUT_SECS) * 1000)
    );
}
