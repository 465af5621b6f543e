use super::*;
use crate::config::secrets::Secret;
use crate::sink::store::Destination;
use object_store::azure::AzureCredential;
use std::path::PathBuf;

fn cfg_of(f: impl FnOnce(&mut DestinationSecret)) -> AzureConfig {
    let mut s = DestinationSecret {
        storage_account_name: Some("acct".into()),
        container_name: Some("raw".into()),
        ..Default::default()
    };
    f(&mut s);
    match Destination::from_secret("lake", &s) {
        Ok(Destination::Azure { cfg, .. }) => cfg,
        other => panic!("not an Azure destination: {other:?}"),
    }
}

/// object_store's Debug output of the client (test-only: it shows secrets in clear).
fn client_debug(cfg: &AzureConfig) -> String {
    format!("{:?}", azure_client("lake", cfg, "").unwrap())
}

#[test]
fn retries_and_timeouts_reach_the_client() {
    let cfg = cfg_of(|s| {
        s.storage_account_key = Some(Secret::new("c2VjcmV0"));
        s.max_retries = Some(3);
        s.retry_timeout_secs = Some(7);
    });
    let d = client_debug(&cfg);
    assert!(d.contains("max_retries: 3, retry_timeout: 7s"), "{d}");
    assert!(d.contains("timeout: Some(Parsed(300s))"), "{d}");
    assert!(d.contains("connect_timeout: Some(Parsed(30s))"), "{d}");
    assert!(d.contains("allow_http: Parsed(false)"), "{d}");
    let defaults = client_debug(&cfg_of(|s| {
        s.storage_account_key = Some(Secret::new("c2VjcmV0"))
    }));
    assert!(
        defaults.contains("max_retries: 10, retry_timeout: 180s"),
        "{defaults}"
    );
}

