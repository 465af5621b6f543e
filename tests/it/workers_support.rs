//! Helpers of the many-workers tests: a PostgreSQL schema of incremental tables, a workbook
//! and secrets writing into an Azurite container, `ingest run` processes with a state folder
//! each, and the lake read back with a client of the tests' own.

use crate::support;
use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use futures::TryStreamExt;
use object_store::azure::{MicrosoftAzure, MicrosoftAzureBuilder};
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const ACCOUNT: &str = "devstoreaccount1";
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub(super) fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A test's lake (an Azurite container) and source (a PostgreSQL schema), or `None` after
/// [`support::service_missing`].
pub(super) struct Lake {
    /// Scratch folder: workbook, secrets, state folders.
    pub(super) dir: tempfile::TempDir,
    /// The container.
    pub(super) container: String,
    /// The PostgreSQL schema.
    pub(super) schema: String,
    /// Table names (one job each, job id = table name).
    pub(super) tables: Vec<String>,
}

impl Lake {
    /// `tables` tables of `rows` rows each in a fresh schema; a workbook with one INCREMENTAL
    /// job per table into a fresh container.
    pub(super) fn new(test: &str, tables: usize, rows: i64, chunk_size: &str) -> Option<Lake> {
        Lake::with_format(test, tables, rows, chunk_size, "parquet")
    }

