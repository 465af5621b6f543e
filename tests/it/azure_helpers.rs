//! Helpers of the Azure tests: Azurite on loopback, the sample rewritten for a container,
//! an object_store client of the tests' own, an Azurite started per test.

use crate::support;
use calamine::{Data, DataType, Reader};
use futures::TryStreamExt;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(super) const ACCOUNT: &str = "devstoreaccount1";
pub(super) const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
pub(super) const PORT: u16 = 10000;

pub(super) fn reachable(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Azurite on the shared port, or skip (fail in CI).
pub(super) fn azurite() -> bool {
    if reachable(PORT) {
        return true;
    }
    support::service_missing(
        "Azurite",
        "nothing listens on 127.0.0.1:10000 (run scripts/azurite.sh install && scripts/azurite.sh start)",
    );
    false
}

/// A container name of its own for each test (lowercase, digits and hyphens).
pub(super) fn container(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("azure-{test}-{}-{nanos}", std::process::id())
}

pub(super) fn endpoint(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

pub(super) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// An object_store client of the test's own (independent of the code under test).
pub(super) fn client(port: u16, container: &str) -> MicrosoftAzure {
    MicrosoftAzureBuilder::new()
        .with_account(ACCOUNT)
        .with_access_key(KEY)
        .with_endpoint(format!("{}/{ACCOUNT}", endpoint(port)))
        .with_container_name(container)
        .with_client_options(ClientOptions::new().with_allow_http(true))
        .build()
        .expect("test client")
}

/// Every object of a container: path → size (empty when the container is missing).
pub(super) fn list(port: u16, container: &str) -> BTreeMap<String, u64> {
    let c = client(port, container);
    rt().block_on(async {
        let objects: Vec<_> = c.list(None).try_collect().await.unwrap_or_default();
        objects
            .into_iter()
            .map(|m| (m.location.to_string(), m.size))
            .collect()
    })
}

pub(super) fn download(port: u16, container: &str, path: &str, to: &Path) -> PathBuf {
    let c = client(port, container);
    let bytes = rt().block_on(async {
        let p = object_store::path::Path::from(path);
        c.get(&p).await.expect("get").bytes().await.expect("body")
    });
    let file = to.join(path.replace('/', "_"));
    std::fs::write(&file, &bytes).expect("write download");
    file
}

/// Replace load ids (`YYYYMMDDTHHMMSS.ffffffZ`) in a path by `<load>`.
pub(super) fn modulo_load_id(path: &str) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let name = match name.find('Z') {
        Some(z) if name.len() > 15 && name.as_bytes()[8] == b'T' => {
            format!("<load>{}", &name[z + 1..])
        }
        _ => name.to_string(),
    };
    format!("{dir}/{name}")
}

/// The shipped sample copied into `dir`, its workbook rewritten to write the enabled jobs into
/// `container` of destination `lake`, and a secrets.toml for Azurite on `port`.
pub(super) fn sample_on_azurite(dir: &Path, container: &str, port: u16, extra: &str) {
    let samples = support::project_dir().join("samples");
    std::fs::copy(samples.join("demo.sqlite"), dir.join("demo.sqlite")).expect("copy demo db");
    let mut wb =
        calamine::open_workbook_auto(samples.join("ingestion_config.xlsx")).expect("sample");
    let range = wb
        .worksheet_range("SourceConfig")
        .expect("SourceConfig sheet");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let header: Vec<&str> = rows[0].iter().map(String::as_str).collect();
    let at = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (enabled, cont, dest) = (at("enabled"), at("target_container"), at("destination"));
    let mut body: Vec<Vec<String>> = Vec::new();
    for r in rows.iter().skip(1).filter(|r| r[enabled] == "Y") {
        let mut r = r.clone();
        r[cont] = container.to_string();
        r[dest] = "lake".to_string();
        body.push(r);
    }
    let body: Vec<Vec<&str>> = body
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    support::write_workbook(&dir.join("ingestion_config.xlsx"), &header, &body);
    let secrets = format!(
        "[sources.demo]\ntype = \"sqlite\"\npath = \"demo.sqlite\"\n\n\
         [destinations.lake]\nuse_emulator = true\nstorage_account_name = \"{ACCOUNT}\"\n\
         endpoint = \"{}\"\ncreate_container = true\n{extra}\n",
        endpoint(port)
    );
    std::fs::write(dir.join("secrets.toml"), secrets).expect("secrets");
}

pub(super) fn cell_text(c: &Data) -> String {
    match c {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::DateTime(_) => c
            .as_date()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn run(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--config", "ingestion_config.xlsx"];
    args.extend_from_slice(extra);
    support::ingest(dir, &args)
}

/// Rows of every data file of a container (downloaded and read back), by table folder.
pub(super) fn rows_by_table(port: u16, container: &str, scratch: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for path in list(port, container)
        .keys()
        .filter(|p| p.ends_with(".parquet"))
    {
        let file = download(port, container, path, scratch);
        let table = path.rsplit('/').nth(1).unwrap_or_default().to_string();
        *out.entry(table).or_insert(0) += support::parquet_rows(&[file]);
    }
    out
}

pub(super) fn manifests(port: u16, container: &str, table_folder: &str) -> Vec<serde_json::Value> {
    list(port, container)
        .keys()
        .filter(|p| p.contains(&format!("{table_folder}/_ingest_loads/")) && p.ends_with(".json"))
        .map(|p| {
            let c = client(port, container);
            let bytes = rt().block_on(async {
                let p = object_store::path::Path::from(p.as_str());
                c.get(&p).await.expect("get").bytes().await.expect("body")
            });
            serde_json::from_slice(&bytes).expect("manifest JSON")
        })
        .collect()
}

pub(super) fn support_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// An Azurite of the test's own, on a free port with its own data folder.
pub(super) struct OwnAzurite {
    child: Child,
    /// The port it listens on.
    pub(super) port: u16,
    location: PathBuf,
}

impl OwnAzurite {
    pub(super) fn start(port: u16, location: &Path) -> Option<OwnAzurite> {
        let bin = support::project_dir().join(".azurite/node_modules/.bin/azurite-blob");
        if !bin.exists() {
            support::service_missing("Azurite", "run scripts/azurite.sh install first");
            return None;
        }
        let child = Command::new(&bin)
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--location")
            .arg(location)
            .args(["--disableTelemetry", "--skipApiVersionCheck", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("azurite-blob starts");
        let started = Instant::now();
        while !reachable(port) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "own Azurite did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(OwnAzurite {
            child,
            port,
            location: location.to_path_buf(),
        })
    }

    pub(super) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Bytes Azurite has stored in its extent files so far.
    pub(super) fn stored_bytes(&self) -> u64 {
        support_files(&self.location.join("__blobstorage__"))
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum()
    }
}

impl Drop for OwnAzurite {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
