//! The PostgreSQL and MariaDB type matrices into Delta: a column Delta cannot hold fails the
//! job naming it; with those columns cast in a view, the Delta table read back by the
//! Python deltalake and polars equals the Parquet path's files read by pyarrow, value by value.

use super::python;
use crate::support::{self, HEADER, code, ingest, job_row, text};
use std::path::Path;

/// Compares the Delta table (deltalake and polars) with the Parquet job's files (pyarrow);
/// prints the number of rows compared, or the first difference.
const COMPARE: &str = r#"
import sys, glob, json
import pyarrow.parquet as pq, pyarrow as pa
from deltalake import DeltaTable
import polars as pl
delta_uri, parquet_dir = sys.argv[1], sys.argv[2]
def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, float) and v != v:
        return "NaN"
    return v if v is None else str(v)
def rows(table):
    return sorted((plain(r) for r in table.to_pylist()), key=lambda r: int(r["id"]))
files = sorted(glob.glob(parquet_dir + "/*.parquet"))
want = rows(pa.concat_tables([pq.read_table(f) for f in files]))
got = rows(DeltaTable(delta_uri).to_pyarrow_table())
assert [list(r) for r in got][:1] == [list(r) for r in want][:1], (list(got[0]), list(want[0]))
for g, w in zip(got, want):
    for k in w:
        assert g[k] == w[k], f"deltalake: row {w['id']} column {k}: {g[k]!r} != {w[k]!r}"
assert len(got) == len(want), (len(got), len(want))
pol = pl.read_delta(delta_uri).to_arrow()
pol_rows = rows(pol)
for g, w in zip(pol_rows, want):
    for k in w:
        if isinstance(w[k], (dict, list)):
            continue  # polars renders nested values its own way; deltalake checked them
        assert g[k] == w[k] or float(g[k]) == float(w[k]), f"polars: row {w['id']} column {k}: {g[k]!r} != {w[k]!r}"
print(json.dumps({"rows": len(got), "columns": len(want[0])}))
"#;

/// Two FULL jobs over the same table or view: `types_pq` into Parquet under `pq/`,
/// `types_dl` into Delta under `dl/`; then the comparison. Returns (rows, columns) compared.
fn compare_paths(py: &Path, p: &Path, source: (&str, &str), table: &str) -> (u64, u64) {
    let mut header = HEADER.to_vec();
    header.push("target_format");
    let row = |job: &'static str, folder: &'static str, format: &'static str| {
        let mut r = job_row(
            job, source.0, source.1, "", table, "FULL", "", "id", "2", "1",
        );
        r[8] = folder;
        r.push(format);
        r
    };
    let rows = [
        row("types_pq", "pq", "parquet"),
        row("types_dl", "dl", "delta"),
    ];
    support::write_workbook(&p.join("jobs.xlsx"), &header, &rows);
    let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let delta = p.join(format!("out/raw/dl/{}_{table}", source.1));
    let parquet = p.join(format!("out/raw/pq/{}_{table}/{table}", source.1));
    let out = std::process::Command::new(py)
        .args([
            "-c",
            COMPARE,
            &delta.display().to_string(),
            &parquet.display().to_string(),
        ])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    (
        doc["rows"].as_u64().unwrap_or(0),
        doc["columns"].as_u64().unwrap_or(0),
    )
}

/// The whole table into Delta fails naming the first column Delta cannot hold.
fn refused(p: &Path, source: (&str, &str), table: &str, column: &str, why: &str) {
    let mut header = HEADER.to_vec();
    header.push("target_format");
    let mut r = job_row(
        "types_all",
        source.0,
        source.1,
        "",
        table,
        "FULL",
        "",
        "id",
        "2",
        "1",
    );
    r.push("delta");
    support::write_workbook(&p.join("jobs.xlsx"), &header, &[r]);
    let out = ingest(p, &["run", "--config", "jobs.xlsx"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(&format!("column `{column}`")) && t.contains(why),
        "{t}"
    );
}

fn scratch(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!("{source}\n[destinations.output]\npath = \"out\"\n"),
    )
    .expect("secrets");
    dir
}

