//! The pure rules that turn one catalog table into one proposed workbook row.

use super::catalog::{ColumnInfo, Kind, TableInfo};
use crate::config::SourceType;
use crate::config::rules;
use crate::plan::CursorKind;
use crate::plan::sql::Dialect;
use arrow::datatypes::DataType;
use std::collections::HashSet;

/// Row estimates below this read with parallelism 1.
pub const SMALL_ROWS: u64 = 1_000_000;
/// Row estimates below this (and at least [`SMALL_ROWS`]) read with parallelism 2; above, 4.
pub const MEDIUM_ROWS: u64 = 10_000_000;
/// Tables with more columns than this get `chunk_size` 50,000 (more than 3× this: 20,000).
pub const WIDE_COLUMNS: usize = 50;
/// Default container of proposed rows.
pub const DEFAULT_CONTAINER: &str = "raw";

/// Name parts that mark a modification time, in order of preference.
const CURSOR_NAMES: &[&str] = &[
    "updated", "update", "modified", "modif", "changed", "change", "last_",
];

/// One proposed job row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Proposal {
    /// Valid, unique job id.
    pub job_id: String,
    /// Source type.
    pub source_type: SourceType,
    /// `--source`.
    pub source_name: String,
    /// Schema as the workbook writes it (quoted when needed).
    pub schema_name: Option<String>,
    /// Table as the workbook writes it (quoted when needed).
    pub table_name: String,
    /// FULL or INCREMENTAL.
    pub load_type: crate::config::LoadType,
    /// Always `N`: a person reviews each row.
    pub enabled: &'static str,
    /// Container.
    pub target_container: String,
    /// Folder: `{source}/{schema}` (SQLite: `{source}`).
    pub target_folder_path: String,
    /// Cursor column of an INCREMENTAL row.
    pub watermark_column: Option<String>,
    /// Key columns, comma-separated.
    pub primary_key: Option<String>,
    /// Column to split chunks on.
    pub partition_column: Option<String>,
    /// Rows per batch.
    pub chunk_size: u64,
    /// Parallel chunks.
    pub parallelism: u64,
    /// Why each choice was made.
    pub notes: String,
    /// The catalog's row estimate.
    pub rows_estimate: Option<u64>,
    /// Table or view.
    pub kind: Kind,
}

/// A workbook cell value of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A whole number.
    Number(u64),
}

impl Proposal {
    /// `(column, value)` for every non-empty workbook column of the row.
    pub fn cells(&self) -> Vec<(&'static str, Value)> {
        let t = |s: &str| Some(Value::Text(s.to_string()));
        let o = |s: &Option<String>| s.as_deref().map(|s| Value::Text(s.to_string()));
        let all = [
            ("job_id", t(&self.job_id)),
            ("source_type", t(&self.source_type.to_string())),
            ("source_name", t(&self.source_name)),
            ("schema_name", o(&self.schema_name)),
            ("table_name", t(&self.table_name)),
            ("load_type", t(&self.load_type.to_string())),
            ("enabled", t(self.enabled)),
            ("target_container", t(&self.target_container)),
            ("target_folder_path", t(&self.target_folder_path)),
            ("watermark_column", o(&self.watermark_column)),
            ("primary_key", o(&self.primary_key)),
            ("partition_column", o(&self.partition_column)),
            ("chunk_size", Some(Value::Number(self.chunk_size))),
            ("parallelism", Some(Value::Number(self.parallelism))),
            ("notes", t(&self.notes)),
        ];
        all.into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }
}

