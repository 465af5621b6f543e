//! The Azure destination on an Azurite of the test's own whose account has a marker key:
//! a succeeding run with that key, failing runs with a wrong key, a forged SAS token and a
//! service principal secret. The secrets appear in no local file, output or uploaded object.

use super::{Case, Expect, all_text, scan};
use crate::support;
use futures::TryStreamExt;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::{ObjectStore, ObjectStoreExt};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "sweepacct";
/// 42 bytes, so the base64 text needs no padding.
const KEY_BYTES: &[u8] = b"Sw33p-azure-account-key-0123456789abcdefgh";
const WRONG_KEY_BYTES: &[u8] = b"Sw33p-azure-wrong-key---0123456789abcdefgh";
const CONTAINER: &str = "sweep";

/// Azurite (blob only) on a free port, with the account `sweepacct` keyed by [`KEY_BYTES`].
struct OwnAzurite {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl OwnAzurite {
    fn start() -> Option<OwnAzurite> {
        let bin = support::project_dir().join(".azurite/node_modules/.bin/azurite-blob");
        if !bin.exists() {
            support::service_missing("Azurite", "run scripts/azurite.sh install first");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let data = tempfile::tempdir().expect("tempdir");
        let key = scan::base64(KEY_BYTES, scan::STD);
        let child = Command::new(&bin)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--location")
            .arg(data.path())
            .args(["--disableTelemetry", "--skipApiVersionCheck", "--silent"])
            .env("AZURITE_ACCOUNTS", format!("{ACCOUNT}:{key}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("azurite-blob starts");
        let own = OwnAzurite {
            child,
            port,
            _data: data,
        };
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Azurite did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(own)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port)
    }

    /// Every object of the container with its bytes (read with a client of the test's own).
    fn objects(&self) -> Vec<(String, Vec<u8>)> {
        let store = MicrosoftAzureBuilder::new()
            .with_account(ACCOUNT)
            .with_access_key(scan::base64(KEY_BYTES, scan::STD))
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_container_name(CONTAINER)
            .build()
            .expect("test client");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let metas: Vec<_> = store.list(None).try_collect().await.unwrap_or_default();
            let mut out = Vec::new();
            for m in metas {
                let bytes = store.get(&m.location).await.expect("get");
                let bytes = bytes.bytes().await.expect("body").to_vec();
                out.push((m.location.to_string(), bytes));
            }
            out
        })
    }
}

impl Drop for OwnAzurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A case reading the sample's demo.sqlite (customers) into destination `lake` set by `dest`.
fn case(dest: &str) -> Case {
    let secrets = format!(
        "[sources.demo]\ntype = \"sqlite\"\npath = \"demo.sqlite\"\n\n[destinations.lake]\n{dest}"
    );
    let mut job = support::job_row(
        "sweep_az",
        "SQLite",
        "demo",
        "",
        "customers",
        "FULL",
        "",
        "",
        "",
        "",
    );
    job[7] = CONTAINER;
    job[13] = "lake";
    let case = Case::new(&secrets, &[job]);
    std::fs::copy(
        support::project_dir().join("samples/demo.sqlite"),
        case.path().join("demo.sqlite"),
    )
    .expect("copy demo db");
    case
}

fn key_forms(keys: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
    keys.iter()
        .flat_map(|k| scan::key_forms(&scan::base64(k, scan::STD)))
        .collect()
}

fn sweep(case: &Case, expect: Expect, forms: &[(String, Vec<u8>)]) -> String {
    let outs = case.exercise(expect, &[]);
    scan::assert_clean(case.path(), &outs, forms);
    all_text(&outs)
}

fn uploaded_are_clean(az: &OwnAzurite, forms: &[(String, Vec<u8>)], scratch: &Path) {
    for (path, bytes) in az.objects() {
        let dir = scratch.join("downloaded");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(path.replace('/', "_")), bytes).expect("write");
    }
    scan::assert_clean(scratch, &[], forms);
}

#[test]
fn azure_runs_leak_no_key_sas_or_client_secret() {
    let Some(az) = OwnAzurite::start() else {
        return;
    };
    let key = scan::base64(KEY_BYTES, scan::STD);
    let wrong = scan::base64(WRONG_KEY_BYTES, scan::STD);
    let sas_sig = "Sw33p-sas-sig%2Bx%3D";
    let client_secret = "Sw33p-az-client-s3cret";
    let mut forms = key_forms(&[KEY_BYTES, WRONG_KEY_BYTES]);
    for s in ["Sw33p-sas-sig+x=", sas_sig, client_secret] {
        forms.extend(scan::forms(s));
    }
    let fast = "max_retries = 0\nretry_timeout_secs = 3\n";

    let ok = case(&format!(
        "storage_account_name = \"{ACCOUNT}\"\nstorage_account_key = \"{key}\"\n\
         endpoint = \"{}\"\ncreate_container = true\n",
        az.endpoint()
    ));
    sweep(&ok, Expect::Success, &forms);
    let objects = az.objects();
    assert!(
        objects.iter().any(|(p, _)| p.ends_with(".parquet"))
            && objects.iter().any(|(p, _)| p.contains("_ingest_loads/")),
        "data and manifest uploaded: {:?}",
        objects.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    let scratch = tempfile::tempdir().expect("tempdir");
    uploaded_are_clean(&az, &forms, scratch.path());

    let wrong_key = case(&format!(
        "storage_account_name = \"{ACCOUNT}\"\nstorage_account_key = \"{wrong}\"\n\
         endpoint = \"{}\"\ncreate_container = true\n{fast}",
        az.endpoint()
    ));
    let text = sweep(&wrong_key, Expect::DestinationFailure, &forms);
    assert!(text.contains("HTTP 403"), "{text}");

    let sas = case(&format!(
        "storage_account_name = \"{ACCOUNT}\"\n\
         sas_token = \"?sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&st=2020-01-01T00:00:00Z&spr=http&sig={sas_sig}\"\n\
         endpoint = \"{}\"\n{fast}",
        az.endpoint()
    ));
    let text = sweep(&sas, Expect::DestinationFailure, &forms);
    assert!(text.contains("auth: SAS token"), "{text}");

    let principal = case(&format!(
        "storage_account_name = \"{ACCOUNT}\"\ntenant_id = \"00000000-0000-0000-0000-000000000000\"\n\
         client_id = \"11111111-1111-1111-1111-111111111111\"\nclient_secret = \"{client_secret}\"\n\
         endpoint = \"{}\"\n{fast}",
        az.endpoint()
    ));
    let text = sweep(&principal, Expect::DestinationFailure, &forms);
    assert!(text.contains("auth: service principal"), "{text}");
    // Nothing reached the container in the failing runs: it holds the first run's objects only.
    assert_eq!(az.objects().len(), objects.len());
}
