use super::*;
use futures::TryStreamExt;
use object_store::memory::InMemory;
use object_store::path::Path as ObjPath;

fn azure(f: impl FnOnce(&mut DestinationSecret)) -> DestinationSecret {
    let mut s = DestinationSecret {
        storage_account_name: Some("acct".into()),
        container_name: Some("raw".into()),
        ..Default::default()
    };
    f(&mut s);
    s
}

#[test]
fn path_makes_a_local_destination() {
    let s = DestinationSecret {
        path: Some(PathBuf::from("/x/output")),
        ..Default::default()
    };
    let d = Destination::from_secret("local", &s).unwrap();
    assert_eq!(
        d,
        Destination::Local {
            name: "local".into(),
            root: PathBuf::from("/x/output"),
            compression: crate::sink::compression::default_compression(),
        }
    );
    assert_eq!(
        d.describe(),
        format!("local folder {}", Path::new("/x/output").display())
    );
    assert_eq!(d.part_size(), 10 * 1024 * 1024);
    assert_eq!(d.upload_concurrency(), 4);
}

#[test]
fn account_key_with_defaults() {
    let s = azure(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0a2V5")));
    let d = Destination::from_secret("adls", &s).unwrap();
    let Destination::Azure { cfg, .. } = &d else {
        panic!("expected Azure, got {d:?}");
    };
    assert_eq!(cfg.account, "acct");
    assert_eq!(cfg.container.as_deref(), Some("raw"));
    assert_eq!(cfg.max_retries, 10);
    assert_eq!(cfg.retry_timeout, Duration::from_secs(180));
    assert_eq!(cfg.part_size, 10 * 1024 * 1024);
    assert_eq!(cfg.upload_concurrency, 4);
    assert_eq!(cfg.connect_timeout, Duration::from_secs(30));
    assert_eq!(cfg.request_timeout, Duration::from_secs(300));
    assert_eq!(d.describe(), "ADLS account acct, auth account key");
    assert!(!format!("{d:?}").contains("c2VjcmV0a2V5"));
}

#[test]
fn transfer_settings_are_read() {
    let s = azure(|s| {
        s.sas_token = Some(Secret::new("?sv=1&sig=abc"));
        s.part_size_mib = Some(16);
        s.upload_concurrency = Some(8);
        s.max_retries = Some(3);
        s.retry_timeout_secs = Some(60);
    });
    let d = Destination::from_secret("adls", &s).unwrap();
    assert_eq!(d.part_size(), 16 * 1024 * 1024);
    assert_eq!(d.upload_concurrency(), 8);
    let Destination::Azure { cfg, .. } = d else {
        panic!("expected Azure");
    };
    assert_eq!(cfg.max_retries, 3);
    assert_eq!(cfg.retry_timeout, Duration::from_secs(60));
    assert!(matches!(cfg.auth, AzureAuth::Sas(_)));
}

#[test]
fn zero_auth_kinds_is_an_error_naming_the_section() {
    let e = Destination::from_secret("adls", &azure(|_| {})).unwrap_err();
    let m = e.to_string();
    assert!(m.starts_with("destination `adls`"), "{m}");
    assert!(m.contains("no authentication"), "{m}");
}

#[test]
fn several_auth_kinds_is_an_error() {
    let s = azure(|s| {
        s.storage_account_key = Some(Secret::new("sEcReTkEy"));
        s.use_azure_cli = Some(true);
    });
    let m = Destination::from_secret("adls", &s)
        .unwrap_err()
        .to_string();
    assert!(m.contains("destination `adls`"), "{m}");
    assert!(m.contains("storage_account_key, use_azure_cli"), "{m}");
    assert!(!m.contains("sEcReTkEy"), "{m}");
}

#[test]
fn service_principal_needs_tenant_and_client() {
    let s = azure(|s| {
        s.client_secret = Some(Secret::new("shh"));
        s.client_id = Some("cid".into());
    });
    let m = Destination::from_secret("adls", &s)
        .unwrap_err()
        .to_string();
    assert!(m.contains("tenant_id"), "{m}");
    let s = azure(|s| {
        s.client_secret = Some(Secret::new("shh"));
        s.client_id = Some("cid".into());
        s.tenant_id = Some("tid".into());
    });
    let d = Destination::from_secret("adls", &s).unwrap();
    assert!(d.describe().ends_with("auth service principal"));
}

#[test]
fn managed_identity_keeps_optional_client_id_and_workload_identity_wins_over_it() {
    let s = azure(|s| {
        s.use_managed_identity = Some(true);
        s.client_id = Some("uami".into());
    });
    let Destination::Azure { cfg, .. } = Destination::from_secret("a", &s).unwrap() else {
        panic!("expected Azure");
    };
    assert!(
        matches!(&cfg.auth, AzureAuth::ManagedIdentity { client_id, .. } if client_id.as_deref() == Some("uami")),
        "{:?}",
        cfg.auth
    );
    let s = azure(|s| {
        s.federated_token_file = Some(PathBuf::from("/var/token"));
        s.client_id = Some("cid".into());
        s.tenant_id = Some("tid".into());
    });
    let Destination::Azure { cfg, .. } = Destination::from_secret("a", &s).unwrap() else {
        panic!("expected Azure");
    };
    assert!(matches!(cfg.auth, AzureAuth::WorkloadIdentity { .. }));
}

#[test]
fn missing_account_and_bad_numbers_are_errors() {
    let s = DestinationSecret {
        storage_account_key: Some(Secret::new("k")),
        ..Default::default()
    };
    let m = Destination::from_secret("adls", &s)
        .unwrap_err()
        .to_string();
    assert!(m.contains("storage_account_name"), "{m}");
    let s = azure(|s| {
        s.use_azure_cli = Some(true);
        s.part_size_mib = Some(0);
    });
    assert!(Destination::from_secret("adls", &s).is_err());
    let s = azure(|s| {
        s.use_azure_cli = Some(true);
        s.upload_concurrency = Some(0);
    });
    assert!(Destination::from_secret("adls", &s).is_err());
}

#[test]
fn emulator_defaults_its_account_and_builds_offline() {
    let s = DestinationSecret {
        use_emulator: Some(true),
        ..Default::default()
    };
    let d = Destination::from_secret("azurite", &s).unwrap();
    assert_eq!(d.describe(), "ADLS account devstoreaccount1, auth emulator");
    assert!(d.store("c").is_ok());
    assert!(d.store("").is_err(), "no container anywhere");
    let s = DestinationSecret {
        use_emulator: Some(true),
        endpoint: Some("http://127.0.0.1:10010/".into()),
        ..Default::default()
    };
    let d = Destination::from_secret("azurite", &s).unwrap();
    assert!(d.store("c").is_ok());
}

#[test]
fn every_azure_auth_kind_builds_without_network() {
    type Setter = Box<dyn Fn(&mut DestinationSecret)>;
    let kinds: Vec<Setter> = vec![
        Box::new(|s| s.storage_account_key = Some(Secret::new("c2VjcmV0"))),
        Box::new(|s| s.sas_token = Some(Secret::new("?sv=2022&sig=abc"))),
        Box::new(|s| {
            s.tenant_id = Some("t".into());
            s.client_id = Some("c".into());
            s.client_secret = Some(Secret::new("x"));
        }),
        Box::new(|s| s.use_managed_identity = Some(true)),
        Box::new(|s| s.use_azure_cli = Some(true)),
        Box::new(|s| {
            s.tenant_id = Some("t".into());
            s.client_id = Some("c".into());
            s.federated_token_file = Some(PathBuf::from("/tmp/token"));
        }),
    ];
    for f in kinds {
        let d = Destination::from_secret("adls", &azure(|s| f(s))).unwrap();
        if let Err(e) = d.store("raw") {
            panic!("{}: {e}", d.describe());
        }
    }
}

#[test]
fn local_store_creates_the_container_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = Destination::Local {
        name: "local".into(),
        root: dir.path().join("out"),
        compression: crate::sink::compression::default_compression(),
    };
    let store = d.store("raw").unwrap();
    assert!(dir.path().join("out").join("raw").is_dir());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        store
            .put(&ObjPath::from("a/b.txt"), PutPayload::from_static(b"x"))
            .await
            .unwrap();
    });
    assert!(dir.path().join("out/raw/a/b.txt").is_file());
    assert!(d.store("../escape").is_err());
}

#[test]
fn local_store_error_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let d = Destination::Local {
        name: "local".into(),
        root: file.clone(),
        compression: crate::sink::compression::default_compression(),
    };
    let m = d.store("raw").unwrap_err().to_string();
    assert!(m.contains(&file.display().to_string()), "{m}");
}

#[tokio::test]
async fn probe_leaves_nothing_behind() {
    let store = InMemory::new();
    probe(&store, &ObjPath::from("base/dir")).await.unwrap();
    let left: Vec<_> = store.list(None).try_collect().await.unwrap();
    assert!(left.is_empty(), "{left:?}");

    let dir = tempfile::tempdir().unwrap();
    let local = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    probe(&local, &ObjPath::from("")).await.unwrap();
    let left: Vec<_> = local.list(None).try_collect().await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}