/// The workbook spelling of a catalog name: plain when the database reads the plain name as
/// this exact name (PostgreSQL folds to lower case, Oracle to upper case), else `"quoted"`.
pub fn workbook_name(d: Dialect, name: &str) -> Result<String, rules::Problem> {
    let mut chars = name.chars();
    let plain_shape = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '#'));
    let folds_to_itself = match d {
        Dialect::Postgres => {
            name.to_ascii_lowercase() == name
                && !name.chars().any(|c| !c.is_ascii() && c.is_uppercase())
        }
        Dialect::Oracle => name.to_uppercase() == name,
        Dialect::MySql | Dialect::Sqlite | Dialect::MsSql => true,
    };
    let spelled = if plain_shape && folds_to_itself {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    };
    rules::identifier(&spelled).map(|()| spelled)
}

/// The cursor kind ingest would use for a catalog type, through the source's own type mapping.
pub fn cursor_kind(d: Dialect, data_type: &str) -> Option<CursorKind> {
    let t = data_type.trim().to_ascii_lowercase();
    let base: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let arrow = match d {
        Dialect::MySql => crate::source::mysql_types::map_column_type(&t),
        Dialect::Sqlite => crate::source::sqlite::map_declared_type(data_type),
        Dialect::MsSql => crate::source::mssql::types::map_type(&t),
        Dialect::Postgres => match base.as_str() {
            "smallint" | "integer" | "bigint" => Some(DataType::Int64),
            "date" => Some(DataType::Date32),
            "timestamp" if t.contains("with time zone") => Some(DataType::Timestamp(
                arrow::datatypes::TimeUnit::Microsecond,
                Some("UTC".into()),
            )),
            "timestamp" => Some(DataType::Timestamp(
                arrow::datatypes::TimeUnit::Microsecond,
                None,
            )),
            _ => None,
        },
        Dialect::Oracle => match base.as_str() {
            // NUMBER(p,0) loads as Int64 or Decimal128(p,0): both are integer cursors.
            "number" if t.ends_with(",0)") => Some(DataType::Int64),
            "date" | "timestamp" => Some(DataType::Timestamp(
                arrow::datatypes::TimeUnit::Microsecond,
                None,
            )),
            _ => None,
        },
    }?;
    crate::plan::column::cursor_kind(&arrow)
}

fn name_rank(name: &str) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    CURSOR_NAMES.iter().position(|p| match p.strip_prefix('^') {
        Some(start) => n.starts_with(start),
        None => n.contains(p),
    })
}

/// The cursor: a NOT NULL timestamp named like a modification time, else an identity integer.
fn cursor(d: Dialect, t: &TableInfo) -> Option<(&ColumnInfo, String)> {
    let timestamp = t
        .columns
        .iter()
        .filter(|c| {
            !c.nullable
                && matches!(
                    cursor_kind(d, &c.data_type),
                    Some(CursorKind::Timestamp | CursorKind::TimestampTz)
                )
        })
        .filter_map(|c| name_rank(&c.name).map(|r| (r, c)))
        .min_by_key(|(r, _)| *r);
    if let Some((_, c)) = timestamp {
        let why = format!(
            "INCREMENTAL on {}: NOT NULL {} named like a modification time",
            c.name, c.data_type
        );
        return Some((c, why));
    }
    t.columns
        .iter()
        .find(|c| c.identity && cursor_kind(d, &c.data_type) == Some(CursorKind::Int))
        .map(|c| {
            (
                c,
                format!(
                    "INCREMENTAL on {}: identity/sequence {} (new rows only; updates are not seen)",
                    c.name, c.data_type
                ),
            )
        })
}

/// A path segment from a catalog name: characters other than `[A-Za-z0-9_.-]` become `_`.
pub fn safe_segment(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "_".repeat(cleaned.len().max(1))
    } else {
        cleaned
    }
}

/// A valid job id from `{source}_{schema}_{table}`, unique ignoring case against `taken`
/// (which it joins): `_2`, `_3`, … appended on a clash.
pub fn job_id(parts: &[&str], taken: &mut HashSet<String>) -> String {
    let mut base = safe_segment(&parts.join("_"));
    if base.starts_with('.') {
        base.replace_range(0..1, "_");
    }
    base.truncate(rules::MAX_NAME_LEN - 8);
    let mut id = base.clone();
    let mut n = 1;
    while taken.contains(&id.to_ascii_lowercase()) {
        n += 1;
        id = format!("{base}_{n}");
    }
    taken.insert(id.to_ascii_lowercase());
    id
}