    /// [`Lake::new`] with `target_format` `format` (parquet or delta).
    pub(super) fn with_format(
        test: &str,
        tables: usize,
        rows: i64,
        chunk_size: &str,
        format: &str,
    ) -> Option<Lake> {
        let addr = SocketAddr::from(([127, 0, 0, 1], 10000));
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
            support::service_missing("Azurite", "nothing listens on 127.0.0.1:10000");
            return None;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!("workers_{test}_{}", std::process::id());
        let names: Vec<String> = (1..=tables).map(|i| format!("t{i}")).collect();
        let mut sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};");
        for t in &names {
            sql.push_str(&format!(
                "CREATE TABLE {schema}.{t} (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, note text);"
            ));
        }
        if !support::admin_sql("PostgreSQL", &pg_url(), &sql) {
            return None;
        }
        let lake = Lake {
            dir: tempfile::tempdir().expect("tempdir"),
            container: format!(
                "workers-{}-{}-{nanos}",
                test.replace('_', "-"),
                std::process::id()
            ),
            schema,
            tables: names,
        };
        lake.insert(1, rows);
        lake.write_jobs(chunk_size, format, &[]);
        std::fs::write(
            lake.dir.path().join("secrets.toml"),
            format!(
                "[sources.pg]\ntype = \"postgresql\"\nurl = \"{}\"\n\n[destinations.lake]\nuse_emulator = true\n\
                 storage_account_name = \"{ACCOUNT}\"\nendpoint = \"http://127.0.0.1:10000\"\ncreate_container = true\n",
                pg_url()
            ),
        )
        .expect("secrets");
        Some(lake)
    }

    /// Rows `from..=to` into every table (`updated_at` grows with the id).
    pub(super) fn insert(&self, from: i64, to: i64) {
        let mut sql = String::new();
        for t in &self.tables {
            sql.push_str(&format!(
                "INSERT INTO {}.{t} SELECT g, timestamp '2024-01-01' + g * interval '1 second', repeat('x', 40) \
                 FROM generate_series({from}, {to}) g;",
                self.schema
            ));
        }
        assert!(support::admin_sql("PostgreSQL", &pg_url(), &sql));
    }

    /// The workbook: one INCREMENTAL job per table (job id = table name), into `format`;
    /// `deps` gives `(job, depends_on)` cells.
    pub(super) fn write_jobs(&self, chunk_size: &str, format: &str, deps: &[(&str, &str)]) {
        let header = [
            "job_id",
            "source_type",
            "source_name",
            "schema_name",
            "table_name",
            "load_type",
            "enabled",
            "target_container",
            "target_folder_path",
            "watermark_column",
            "primary_key",
            "chunk_size",
            "destination",
            "target_format",
            "depends_on",
        ];
        let rows: Vec<Vec<&str>> = self
            .tables
            .iter()
            .map(|t| {
                let dep = deps.iter().find(|(j, _)| j == t).map_or("", |(_, d)| *d);
                vec![
                    t.as_str(),
                    "postgresql",
                    "pg",
                    self.schema.as_str(),
                    t.as_str(),
                    "INCREMENTAL",
                    "Y",
                    self.container.as_str(),
                    "lake",
                    "updated_at",
                    "id",
                    chunk_size,
                    "lake",
                    format,
                    dep,
                ]
            })
            .collect();
        support::write_workbook(&self.dir.path().join("jobs.xlsx"), &header, &rows);
    }

    /// `ingest run` as worker `worker` with a state folder of its own, started, not awaited.
    pub(super) fn spawn(&self, worker: &str, extra: &[&str]) -> Child {
        self.spawn_env(worker, extra, &[])
    }

    /// [`Lake::spawn`] with extra environment variables.
    pub(super) fn spawn_env(&self, worker: &str, extra: &[&str], env: &[(&str, &str)]) -> Child {
        let mut cmd = Command::new(support::bin());
        cmd.current_dir(self.dir.path())
            .args(["run", "--config", "jobs.xlsx", "--secrets", "secrets.toml"])
            .args(["--state-dir", &format!("state-{worker}")])
            .args(["--log-dir", &format!("logs-{worker}")])
            .args(["--worker-id", worker, "--output", "json"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("INGEST__") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(env.iter().copied());
        cmd.spawn().expect("ingest starts")
    }

    /// `ingest status --output json`, parsed, by job id.
    pub(super) fn status(&self) -> BTreeMap<String, Value> {
        let out = support::ingest(
            self.dir.path(),
            &[
                "status",
                "--config",
                "jobs.xlsx",
                "--secrets",
                "secrets.toml",
                "--output",
                "json",
            ],
        );
        assert_eq!(support::code(&out), 0, "{}", support::text(&out));
        let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("status JSON");
        all.into_iter()
            .map(|s| (s["job_id"].as_str().unwrap_or_default().to_string(), s))
            .collect()
    }

    fn client(&self) -> MicrosoftAzure {
        MicrosoftAzureBuilder::new()
            .with_account(ACCOUNT)
            .with_access_key(KEY)
            .with_endpoint(format!("http://127.0.0.1:10000/{ACCOUNT}"))
            .with_container_name(&self.container)
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .build()
            .expect("test client")
    }

    /// Every object path of the container under `contains`.
    pub(super) fn objects(&self, contains: &str) -> Vec<String> {
        let c = self.client();
        rt().block_on(async {
            let all: Vec<_> = c.list(None).try_collect().await.unwrap_or_default();
            all.into_iter()
                .map(|m| m.location.to_string())
                .filter(|p| p.contains(contains))
                .collect()
        })
    }

    fn get(&self, path: &str) -> bytes::Bytes {
        let c = self.client();
        rt().block_on(async {
            let p = object_store::path::Path::from(path);
            c.get(&p).await.expect("get").bytes().await.expect("body")
        })
    }

    /// The ids in every Parquet object of table `t` (read back with the parquet crate).
    pub(super) fn ids(&self, t: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        for p in self.objects(&format!("/pg_{t}/{t}/")) {
            if !p.ends_with(".parquet") {
                continue;
            }
            let reader = ParquetRecordBatchReaderBuilder::try_new(self.get(&p))
                .expect("parquet footer")
                .build()
                .expect("reader");
            for b in reader {
                let b = b.expect("batch");
                let col = b.column_by_name("id").expect("id column");
                let col = col.as_primitive::<Int64Type>();
                ids.extend((0..col.len()).map(|i| col.value(i)));
            }
        }
        ids.sort_unstable();
        ids
    }

    /// The manifests of table `t`, parsed, in name order.
    pub(super) fn manifests(&self, t: &str) -> Vec<Value> {
        let mut paths = self.objects(&format!("/pg_{t}/_ingest_loads/"));
        paths.sort();
        paths
            .iter()
            .map(|p| serde_json::from_slice(&self.get(p)).expect("manifest JSON"))
            .collect()
    }

    /// The folder of a worker's state.
    pub(super) fn state_dir(&self, worker: &str) -> PathBuf {
        self.dir.path().join(format!("state-{worker}"))
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Lake {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE;", self.schema);
        let _ = std::panic::catch_unwind(|| support::admin_sql("PostgreSQL", &pg_url(), &sql));
    }
}

pub(super) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// Wait for a worker; its exit code and JSON summary (by job id).
pub(super) fn finish(child: Child) -> (i32, BTreeMap<String, Value>, String) {
    let out: Output = child.wait_with_output().expect("ingest ends");
    let text = support::text(&out);
    let reports: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let by_job = reports
        .into_iter()
        .map(|r| (r["job_id"].as_str().unwrap_or_default().to_string(), r))
        .collect();
    (support::code(&out), by_job, text)
}

/// `1..=n`.
pub(super) fn exactly(n: i64) -> Vec<i64> {
    (1..=n).collect()
}

/// Poll until `cond` holds (panics after `secs`).
pub(super) fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
