//! Unit tests of the MySQL connection settings.

use super::*;
use crate::config::secrets::Secret;

#[test]
fn ssl_modes_map() {
    assert!(matches!(ssl_mode("disable"), Ok(MySqlSslMode::Disabled)));
    assert!(matches!(
        ssl_mode("verify-full"),
        Ok(MySqlSslMode::VerifyIdentity)
    ));
    assert!(matches!(ssl_mode("VERIFY_CA"), Ok(MySqlSslMode::VerifyCa)));
    assert!(ssl_mode("sometimes").is_err());
}

#[test]
fn options_never_echo_secrets() {
    let s = SourceSecret {
        url: Some(Secret::new("not a url hunter2")),
        ..Default::default()
    };
    let e = connect_options(&s).unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
    let s = SourceSecret {
        password: Some(Secret::new("hunter2")),
        ..Default::default()
    };
    assert!(connect_options(&s).unwrap_err().contains("host"));
    assert_eq!(
        redact("bad login hunter2 for x".into(), &s),
        "bad login *** for x"
    );
    let ok = SourceSecret {
        host: Some("db".into()),
        username: Some("u".into()),
        database: Some("d".into()),
        sslmode: Some("require".into()),
        ..Default::default()
    };
    let o = connect_options(&ok).unwrap();
    assert_eq!(o.get_host(), "db");
    assert_eq!(o.get_port(), 3306);
    assert!(matches!(o.get_ssl_mode(), MySqlSslMode::Required));
}
