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
    let s = SourceSecret {
        host: Some("db".into()),
        ..s
    };
    assert_eq!(
        MySqlSettings::of(&s)
            .unwrap()
            .redact("bad login hunter2 for x".into()),
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

#[tokio::test]
async fn a_refused_connection_fails_at_once_with_the_drivers_reason() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let s = SourceSecret {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        username: Some("u".into()),
        password: Some(Secret::new("hunter2")),
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let e = MySqlSource::connect("db", &MySqlSettings::of(&s).unwrap())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{e}"
    );
    assert!(e.contains("cannot connect to MySQL source `db`"), "{e}");
    assert!(!e.contains("pool timed out"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn the_statement_limit_follows_the_server_kind() {
    let t = std::time::Duration::from_secs(90);
    assert_eq!(
        statement_limit_sql("10.11.6-MariaDB-0+deb12u1", t),
        "SET SESSION max_statement_time = 90"
    );
    assert_eq!(
        statement_limit_sql("8.0.36", t),
        "SET SESSION max_execution_time = 90000"
    );
}