#[test]
fn postgres_type_matrix_into_delta_equals_the_parquet_path() {
    let Some(py) = python() else { return };
    let url = crate::postgres::pg_url();
    // A copy of the matrix under names of its own (the PostgreSQL tests run meanwhile).
    let ddl = format!(
        "DROP VIEW IF EXISTS pg_dl_view; {}",
        crate::postgres::ALL_TYPES.replace("pg_it_", "pg_dl_")
    );
    if !support::admin_sql("PostgreSQL", &url, &ddl) {
        return;
    }
    let dir = scratch(&format!(
        "[sources.pg]\ntype = \"postgresql\"\nurl = \"{url}\"\n"
    ));
    let p = dir.path();
    refused(p, ("postgresql", "pg"), "pg_dl_all", "o", "signed integers");
    // oid, numeric(60,10), uuid and time cast as the error suggests, in a view; interval
    // stays a struct of (months, days, microseconds), arrays lists.
    let view = r#"CREATE VIEW pg_dl_view AS SELECT id, b, i2, i4, i8, o::int8 AS o, f4, f8, n,
        nbig::text AS nbig, nneg, nfree, t, vc, bp, nm, j, jb, by, u::text AS u, d,
        tm::text AS tm, ttz, ts, tstz, iv, ia, ta, mood, dom, ip, "MixedCase", "select"
        FROM pg_dl_all"#;
    assert!(support::admin_sql("PostgreSQL", &url, view));
    let (rows, columns) = compare_paths(&py, p, ("postgresql", "pg"), "pg_dl_view");
    assert_eq!((rows, columns), (4, 33));
    support::admin_sql(
        "PostgreSQL",
        &url,
        "DROP VIEW IF EXISTS pg_dl_view; DROP TABLE IF EXISTS pg_dl_all; DROP TYPE IF EXISTS pg_dl_mood; DROP DOMAIN IF EXISTS pg_dl_pos;",
    );
}

#[test]
fn mariadb_type_matrix_into_delta_equals_the_parquet_path() {
    let Some(py) = python() else { return };
    let url = crate::mysql::url();
    let table = "it_mysql_delta";
    let sql = format!(
        "SET SESSION sql_mode = ''; DROP TABLE IF EXISTS {table}; {}; {};",
        crate::mysql::TYPES_DDL.replace("it_mysql_types", table),
        crate::mysql::TYPES_ROWS.replace("it_mysql_types", table)
    );
    if !support::admin_sql("MariaDB/MySQL", &url, &sql) {
        return;
    }
    let dir = scratch(&format!(
        "[sources.my]\ntype = \"mysql\"\nurl = \"{url}\"\n"
    ));
    let p = dir.path();
    refused(p, ("mysql", "my"), table, "c_u8", "signed integers");
    // Unsigned integers widened (64-bit and BIT as text), DECIMAL(65,30) and TIME as text,
    // in a view.
    let view = format!(
        "CREATE OR REPLACE VIEW it_mysql_delta_view AS SELECT id, c_bool, c_i8,
         CAST(c_u8 AS SIGNED) c_u8, c_i16, CAST(c_u16 AS SIGNED) c_u16, c_i24,
         CAST(c_u24 AS SIGNED) c_u24, c_i32, CAST(c_u32 AS SIGNED) c_u32, c_i64,
         CAST(c_u64 AS CHAR) c_u64, c_dec, c_dec38, CAST(c_dec65 AS CHAR) c_dec65, c_f32, c_f64,
         c_vc, c_text, c_enum, c_set, c_json, c_bin, c_blob, CAST(c_bit + 0 AS CHAR) c_bit,
         c_date, CAST(c_time AS CHAR) c_time, c_dt, c_ts, c_year FROM {table}"
    );
    assert!(support::admin_sql("MariaDB/MySQL", &url, &view));
    let (rows, columns) = compare_paths(&py, p, ("mysql", "my"), "it_mysql_delta_view");
    assert_eq!((rows, columns), (5, 30));
    support::admin_sql(
        "MariaDB/MySQL",
        &url,
        &format!("DROP VIEW IF EXISTS it_mysql_delta_view; DROP TABLE IF EXISTS {table}"),
    );
}
