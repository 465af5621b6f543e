//! The typed job: one validated row of the workbook.

use serde::Serialize;
use std::fmt;

/// Default rows per Arrow batch / Parquet row group.
pub const DEFAULT_CHUNK_SIZE: usize = 100_000;
/// Default destination key in `[destinations.<name>]`.
pub const DEFAULT_DESTINATION: &str = "adls";

/// The workbook columns, in the order the template writes them, with the note shown on each header.
pub const COLUMNS: &[(&str, &str)] = &[
    (
        "job_id",
        "Required. Unique job name: letters, digits, _ . -. Names state, logs and output.",
    ),
    (
        "source_type",
        "Required. PostgreSQL, MSSQL, Oracle, MySQL, SQLite or API (case-insensitive).",
    ),
    (
        "source_name",
        "Required. Key into secrets.toml: [sources.<source_name>], else [sources.<source_type>].",
    ),
    (
        "schema_name",
        "Schema / owner. Required for Oracle and MSSQL.",
    ),
    (
        "table_name",
        "Table or view to copy. Required unless source_query is given.",
    ),
    (
        "source_query",
        "Optional SELECT used instead of a table; wrapped as a subquery. Variables like {run_date} become quoted literals.",
    ),
    (
        "load_type",
        "Required. FULL (replace everything) or INCREMENTAL (only new rows by watermark_column).",
    ),
    (
        "enabled",
        "Required. Y or N (also yes/no, true/false, 1/0).",
    ),
    (
        "target_container",
        "Required. ADLS container, or a sub-folder of a local destination.",
    ),
    (
        "target_folder_path",
        "Required. Base folder inside the container; relative, no '..'. FULL jobs may use {yyyy}/{mm}/{dd} etc. (one folder per run).",
    ),
    (
        "watermark_column",
        "Required for INCREMENTAL. Cursor column: integer, decimal, date or timestamp.",
    ),
    (
        "last_watermark",
        "Optional. Start value for the first incremental run (number, date or timestamp).",
    ),
    (
        "primary_key",
        "Optional. Comma-separated key columns; drops boundary duplicates, splits chunks.",
    ),
    (
        "partition_column",
        "Optional. Integer/date/timestamp column to split into parallel chunks.",
    ),
    (
        "query_filter",
        "Optional. Extra WHERE condition, raw SQL, e.g. status = 'active'. {run_date} and other variables become quoted literals.",
    ),
    (
        "chunk_size",
        "Optional. Rows per batch / Parquet row group, 1..10000000. Default 100000.",
    ),
    (
        "parallelism",
        "Optional. Parallel chunks for this job, 1..64. Default 1.",
    ),
    (
        "destination",
        "Optional. Key into [destinations.<name>] in secrets.toml. Default adls.",
    ),
    (
        "api_endpoint",
        "API rows: path relative to the source's base_url, e.g. /v1/orders?status=open. Variables allowed.",
    ),
    (
        "api_method",
        "API rows: GET (default) or POST (the JSON body goes in source_query).",
    ),
    (
        "pagination_type",
        "API rows: none, offset, page, cursor or link, then optional ; key=value overrides, e.g. cursor; next_cursor_path=meta.next",
    ),
    (
        "schema_change",
        "Optional. evolve (default): added, dropped and widened columns load; fail: any schema change fails the job.",
    ),
    (
        "notes",
        "Optional. Free text for people (ingest discover explains its choices here); ignored by ingest.",
    ),
    (
        "depends_on",
        "Optional. Comma-separated job_ids that must succeed in the same run before this job starts.",
    ),
    (
        "target_format",
        "Optional. parquet (files + load manifests, default) or delta (a Delta Lake table).",
    ),
    (
        "write_disposition",
        "Optional. append (INCREMENTAL default), replace (FULL) or merge (INCREMENTAL, delta, primary_key).",
    ),
];

