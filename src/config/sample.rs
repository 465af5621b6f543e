//! `ingest generate-sample`: a ready-to-run template — the workbook, a secrets.toml and the demo
//! SQLite database — so `ingest generate-sample && ingest run` works with no server.

use crate::config::demo_db;
use crate::config::job::COLUMNS;
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DocProperties, ExcelDateTime, Format, Note, Workbook,
    Worksheet, XlsxError,
};
use std::path::{Path, PathBuf};

/// The workbook file name.
pub const WORKBOOK_FILE: &str = "ingestion_config.xlsx";
/// The secrets file name.
pub const SECRETS_FILE: &str = "secrets.toml";
/// The demo database file name.
pub const DEMO_DB_FILE: &str = "demo.sqlite";
/// The sheet holding the jobs.
pub const SHEET: &str = "SourceConfig";
/// The secrets.toml template text.
pub const SECRETS_TEMPLATE: &str = include_str!("sample_secrets.toml");

/// Why the sample could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// Some of the files exist and `--force` was not given.
    #[error("{} already has {}; nothing was written (use --force to overwrite)", dir.display(), files.join(", "))]
    Exists {
        /// The target folder.
        dir: PathBuf,
        /// The existing file names.
        files: Vec<String>,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The workbook could not be built.
    #[error("cannot write workbook {}: {source}", path.display())]
    Workbook {
        /// The file.
        path: PathBuf,
        /// The writer's error.
        source: XlsxError,
    },
    /// The demo database could not be built.
    #[error("cannot write demo database {}: {source}", path.display())]
    Database {
        /// The file.
        path: PathBuf,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// Write `ingestion_config.xlsx`, `secrets.toml` and `demo.sqlite` into `dir` (created if
/// needed) and return their paths. Without `force`, refuses (writing nothing) if any exists.
pub async fn generate(dir: &Path, force: bool) -> Result<Vec<PathBuf>, SampleError> {
    let names = [WORKBOOK_FILE, SECRETS_FILE, DEMO_DB_FILE];
    if !force {
        let files: Vec<String> = names
            .iter()
            .filter(|n| dir.join(n).exists())
            .map(|n| n.to_string())
            .collect();
        if !files.is_empty() {
            return Err(SampleError::Exists {
                dir: dir.to_path_buf(),
                files,
            });
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| SampleError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tmp: Vec<PathBuf> = names
        .iter()
        .map(|n| dir.join(format!(".{n}.{}.tmp", std::process::id())))
        .collect();
    let result = write_all(&tmp).await;
    let result = result.and_then(|()| {
        names.iter().zip(&tmp).try_for_each(|(n, t)| {
            std::fs::rename(t, dir.join(n)).map_err(|source| SampleError::Io {
                path: dir.join(n),
                source,
            })
        })
    });
    for t in &tmp {
        // Leftovers only exist when something failed; ignore "not found".
        let _ = std::fs::remove_file(t);
    }
    result.map(|()| names.iter().map(|n| dir.join(n)).collect())
}

async fn write_all(tmp: &[PathBuf]) -> Result<(), SampleError> {
    let [xlsx, toml, db] = tmp else {
        return Ok(());
    };
    for p in tmp {
        let _ = std::fs::remove_file(p);
    }
    let bytes = workbook_bytes().map_err(|source| SampleError::Workbook {
        path: xlsx.clone(),
        source,
    })?;
    std::fs::write(xlsx, bytes).map_err(|source| SampleError::Io {
        path: xlsx.clone(),
        source,
    })?;
    std::fs::write(toml, SECRETS_TEMPLATE).map_err(|source| SampleError::Io {
        path: toml.clone(),
        source,
    })?;
    demo_db::write(db)
        .await
        .map_err(|source| SampleError::Database {
            path: db.clone(),
            source,
        })
}

/// A cell of an example row.
enum Cell {
    S(&'static str),
    N(f64),
    Date(u16, u8, u8),
}

/// The example rows: `(column, value)` pairs.
fn example_rows() -> Vec<Vec<(&'static str, Cell)>> {
    use Cell::*;
    let common = |dest| [("target_container", S("raw")), ("destination", S(dest))];
    let mut rows = vec![
        vec![
            ("job_id", S("demo_customers_full")),
            ("source_type", S("SQLite")),
            ("source_name", S("demo")),
            ("table_name", S("customers")),
            ("load_type", S("FULL")),
            ("enabled", S("Y")),
            ("target_folder_path", S("demo")),
        ],
        vec![
            ("job_id", S("demo_orders_incr")),
            ("source_type", S("SQLite")),
            ("source_name", S("demo")),
            ("table_name", S("orders")),
            ("load_type", S("INCREMENTAL")),
            ("enabled", S("Y")),
            ("target_folder_path", S("demo")),
            ("watermark_column", S("updated_at")),
            ("primary_key", S("order_id")),
            ("chunk_size", N(50_000.0)),
            ("parallelism", N(2.0)),
            ("depends_on", S("demo_customers_full")),
        ],
        vec![
            ("job_id", S("sales_customers_full")),
            ("source_type", S("PostgreSQL")),
            ("source_name", S("sales_db")),
            ("schema_name", S("public")),
            ("table_name", S("customers")),
            ("load_type", S("FULL")),
            ("enabled", S("N")),
            ("target_folder_path", S("sales/snapshots/{yyyy}/{mm}/{dd}")),
        ],
        vec![
            ("job_id", S("erp_orders_incr")),
            ("source_type", S("MSSQL")),
            ("source_name", S("erp")),
            ("schema_name", S("dbo")),
            ("table_name", S("orders")),
            ("load_type", S("INCREMENTAL")),
            ("enabled", S("N")),
            ("target_folder_path", S("erp")),
            ("watermark_column", S("modified_at")),
            ("last_watermark", Date(2024, 1, 1)),
            ("primary_key", S("order_id")),
        ],
        vec![
            ("job_id", S("finance_employees_full")),
            ("source_type", S("Oracle")),
            ("source_name", S("finance")),
            ("schema_name", S("HR")),
            ("table_name", S("EMPLOYEES")),
            ("load_type", S("FULL")),
            ("enabled", S("N")),
            ("target_folder_path", S("finance")),
        ],
        vec![
            ("job_id", S("shop_products_incr")),
            ("source_type", S("MySQL")),
            ("source_name", S("shop")),
            ("table_name", S("products")),
            ("load_type", S("INCREMENTAL")),
            ("enabled", S("N")),
            ("target_folder_path", S("shop")),
            ("query_filter", S("created_at < {run_date}")),
            ("watermark_column", S("id")),
            ("last_watermark", N(0.0)),
            ("primary_key", S("id")),
        ],
        vec![
            ("job_id", S("crm_contacts_incr")),
            ("source_type", S("API")),
            ("source_name", S("crm_api")),
            ("load_type", S("INCREMENTAL")),
            ("enabled", S("N")),
            ("target_folder_path", S("crm")),
            ("watermark_column", S("updated_at")),
            ("primary_key", S("id")),
            ("api_endpoint", S("/v3/contacts?archived=false")),
            ("api_method", S("GET")),
            (
                "pagination_type",
                S("cursor; cursor_param=after; next_cursor_path=paging.next.after"),
            ),
        ],
    ];
    for (i, row) in rows.iter_mut().enumerate() {
        row.extend(common(if i < 2 { "output" } else { "adls" }));
    }
    rows
}

/// The 0-based column index of a workbook column.
fn col(name: &str) -> u16 {
    COLUMNS.iter().position(|(c, _)| *c == name).unwrap_or(0) as u16
}

fn column_width(name: &str) -> f64 {
    match name {
        "source_query" | "query_filter" => 36.0,
        "notes" => 60.0,
        "job_id" => 26.0,
        _ => (name.len() as f64 + 4.0).max(12.0),
    }
}

/// Build the template workbook in memory.
pub fn workbook_bytes() -> Result<Vec<u8>, XlsxError> {
    template_bytes(0, write_examples)
}

/// The 0-based column of a workbook column in the template, if [`COLUMNS`] has it.
pub fn column_index(name: &str) -> Option<u16> {
    COLUMNS
        .iter()
        .position(|(c, _)| *c == name)
        .map(|i| i as u16)
}

/// Build a workbook with the template's sheet (header with notes, widths, frozen header,
/// dropdowns down to row `rows + 1` or 1000 at least) and `write_rows` filling it.
pub fn template_bytes(
    rows: u32,
    write_rows: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(2024, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("ingest job configuration")
            .set_author("ingest")
            .set_creation_datetime(&created),
    );
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    write_template(ws, rows.max(999))?;
    write_rows(ws)?;
    wb.save_to_buffer()
}

fn write_template(ws: &mut Worksheet, last_row: u32) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    ws.set_default_note_author("ingest");
    for (i, (name, help)) in COLUMNS.iter().enumerate() {
        let c = i as u16;
        ws.write_string_with_format(0, c, *name, &bold)?;
        ws.insert_note(0, c, &Note::new(*help).add_author_prefix(false))?;
        ws.set_column_width(c, column_width(name))?;
    }
    ws.set_freeze_panes(1, 0)?;
    let lists: [(&str, &[&str]); 6] = [
        (
            "source_type",
            &["PostgreSQL", "MSSQL", "Oracle", "MySQL", "SQLite", "API"],
        ),
        ("load_type", &["FULL", "INCREMENTAL"]),
        ("enabled", &["Y", "N"]),
        ("schema_change", &["evolve", "fail"]),
        ("target_format", &["parquet", "delta"]),
        ("write_disposition", &["append", "replace", "merge"]),
    ];
    for (name, values) in lists {
        // A warning, not a stop: aliases such as "Postgres" or "yes" are accepted too.
        let dv = DataValidation::new()
            .allow_list_strings(values)?
            .set_error_style(DataValidationErrorStyle::Warning);
        ws.add_data_validation(1, col(name), last_row, col(name), &dv)?;
    }
    Ok(())
}

fn write_examples(ws: &mut Worksheet) -> Result<(), XlsxError> {
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in example_rows().iter().enumerate() {
        let r = r as u32 + 1;
        for (name, cell) in row {
            match cell {
                Cell::S(s) => ws.write_string(r, col(name), *s)?,
                Cell::N(n) => ws.write_number(r, col(name), *n)?,
                Cell::Date(y, m, d) => ws.write_datetime_with_format(
                    r,
                    col(name),
                    ExcelDateTime::from_ymd(*y, *m, *d)?,
                    &date,
                )?,
            };
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "sample_tests.rs"]
mod tests;
