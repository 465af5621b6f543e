//! ADLS Gen2 destination against Azurite (127.0.0.1:10000, started by `scripts/azurite.sh`).
//! Each test uses its own container; the mid-run failure test starts its own Azurite.

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

const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const PORT: u16 = 10000;

fn reachable(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Azurite on the shared port, or skip (fail in CI).
fn azurite() -> bool {
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
fn container(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("azure-{test}-{}-{nanos}", std::process::id())
}

fn endpoint(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// An object_store client of the test's own (independent of the code under test).
fn client(port: u16, container: &str) -> MicrosoftAzure {
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
fn list(port: u16, container: &str) -> BTreeMap<String, u64> {
    let c = client(port, container);
    rt().block_on(async {
        let objects: Vec<_> = c.list(None).try_collect().await.unwrap_or_default();
        objects
            .into_iter()
            .map(|m| (m.location.to_string(), m.size))
            .collect()
    })
}

fn download(port: u16, container: &str, path: &str, to: &Path) -> PathBuf {
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
fn modulo_load_id(path: &str) -> String {
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
fn sample_on_azurite(dir: &Path, container: &str, port: u16, extra: &str) {
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

fn cell_text(c: &Data) -> String {
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

fn run(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--config", "ingestion_config.xlsx"];
    args.extend_from_slice(extra);
    support::ingest(dir, &args)
}

/// Rows of every data file of a container (downloaded and read back), by table folder.
fn rows_by_table(port: u16, container: &str, scratch: &Path) -> BTreeMap<String, usize> {
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

fn manifests(port: u16, container: &str, table_folder: &str) -> Vec<serde_json::Value> {
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

#[test]
fn shipped_sample_writes_the_same_objects_as_the_local_run() {
    if !azurite() {
        return;
    }
    let local = tempfile::tempdir().unwrap();
    for f in ["demo.sqlite", "ingestion_config.xlsx", "secrets.toml"] {
        std::fs::copy(
            support::project_dir().join("samples").join(f),
            local.path().join(f),
        )
        .unwrap();
    }
    let out = run(local.path(), &[]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let root = local.path().join("output").join("raw");
    let mut local_names = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                local_names.push(modulo_load_id(&rel));
            }
        }
    }
    local_names.sort();
    let local_rows: usize = support::parquet_rows(&support::parquet_files(&root));

    let az = tempfile::tempdir().unwrap();
    let c = container("sample");
    sample_on_azurite(az.path(), &c, PORT, "");
    let out = run(az.path(), &[]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let remote_names: Vec<String> = list(PORT, &c).keys().map(|p| modulo_load_id(p)).collect();
    assert_eq!(remote_names, local_names);
    let rows = rows_by_table(PORT, &c, az.path());
    assert_eq!(rows.get("customers"), Some(&2000), "{rows:?}");
    assert_eq!(rows.get("orders"), Some(&120000), "{rows:?}");
    assert_eq!(rows.values().sum::<usize>(), local_rows);
    assert!(
        !az.path().join("output").exists(),
        "nothing written locally"
    );
}

#[test]
fn incremental_loads_into_azurite() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("incr");
    sample_on_azurite(dir.path(), &c, PORT, "");
    let jobs = ["--jobs", "demo_orders_incr"];
    let out = run(dir.path(), &jobs);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    rt().block_on(async {
        use sqlx::Connection;
        let url = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
        for id in 1..=5 {
            sqlx::query(
                "INSERT INTO orders (order_id, customer_id, status, order_date, updated_at) \
                 VALUES (?, 1, 'new', '2025-01-01', '2025-01-01 00:00:00')",
            )
            .bind(900_000 + id)
            .execute(&mut conn)
            .await
            .expect("insert");
        }
    });
    let out = run(dir.path(), &jobs);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let mut loads = manifests(PORT, &c, "demo_orders");
    loads.sort_by_key(|m| m["load_id"].as_str().unwrap_or_default().to_string());
    assert_eq!(loads.len(), 2, "{loads:?}");
    assert_eq!(loads[0]["rows"], 120000);
    assert_eq!(loads[1]["rows"], 5);
    assert_eq!(loads[1]["window"]["from"], "2024-01-20T08:19:54");
    assert_eq!(loads[1]["window"]["to"], "2025-01-01T00:00:00");
    let rows = rows_by_table(PORT, &c, dir.path());
    assert_eq!(rows.get("orders"), Some(&120005), "{rows:?}");
}

#[test]
fn missing_container_is_a_clear_error_with_exit_1() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("missing");
    sample_on_azurite(dir.path(), &c, PORT, "");
    let secrets = std::fs::read_to_string(dir.path().join("secrets.toml")).unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        secrets.replace("create_container = true", "create_container = false"),
    )
    .unwrap();
    let out = run(dir.path(), &["--jobs", "demo_customers_full"]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains(&format!("container `{c}` does not exist")),
        "{text}"
    );
    assert!(
        text.contains(&format!("storage account `{ACCOUNT}`")),
        "{text}"
    );
    assert!(text.contains("auth: emulator"), "{text}");
    assert!(text.contains("create_container = true"), "{text}");
    let out = support::ingest(
        dir.path(),
        &["validate", "--config", "ingestion_config.xlsx", "--connect"],
    );
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(
        text.contains(&format!("container `{c}` does not exist")),
        "{text}"
    );
    assert!(list(PORT, &c).is_empty(), "nothing created");
}

#[test]
fn wrong_key_is_a_clear_error_and_the_key_appears_nowhere() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("wrongkey");
    sample_on_azurite(dir.path(), &c, PORT, "");
    let wrong = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXk=";
    let secrets = format!(
        "[sources.demo]\ntype = \"sqlite\"\npath = \"demo.sqlite\"\n\n\
         [destinations.lake]\nstorage_account_name = \"{ACCOUNT}\"\n\
         storage_account_key = \"{wrong}\"\nendpoint = \"{}/{ACCOUNT}\"\ncreate_container = true\n",
        endpoint(PORT)
    );
    std::fs::write(dir.path().join("secrets.toml"), secrets).unwrap();
    let out = run(dir.path(), &[]);
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "{text}");
    assert!(text.contains("destination `lake`"), "{text}");
    assert!(text.contains("auth: account key"), "{text}");
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    for sub in ["metadata", "logs"] {
        for f in support_files(&dir.path().join(sub)) {
            let content = std::fs::read_to_string(&f).unwrap_or_default();
            assert!(!content.contains(wrong), "{} leaks the key", f.display());
            assert!(
                !content.contains("V3JvbmdLZXl"),
                "{} leaks the key",
                f.display()
            );
        }
    }
    assert!(list(PORT, &c).is_empty(), "no container, no objects");
}

fn support_files(dir: &Path) -> Vec<PathBuf> {
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

#[test]
fn a_file_of_several_upload_parts_round_trips() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let c = container("parts");
    sample_on_azurite(
        dir.path(),
        &c,
        PORT,
        "part_size_mib = 1\nupload_concurrency = 2\n",
    );
    // One FULL job of all orders in a single file.
    let mut header = support::HEADER.to_vec();
    header.push("source_query");
    let row = vec![
        "orders_one_file",
        "SQLite",
        "demo",
        "",
        "",
        "FULL",
        "Y",
        c.as_str(),
        "big",
        "",
        "",
        "200000",
        "1",
        "lake",
        "SELECT * FROM orders ORDER BY order_id",
    ];
    support::write_workbook(&dir.path().join("ingestion_config.xlsx"), &header, &[row]);
    let out = run(dir.path(), &[]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let objects = list(PORT, &c);
    let (path, size) = objects
        .iter()
        .filter(|(p, _)| p.ends_with(".parquet"))
        .max_by_key(|(_, s)| **s)
        .expect("a parquet file");
    assert!(
        *size > 3 * 1024 * 1024,
        "{path} is only {size} bytes: {objects:?}"
    );
    let file = download(PORT, &c, path, dir.path());
    assert_eq!(std::fs::metadata(&file).unwrap().len(), *size);
    let batches = support::read_parquet(&file);
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 120000);
    let ids = batches
        .iter()
        .map(|b| {
            let col = b.column(0);
            let ints = col
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .expect("order_id is Int64");
            ints.iter().map(|v| v.unwrap_or(0)).sum::<i64>()
        })
        .sum::<i64>();
    assert_eq!(ids, (1..=120000i64).sum::<i64>());
}

/// An Azurite of the test's own, on a free port with its own data folder.
struct OwnAzurite {
    child: Child,
    port: u16,
    location: PathBuf,
}

impl OwnAzurite {
    fn start(port: u16, location: &Path) -> Option<OwnAzurite> {
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

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Bytes Azurite has stored in its extent files so far.
    fn stored_bytes(&self) -> u64 {
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn azurite_stopped_mid_run_fails_the_job_and_the_rerun_commits_once() {
    if !azurite() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let Some(mut own) = OwnAzurite::start(port, data.path()) else {
        return;
    };
    let c = container("midrun");
    sample_on_azurite(
        dir.path(),
        &c,
        port,
        "part_size_mib = 1\nmax_retries = 1\nretry_timeout_secs = 2\n",
    );
    let mut child = Command::new(support::bin())
        .current_dir(dir.path())
        .args([
            "run",
            "--config",
            "ingestion_config.xlsx",
            "--jobs",
            "demo_orders_incr",
        ])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ingest starts");
    // Kill Azurite once the first upload parts have landed.
    let started = Instant::now();
    while own.stored_bytes() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no upload reached Azurite"
        );
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    own.kill();
    let out = child.wait_with_output().expect("ingest ends");
    let text = support::text(&out);
    assert_eq!(support::code(&out), 1, "the job fails: {text}");
    assert!(text.contains("FAILED"), "{text}");
    let state = dir
        .path()
        .join("metadata")
        .join("state")
        .join("demo_orders_incr.json");
    assert!(!state.exists(), "state unchanged after the failed load");
    let watermarks =
        std::fs::read_to_string(dir.path().join("metadata/watermarks.json")).unwrap_or_default();
    assert!(!watermarks.contains("demo_orders_incr"), "{watermarks}");

    let own = OwnAzurite::start(port, data.path()).expect("Azurite restarts");
    assert!(
        manifests(own.port, &c, "demo_orders").is_empty(),
        "no manifest for the half-written load"
    );
    let out = run(dir.path(), &["--jobs", "demo_orders_incr"]);
    assert_eq!(support::code(&out), 0, "{}", support::text(&out));
    let loads = manifests(own.port, &c, "demo_orders");
    assert_eq!(loads.len(), 1, "{loads:?}");
    assert_eq!(loads[0]["rows"], 120000);
    assert_eq!(loads[0]["window"]["to"], "2024-01-20T08:19:54");
    let files: Vec<&str> = loads[0]["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    let mut rows = 0;
    for f in files {
        rows += support::parquet_rows(&[download(own.port, &c, f, dir.path())]);
    }
    assert_eq!(rows, 120000);
    assert!(state.exists(), "state committed by the rerun");
}