/// The database a job reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SourceType {
    /// PostgreSQL (alias: Postgres).
    PostgreSql,
    /// Microsoft SQL Server (alias: SQLServer).
    MsSql,
    /// Oracle Database.
    Oracle,
    /// MySQL (alias: MariaDB).
    MySql,
    /// SQLite, the embedded default.
    Sqlite,
    /// A REST API returning JSON.
    Api,
}

impl SourceType {
    /// Parse a workbook value, case-insensitively, accepting the documented aliases.
    pub fn parse(s: &str) -> Option<SourceType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" => Some(SourceType::PostgreSql),
            "mssql" | "sqlserver" => Some(SourceType::MsSql),
            "oracle" => Some(SourceType::Oracle),
            "mysql" | "mariadb" => Some(SourceType::MySql),
            "sqlite" => Some(SourceType::Sqlite),
            "api" => Some(SourceType::Api),
            _ => None,
        }
    }

    /// Every lower-case spelling of the type, canonical first: the fallback secrets sections
    /// (`[sources.postgresql]`, then `[sources.postgres]`).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            SourceType::PostgreSql => &["postgresql", "postgres"],
            SourceType::MsSql => &["mssql", "sqlserver"],
            SourceType::Oracle => &["oracle"],
            SourceType::MySql => &["mysql", "mariadb"],
            SourceType::Sqlite => &["sqlite"],
            SourceType::Api => &["api"],
        }
    }

    /// The lower-case name used as the fallback secrets section (`[sources.postgresql]`).
    pub fn key(self) -> &'static str {
        match self {
            SourceType::PostgreSql => "postgresql",
            SourceType::MsSql => "mssql",
            SourceType::Oracle => "oracle",
            SourceType::MySql => "mysql",
            SourceType::Sqlite => "sqlite",
            SourceType::Api => "api",
        }
    }
}

impl fmt::Display for SourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceType::PostgreSql => "PostgreSQL",
            SourceType::MsSql => "MSSQL",
            SourceType::Oracle => "Oracle",
            SourceType::MySql => "MySQL",
            SourceType::Sqlite => "SQLite",
            SourceType::Api => "API",
        })
    }
}

/// How a job loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LoadType {
    /// Replace everything with a fresh copy.
    Full,
    /// Only rows past the stored watermark.
    Incremental,
}

impl LoadType {
    /// Parse a workbook value, case-insensitively.
    pub fn parse(s: &str) -> Option<LoadType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "FULL" => Some(LoadType::Full),
            "INCREMENTAL" => Some(LoadType::Incremental),
            _ => None,
        }
    }
}

impl fmt::Display for LoadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LoadType::Full => "FULL",
            LoadType::Incremental => "INCREMENTAL",
        })
    }
}

/// What a job does when the source's columns differ from the last committed load's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaChange {
    /// Added and dropped columns and widened types load; other type changes fail the job.
    #[default]
    Evolve,
    /// Any change of columns or types fails the job.
    Fail,
}

impl SchemaChange {
    /// Parse a workbook value, case-insensitively.
    pub fn parse(s: &str) -> Option<SchemaChange> {
        match s.trim().to_ascii_lowercase().as_str() {
            "evolve" => Some(SchemaChange::Evolve),
            "fail" => Some(SchemaChange::Fail),
            _ => None,
        }
    }
}

impl fmt::Display for SchemaChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SchemaChange::Evolve => "evolve",
            SchemaChange::Fail => "fail",
        })
    }
}

/// What a job writes at its table root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TargetFormat {
    /// Parquet files plus `_ingest_loads` manifests.
    #[default]
    Parquet,
    /// A Delta Lake table (`_delta_log/` plus Parquet data files).
    Delta,
}

impl TargetFormat {
    /// Parse a workbook value, case-insensitively.
    pub fn parse(s: &str) -> Option<TargetFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "parquet" => Some(TargetFormat::Parquet),
            "delta" => Some(TargetFormat::Delta),
            _ => None,
        }
    }
}

