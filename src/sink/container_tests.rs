use super::*;
use crate::config::secrets::{DestinationSecret, Secret};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "c2VjcmV0a2V5c2VjcmV0a2V5";

/// A one-shot HTTP server on loopback: answers each request with the next (status, error code)
/// and records the request heads.
async fn mock(answers: Vec<(u16, &'static str)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        for (status, code) in answers {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).to_string());
            let code_header = if code.is_empty() {
                String::new()
            } else {
                format!("x-ms-error-code: {code}\r\n")
            };
            let reply = format!(
                "HTTP/1.1 {status} X\r\n{code_header}content-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = sock.write_all(reply.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (format!("http://{addr}"), seen)
}

fn dest(endpoint: &str, f: impl FnOnce(&mut DestinationSecret)) -> Destination {
    let mut s = DestinationSecret {
        storage_account_name: Some("acct".into()),
        container_name: Some("raw".into()),
        endpoint: Some(endpoint.to_string()),
        max_retries: Some(0),
        ..Default::default()
    };
    f(&mut s);
    Destination::from_secret("lake", &s).unwrap()
}

fn key(s: &mut DestinationSecret) {
    s.storage_account_key = Some(Secret::new(KEY));
}

#[tokio::test]
async fn local_destination_always_passes() {
    let d = Destination::Local {
        name: "out".into(),
        root: std::path::PathBuf::from("does-not-matter"),
        compression: crate::sink::compression::default_compression(),
    };
    ensure_container(&d, "anything").await.unwrap();
}

#[tokio::test]
async fn existing_container_is_checked_with_a_signed_get() {
    let (url, seen) = mock(vec![(200, "")]).await;
    ensure_container(&dest(&url, key), "").await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let head = seen[0].to_ascii_lowercase();
    assert!(head.starts_with("get /raw?restype=container "), "{head}");
    assert!(head.contains("authorization: sharedkey acct:"), "{head}");
    assert!(head.contains("x-ms-version:"), "{head}");
}

#[tokio::test]
async fn missing_container_names_account_container_and_auth() {
    let (url, _) = mock(vec![(404, "ContainerNotFound")]).await;
    let e = ensure_container(&dest(&url, key), "bronze")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("destination `lake`"), "{e}");
    assert!(e.contains("container `bronze`"), "{e}");
    assert!(e.contains("account `acct`"), "{e}");
    assert!(e.contains("auth: account key"), "{e}");
    assert!(e.contains("create_container = true"), "{e}");
    assert!(!e.contains(KEY), "{e}");
}

#[tokio::test]
async fn missing_container_is_created_when_allowed() {
    let (url, seen) = mock(vec![(404, "ContainerNotFound"), (201, "")]).await;
    let d = dest(&url, |s| {
        key(s);
        s.create_container = Some(true);
    });
    ensure_container(&d, "").await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let put = seen[1].to_ascii_lowercase();
    assert!(put.starts_with("put /raw?restype=container "), "{put}");
    assert!(put.contains("content-length: 0"), "{put}");
    assert!(put.contains("authorization: sharedkey acct:"), "{put}");
}

#[tokio::test]
async fn creation_race_is_fine_and_refusal_is_an_error() {
    let (url, _) = mock(vec![(404, ""), (409, "ContainerAlreadyExists")]).await;
    let d = dest(&url, |s| {
        key(s);
        s.create_container = Some(true);
    });
    ensure_container(&d, "").await.unwrap();
    let (url, _) = mock(vec![(404, ""), (403, "AuthorizationPermissionMismatch")]).await;
    let d = dest(&url, |s| {
        key(s);
        s.create_container = Some(true);
    });
    let e = ensure_container(&d, "").await.unwrap_err().to_string();
    assert!(e.contains("cannot create container `raw`"), "{e}");
    assert!(
        e.contains("HTTP 403 AuthorizationPermissionMismatch"),
        "{e}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_error_without_the_secret() {
    let (url, _) = mock(vec![(403, "AuthenticationFailed")]).await;
    let e = ensure_container(&dest(&url, key), "")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("destination `lake`"), "{e}");
    assert!(e.contains("HTTP 403 AuthenticationFailed"), "{e}");
    assert!(e.contains("check the credentials"), "{e}");
    assert!(!e.contains(KEY), "{e}");
}

#[tokio::test]
async fn sas_goes_in_the_query_without_an_authorization_header() {
    let (url, seen) = mock(vec![(200, "")]).await;
    let d = dest(&url, |s| {
        s.sas_token = Some(Secret::new("?sv=2022-11-02&sp=rwdlc&sig=SeCrEt"))
    });
    ensure_container(&d, "").await.unwrap();
    let head = seen.lock().unwrap()[0].clone();
    let line = head.lines().next().unwrap_or_default();
    assert!(line.contains("restype=container"), "{line}");
    assert!(line.contains("sig=SeCrEt"), "{line}");
    assert!(
        !head.to_ascii_lowercase().contains("authorization:"),
        "{head}"
    );
}

#[tokio::test]
async fn unreachable_service_is_an_error_naming_the_account() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = ensure_container(&dest(&url, key), "")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot reach the service"), "{e}");
    assert!(e.contains("storage account `acct`"), "{e}");
}

#[tokio::test]
async fn check_jobs_checks_each_container_once_and_fails_only_its_jobs() {
    let (url, seen) = mock(vec![(200, ""), (404, "ContainerNotFound")]).await;
    let d = Arc::new(dest(&url, key));
    let job = |id: &str, container: &str| crate::config::Job {
        job_id: id.to_string(),
        row: 2,
        source_type: crate::config::SourceType::Sqlite,
        source_name: "db".into(),
        schema_name: None,
        table_name: Some("t".into()),
        source_query: None,
        load_type: crate::config::LoadType::Full,
        enabled: true,
        target_container: container.to_string(),
        target_folder_path: "x".into(),
        watermark_column: None,
        last_watermark: None,
        primary_key: Vec::new(),
        partition_column: None,
        query_filter: None,
        chunk_size: 10,
        parallelism: 1,
        destination: "lake".into(),
        schema_change: crate::config::SchemaChange::Evolve,
        depends_on: Vec::new(),
        variables: Default::default(),
        api: None,
        target_format: crate::config::TargetFormat::Parquet,
        write_disposition: crate::config::WriteDisposition::Replace,
    };
    let (a, b, c) = (job("a", "raw"), job("b", "raw"), job("c", "gone"));
    let mut prepared = vec![
        (&a, Ok(d.clone())),
        (&b, Ok(d.clone())),
        (&c, Ok(d.clone())),
        (&a, Err("earlier failure".to_string())),
    ];
    check_jobs(&mut prepared).await;
    assert_eq!(seen.lock().unwrap().len(), 2, "one request per container");
    assert!(prepared[0].1.is_ok());
    assert!(prepared[1].1.is_ok());
    let e = prepared[2].1.as_ref().unwrap_err();
    assert!(e.contains("container `gone` does not exist"), "{e}");
    assert_eq!(prepared[3].1.as_ref().unwrap_err(), "earlier failure");
}
