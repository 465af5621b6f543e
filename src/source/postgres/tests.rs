use super::*;
use crate::source::postgres::connect::redact;
use crate::source::postgres::extract::copy_sql;

#[test]
fn redacts_urls_and_passwords() {
    let m = redact("bad postgres://bob:s3cret@db:5432/x here", Some("s3cret"));
    assert!(!m.contains("s3cret") && !m.contains("bob"), "{m}");
    assert!(m.contains("postgres://***@db:5432/x"), "{m}");
    assert_eq!(redact("no url here", None), "no url here");
    assert_eq!(redact("pw is hunter2", Some("hunter2")), "pw is ***");
    assert_eq!(
        url_password("postgres://u:p%40ss@h/db").as_deref(),
        Some("p%40ss")
    );
    assert_eq!(url_password("postgres://u@h/db"), None);
}

#[test]
fn copy_sql_casts_only_text_form_columns() {
    let q = Query {
        sql: "SELECT * FROM \"t\" WHERE \"id\" >= $1".into(),
        params: vec![crate::plan::sql::Param {
            column: "id".into(),
            value: CursorValue::Int(5),
        }],
    };
    let plain = vec![PgCol {
        name: "id".into(),
        kind: PgKind::I64,
        cast: false,
    }];
    assert_eq!(
        copy_sql(&q, &plain),
        "COPY (\nSELECT * FROM \"t\" WHERE \"id\" >= 5\n) TO STDOUT (FORMAT binary)"
    );
    let mut cast = plain.clone();
    cast.push(PgCol {
        name: "Ip\"s".into(),
        kind: PgKind::List(Box::new(PgKind::Text)),
        cast: true,
    });
    let s = copy_sql(&q, &cast);
    assert!(
        s.contains("SELECT \"id\", \"Ip\"\"s\"::text[] FROM (\nSELECT"),
        "{s}"
    );
}

#[test]
fn options_come_from_parts_or_url() {
    let s = SourceSecret {
        url: Some(crate::config::secrets::Secret::new(
            "postgres://u:pw@h:6543/d",
        )),
        sslmode: Some("require".into()),
        ..Default::default()
    };
    let o = connect_options(&s).unwrap();
    assert_eq!(
        (o.get_host(), o.get_port(), o.get_username()),
        ("h", 6543, "u")
    );
    let bad = SourceSecret {
        sslmode: Some("sometimes".into()),
        ..Default::default()
    };
    assert!(connect_options(&bad).unwrap_err().contains("sometimes"));
    let bad_url = SourceSecret {
        url: Some(crate::config::secrets::Secret::new(
            "postgres://u:secretpw@h:notaport/db",
        )),
        ..Default::default()
    };
    assert!(!connect_options(&bad_url).unwrap_err().contains("secretpw"));
}
