//! Shared test helpers: the binary, scratch folders, workbooks built in code, services.

#![allow(dead_code)]

use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `ingest` binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ingest"))
}

/// Whether this is a CI run (`CI` set and not `false`/`0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// A service a test needs is missing: fail in CI, skip with a printed reason elsewhere.
/// Returns normally only outside CI (the caller then returns early).
pub fn service_missing(service: &str, why: &str) {
    if in_ci() {
        panic!("{service} is required in CI but is not available: {why}");
    }
    eprintln!("SKIPPED: {service} not available ({why})");
}

/// Run SQL statements as an administrator at `url` (PostgreSQL or MySQL/MariaDB); `false`
/// (after [`service_missing`]) when the server is not reachable. A statement error panics.
pub fn admin_sql(service: &str, url: &str, sql: &str) -> bool {
    use sqlx::{Connection, Executor};
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let r = rt.block_on(async {
        let statements = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()));
        if url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(url).await?;
            c.execute(statements).await?;
        } else {
            let mut c = sqlx::MySqlConnection::connect(url).await?;
            c.execute(statements).await?;
        }
        Ok::<_, sqlx::Error>(())
    });
    match r {
        Ok(()) => true,
        Err(sqlx::Error::Database(e)) => panic!("setup SQL failed: {e}\n{sql}"),
        Err(e) => {
            service_missing(service, &e.to_string());
            false
        }
    }
}

/// The project folder (for the shipped samples).
pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `ingest` with `args` in `cwd`, with a clean environment for the variables it reads.
pub fn ingest(cwd: &Path, args: &[&str]) -> Output {
    ingest_env(cwd, args, &[])
}

/// Run `ingest` with extra environment variables.
pub fn ingest_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.current_dir(cwd).args(args).env_remove("RUST_LOG");
    for (k, _) in std::env::vars() {
        if k.starts_with("INGEST__") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the ingest binary runs")
}

/// stdout + stderr of a finished command, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Exit code of a finished command (-1 when killed by a signal).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A workbook written in test code: a header of column names, then rows of cell texts.
/// Cells that parse as numbers are written as numbers, like a person typing them.
pub fn write_workbook(path: &Path, header: &[&str], rows: &[Vec<&str>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("SourceConfig").expect("sheet name");
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            if v.is_empty() {
                continue;
            }
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r, c, n).expect("number"),
                Err(_) => ws.write_string(r, c, *v).expect("text"),
            };
        }
    }
    wb.save(path).expect("workbook saved");
}

/// The standard header used by tests.
pub const HEADER: &[&str] = &[
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
    "parallelism",
    "destination",
];

/// A job row for [`HEADER`].
#[allow(clippy::too_many_arguments)]
pub fn job_row<'a>(
    job_id: &'a str,
    source_type: &'a str,
    source_name: &'a str,
    schema: &'a str,
    table: &'a str,
    load_type: &'a str,
    watermark: &'a str,
    primary_key: &'a str,
    chunk_size: &'a str,
    parallelism: &'a str,
) -> Vec<&'a str> {
    vec![
        job_id,
        source_type,
        source_name,
        schema,
        table,
        load_type,
        "Y",
        "raw",
        "lake",
        watermark,
        primary_key,
        chunk_size,
        parallelism,
        "output",
    ]
}

/// Every Parquet file under `dir`, sorted by path.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Read a Parquet file with the parquet crate's synchronous reader (not the writer's path).
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{} opens: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet footer")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

/// Total rows of Parquet files.
pub fn parquet_rows(files: &[PathBuf]) -> usize {
    files
        .iter()
        .flat_map(|f| read_parquet(f))
        .map(|b| b.num_rows())
        .sum()
}