#[test]
fn each_kind_gets_its_own_credential_provider_and_only_managed_identity_uses_imds() {
    type Setter = Box<dyn Fn(&mut DestinationSecret)>;
    let cases: Vec<(&str, Setter)> = vec![
        (
            "ClientSecretOAuthProvider",
            Box::new(|s| {
                s.tenant_id = Some("t".into());
                s.client_id = Some("c".into());
                s.client_secret = Some(Secret::new("x"));
            }),
        ),
        (
            "WorkloadIdentityOAuthProvider",
            Box::new(|s| {
                s.tenant_id = Some("t".into());
                s.client_id = Some("c".into());
                s.federated_token_file = Some(PathBuf::from("token"));
            }),
        ),
        (
            "AzureCliCredential",
            Box::new(|s| s.use_azure_cli = Some(true)),
        ),
        (
            "StaticCredentialProvider",
            Box::new(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0"))),
        ),
        (
            "StaticCredentialProvider",
            Box::new(|s| s.sas_token = Some(Secret::new("sv=1&sig=abc"))),
        ),
        (
            "StaticCredentialProvider",
            Box::new(|s| s.use_emulator = Some(true)),
        ),
    ];
    for (provider, f) in cases {
        let d = client_debug(&cfg_of(f));
        assert!(d.contains(provider), "{provider}: {d}");
        assert!(!d.contains("ImdsManagedIdentityProvider"), "{d}");
        assert!(!d.contains("169.254.169.254"), "{d}");
    }
    let d = client_debug(&cfg_of(|s| {
        s.use_managed_identity = Some(true);
        s.client_id = Some("user-assigned".into());
    }));
    assert!(d.contains("ImdsManagedIdentityProvider"), "{d}");
    assert!(d.contains("user-assigned"), "{d}");
}

#[tokio::test]
async fn static_credentials_resolve_without_network() {
    let key = cfg_of(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0")));
    let c = azure_client("lake", &key, "").unwrap();
    let cred = c.credentials().get_credential().await.unwrap();
    assert!(matches!(*cred, AzureCredential::AccessKey(_)));
    let sas = cfg_of(|s| s.sas_token = Some(Secret::new("?sv=2022-11-02&sig=abc")));
    let c = azure_client("lake", &sas, "").unwrap();
    let cred = c.credentials().get_credential().await.unwrap();
    match &*cred {
        AzureCredential::SASToken(pairs) => {
            assert!(
                pairs.iter().any(|(k, v)| k == "sig" && v == "abc"),
                "{pairs:?}"
            );
            assert!(pairs.iter().any(|(k, _)| k == "sv"), "{pairs:?}");
        }
        _ => panic!("SAS token expected"),
    }
    for endpoint in [None, Some("http://127.0.0.1:10001".to_string())] {
        let emu = cfg_of(|s| {
            s.use_emulator = Some(true);
            s.endpoint = endpoint.clone();
        });
        let c = azure_client("lake", &emu, "").unwrap();
        let cred = c.credentials().get_credential().await.unwrap();
        assert!(matches!(*cred, AzureCredential::AccessKey(_)));
    }
}

/// Container Apps and App Service: the token comes from `IDENTITY_ENDPOINT`, not from IMDS.
/// A one-request token server stands in for the platform's.
#[tokio::test]
async fn managed_identity_takes_its_token_from_the_identity_endpoint_when_one_is_set() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let n = sock.read(&mut buf).await.unwrap();
        let expires_on = chrono::Utc::now().timestamp() + 3600;
        let body =
            format!(r#"{{"access_token":"token-from-endpoint","expires_on":"{expires_on}"}}"#);
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(reply.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let mut cfg = cfg_of(|s| s.use_managed_identity = Some(true));
    cfg.auth = AzureAuth::ManagedIdentity {
        client_id: Some("user-assigned".into()),
        token_endpoint: Some(format!("http://{addr}/msi/token")),
    };
    let c = azure_client("lake", &cfg, "").unwrap();
    let cred = c.credentials().get_credential().await.unwrap();
    assert!(
        matches!(&*cred, AzureCredential::BearerToken(t) if t == "token-from-endpoint"),
        "{cred:?}"
    );
    let request = server.await.unwrap();
    assert!(request.starts_with("GET /msi/token?"), "{request}");
    assert!(request.contains("client_id=user-assigned"), "{request}");
    assert!(
        request.contains("resource=https%3A%2F%2Fstorage.azure.com"),
        "{request}"
    );
}

#[test]
fn container_urls_follow_object_store_addressing() {
    let key = cfg_of(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0")));
    assert_eq!(
        container_url(&key, "raw"),
        "https://acct.blob.core.windows.net/raw"
    );
    let custom = cfg_of(|s| {
        s.storage_account_key = Some(Secret::new("c2VjcmV0"));
        s.endpoint = Some("https://acct.blob.core.usgovcloudapi.net/".into());
    });
    assert_eq!(
        container_url(&custom, "raw"),
        "https://acct.blob.core.usgovcloudapi.net/raw"
    );
    let emu = cfg_of(|s| {
        s.storage_account_name = None;
        s.use_emulator = Some(true);
        s.endpoint = Some("http://127.0.0.1:10001/".into());
    });
    assert_eq!(
        container_url(&emu, "raw"),
        "http://127.0.0.1:10001/devstoreaccount1/raw"
    );
}

#[test]
fn plain_http_only_for_the_emulator_or_an_explicit_http_endpoint() {
    let https = cfg_of(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0")));
    assert!(client_debug(&https).contains("allow_http: Parsed(false)"));
    let http = cfg_of(|s| {
        s.storage_account_key = Some(Secret::new("c2VjcmV0"));
        s.endpoint = Some("http://127.0.0.1:10000/devstoreaccount1".into());
    });
    assert!(client_debug(&http).contains("allow_http: Parsed(true)"));
    let emu = cfg_of(|s| {
        s.use_emulator = Some(true);
        s.endpoint = Some("http://127.0.0.1:10000".into());
    });
    assert!(client_debug(&emu).contains("allow_http: Parsed(true)"));
}

#[test]
fn missing_container_everywhere_is_an_error() {
    let mut cfg = cfg_of(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0")));
    assert_eq!(resolve_container("lake", &cfg, "").unwrap(), "raw");
    assert_eq!(resolve_container("lake", &cfg, "gold").unwrap(), "gold");
    cfg.container = None;
    let e = resolve_container("lake", &cfg, " ")
        .unwrap_err()
        .to_string();
    assert!(e.contains("destination `lake`: no container"), "{e}");
}

#[test]
fn emulator_endpoint_may_or_may_not_name_the_account() {
    for e in [
        "http://127.0.0.1:10001",
        "http://127.0.0.1:10001/",
        "http://127.0.0.1:10001/devstoreaccount1",
        "http://127.0.0.1:10001/devstoreaccount1/",
    ] {
        assert_eq!(
            emulator_service(e, "devstoreaccount1"),
            "http://127.0.0.1:10001/devstoreaccount1",
            "{e}"
        );
    }
}