/// Propose the row of one table. `job_id` and folder are filled by the caller.
pub fn propose(ty: SourceType, source: &str, t: &TableInfo) -> Result<Proposal, rules::Problem> {
    let d = Dialect::of(ty);
    let schema_name = match (&t.schema, ty) {
        (_, SourceType::Sqlite) | (None, _) => None,
        (Some(s), _) => Some(workbook_name(d, s)?),
    };
    let table_name = workbook_name(d, &t.name)?;
    let mut notes = Vec::new();
    let pk = t.primary_key();
    let primary_key = if pk.is_empty() {
        notes.push(format!(
            "no primary key{}",
            if t.kind == Kind::View {
                " (a view)"
            } else {
                ""
            }
        ));
        None
    } else {
        Some(
            pk.iter()
                .map(|c| workbook_name(d, &c.name))
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
        )
    };
    let (load_type, watermark_column) = match cursor(d, t) {
        Some((c, why)) => {
            notes.push(why);
            (
                crate::config::LoadType::Incremental,
                Some(workbook_name(d, &c.name)?),
            )
        }
        None => {
            notes.push(
                "FULL: no cursor column (no NOT NULL modification timestamp, no identity key)"
                    .into(),
            );
            (crate::config::LoadType::Full, None)
        }
    };
    let partition = match pk[..] {
        [only] if cursor_kind(d, &only.data_type).is_some() => {
            Some((only, "single-column primary key"))
        }
        _ => t
            .columns
            .iter()
            .find(|c| c.identity && cursor_kind(d, &c.data_type) == Some(CursorKind::Int))
            .map(|c| (c, "identity column")),
    };
    let partition_column = match partition {
        Some((c, why)) => {
            notes.push(format!("partition on {} ({why})", c.name));
            Some(workbook_name(d, &c.name)?)
        }
        None => None,
    };
    let (about, basis) = match ty {
        SourceType::Sqlite => ("", "COUNT(*)"),
        _ => ("~", "catalog estimate"),
    };
    let (parallelism, estimate) = match t.rows {
        None => (1, "row estimate unknown: parallelism 1".to_string()),
        Some(n) => {
            let p = if n < SMALL_ROWS {
                1
            } else if n < MEDIUM_ROWS {
                2
            } else {
                4
            };
            (p, format!("{about}{n} rows ({basis}): parallelism {p}"))
        }
    };
    let parallelism = if partition_column.is_none() && parallelism > 1 {
        notes.push(format!(
            "{estimate}, but no partition column: parallelism 1"
        ));
        1
    } else {
        notes.push(estimate);
        parallelism
    };
    let width = t.columns.len();
    let chunk_size = match width {
        w if w > 3 * WIDE_COLUMNS => 20_000,
        w if w > WIDE_COLUMNS => 50_000,
        _ => crate::config::job::DEFAULT_CHUNK_SIZE as u64,
    };
    if chunk_size != crate::config::job::DEFAULT_CHUNK_SIZE as u64 {
        notes.push(format!("{width} columns: chunk_size {chunk_size}"));
    }
    Ok(Proposal {
        job_id: String::new(),
        source_type: ty,
        source_name: source.to_string(),
        schema_name,
        table_name,
        load_type,
        enabled: "N",
        target_container: DEFAULT_CONTAINER.to_string(),
        target_folder_path: String::new(),
        watermark_column,
        primary_key,
        partition_column,
        chunk_size,
        parallelism,
        notes: notes.join("; "),
        rows_estimate: t.rows,
        kind: t.kind,
    })
}

#[cfg(test)]
#[path = "propose_tests.rs"]
mod tests;