impl fmt::Display for TargetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetFormat::Parquet => "parquet",
            TargetFormat::Delta => "delta",
        })
    }
}

/// How a load's rows meet the rows already in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteDisposition {
    /// Add the rows (INCREMENTAL default).
    Append,
    /// Replace the whole table (FULL, its only choice).
    Replace,
    /// Update rows with a matching primary key, insert the rest (INCREMENTAL, Delta only).
    Merge,
}

impl WriteDisposition {
    /// Parse a workbook value, case-insensitively.
    pub fn parse(s: &str) -> Option<WriteDisposition> {
        match s.trim().to_ascii_lowercase().as_str() {
            "append" => Some(WriteDisposition::Append),
            "replace" => Some(WriteDisposition::Replace),
            "merge" => Some(WriteDisposition::Merge),
            _ => None,
        }
    }

    /// The disposition a load type implies when the cell is empty.
    pub fn default_for(load_type: LoadType) -> WriteDisposition {
        match load_type {
            LoadType::Full => WriteDisposition::Replace,
            LoadType::Incremental => WriteDisposition::Append,
        }
    }
}

impl fmt::Display for WriteDisposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteDisposition::Append => "append",
            WriteDisposition::Replace => "replace",
            WriteDisposition::Merge => "merge",
        })
    }
}

/// One validated job (a workbook row).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Unique job name.
    pub job_id: String,
    /// The 1-based workbook row it came from (for messages).
    pub row: u32,
    /// Database kind.
    pub source_type: SourceType,
    /// Secrets section name as written in the workbook.
    pub source_name: String,
    /// Schema / owner, if any.
    pub schema_name: Option<String>,
    /// Table or view, if any (always set unless `source_query` is).
    pub table_name: Option<String>,
    /// A SELECT used instead of a table.
    pub source_query: Option<String>,
    /// FULL or INCREMENTAL.
    pub load_type: LoadType,
    /// Whether `run` picks the job.
    pub enabled: bool,
    /// Container (ADLS) or sub-folder (local destination).
    pub target_container: String,
    /// Relative base folder inside the container, `/`-separated, no `..`.
    pub target_folder_path: String,
    /// Cursor column (INCREMENTAL only).
    pub watermark_column: Option<String>,
    /// Initial watermark as normalised text: a decimal integer, `YYYY-MM-DD`, or
    /// ISO 8601 `YYYY-MM-DDTHH:MM:SS[.f][offset]`. Parsed for the cursor's kind at plan time.
    pub last_watermark: Option<String>,
    /// Key columns, possibly empty.
    pub primary_key: Vec<String>,
    /// Column used to split chunks, if set explicitly.
    pub partition_column: Option<String>,
    /// Extra WHERE condition (raw SQL from the workbook owner).
    pub query_filter: Option<String>,
    /// Rows per batch / row group.
    pub chunk_size: usize,
    /// Parallel chunks.
    pub parallelism: usize,
    /// Destination key in secrets.
    pub destination: String,
    /// Parquet files with manifests, or a Delta table.
    pub target_format: TargetFormat,
    /// Append, replace or merge (resolved from the load type when the cell is empty).
    pub write_disposition: WriteDisposition,
    /// What to do when the source's schema changed since the last committed load.
    pub schema_change: SchemaChange,
    /// Job ids that must succeed earlier in the same run (as written; compared ignoring case).
    pub depends_on: Vec<String>,
    /// The runtime variables this job's cells use, with their values for this run.
    pub variables: std::collections::BTreeMap<String, String>,
    /// An API row's request (`None` for databases).
    pub api: Option<crate::source::api::ApiJob>,
}

impl Job {
    /// The table part of output names: `table_name`, or the job id for a `source_query` job.
    pub fn output_table(&self) -> &str {
        self.table_name.as_deref().unwrap_or(&self.job_id)
    }
}
