//! Tests for `generate-sample` (a sibling file of sample.rs to keep both short).
//!
//! The files in `samples/` are exactly what `generate(Path::new("samples"), true)` writes.
//! After changing the generator, refresh them with
//! `cargo test --lib regenerate_shipped_sample -- --ignored`; `shipped_sample_matches_generator`
//! fails until you do.

use super::*;
use crate::config::secrets::load_with_env;
use calamine::{Data, Reader, Xlsx, open_workbook};
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Connection, Row, SqliteConnection, sqlite::SqliteConnectOptions};

fn cells(path: &Path) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range(SHEET).unwrap();
    assert_eq!(range.start(), Some((0, 0)));
    range.rows().map(<[Data]>::to_vec).collect()
}

async fn open(path: &Path) -> SqliteConnection {
    let opts = SqliteConnectOptions::new().filename(path).read_only(true);
    SqliteConnection::connect_with(&opts).await.unwrap()
}

async fn scalar(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query(AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0)
}

/// Every schema object, plus for each table a hash of every row (values quoted with their type).
async fn db_digest(path: &Path) -> Vec<(String, String)> {
    let mut conn = open(path).await;
    let objects = sqlx::query("SELECT type, name, sql FROM sqlite_master ORDER BY name")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for o in objects {
        let (kind, name, sql): (String, String, Option<String>) = (o.get(0), o.get(1), o.get(2));
        out.push((format!("{kind} {name}"), sql.unwrap_or_default()));
        if kind != "table" {
            continue;
        }
        let cols = sqlx::query(AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{name}')"
        )))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let expr: Vec<String> = cols
            .iter()
            .map(|c| format!("quote(\"{}\")", c.get::<String, _>(0)))
            .collect();
        let sql = format!(
            "SELECT {} FROM \"{name}\" ORDER BY 1",
            expr.join(" || '|' || ")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let mut h = Sha256::new();
        for r in &rows {
            h.update(r.get::<String, _>(0).as_bytes());
            h.update(b"\n");
        }
        out.push((
            format!("rows {name}"),
            format!("{} {:x}", rows.len(), h.finalize()),
        ));
    }
    out
}

#[test]
fn secrets_template_loads_without_issues() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(SECRETS_FILE);
    std::fs::write(&p, SECRETS_TEMPLATE).unwrap();
    let (s, issues) = load_with_env(&p, Vec::new()).unwrap();
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(
        s.sources["demo"].path.as_deref(),
        Some(dir.path().join(DEMO_DB_FILE).as_path())
    );
    assert_eq!(
        s.destinations["output"].path.as_deref(),
        Some(dir.path().join("output").as_path())
    );

    // The commented examples are valid too: uncomment `# key = …` and `# [section]` lines.
    let uncommented: String = SECRETS_TEMPLATE
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase() || c == '[') => rest,
            _ => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&p, &uncommented).unwrap();
    let (s, issues) = load_with_env(&p, Vec::new()).unwrap();
    assert!(issues.is_empty(), "{issues:#?}");
    for name in ["sales_db", "shop", "erp", "finance", "demo", "crm_api"] {
        assert!(s.sources.contains_key(name), "{name}");
    }
    let adls = &s.destinations["adls"];
    assert_eq!(adls.max_retries, Some(10));
    assert!(adls.storage_account_key.is_some());
}

#[test]
fn workbook_has_header_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(WORKBOOK_FILE);
    std::fs::write(&p, workbook_bytes().unwrap()).unwrap();
    let rows = cells(&p);
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let expected: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 8);
    let get = |r: usize, name: &str| rows[r][col(name) as usize].clone();
    assert_eq!(get(1, "job_id"), Data::String("demo_customers_full".into()));
    assert_eq!(get(1, "destination"), Data::String("output".into()));
    assert_eq!(get(2, "chunk_size"), Data::Float(50_000.0));
    assert_eq!(get(2, "parallelism"), Data::Float(2.0));
    assert_eq!(
        get(2, "watermark_column"),
        Data::String("updated_at".into())
    );
    let Data::DateTime(d) = get(4, "last_watermark") else {
        panic!("not a date: {:?}", get(4, "last_watermark"));
    };
    assert_eq!(
        d.as_datetime().map(|d| d.date().to_string()),
        Some("2024-01-01".into())
    );
    assert_eq!(get(6, "last_watermark"), Data::Float(0.0));
    assert_eq!(get(7, "source_type"), Data::String("API".into()));
    assert_eq!(
        get(7, "api_endpoint"),
        Data::String("/v3/contacts?archived=false".into())
    );
    for r in 3..=7 {
        assert_eq!(get(r, "enabled"), Data::String("N".into()));
        assert_eq!(get(r, "destination"), Data::String("adls".into()));
    }
    // Deterministic output: the same bytes every time.
    assert_eq!(workbook_bytes().unwrap(), workbook_bytes().unwrap());
}

#[tokio::test]
async fn generate_refuses_without_force_and_overwrites_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new").join("config");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(SECRETS_FILE), "mine").unwrap();
    let err = generate(&out, false).await.unwrap_err();
    assert!(matches!(&err, SampleError::Exists { files, .. } if files == &[SECRETS_FILE]));
    assert!(err.to_string().contains("--force"), "{err}");
    let listing: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(listing.len(), 1, "wrote something: {listing:?}");
    assert_eq!(
        std::fs::read_to_string(out.join(SECRETS_FILE)).unwrap(),
        "mine"
    );

    let started = std::time::Instant::now();
    let paths = generate(&out, true).await.unwrap();
    eprintln!("generate took {:?}", started.elapsed());
    let names: Vec<_> = paths
        .iter()
        .filter_map(|p| p.file_name()?.to_str())
        .collect();
    assert_eq!(names, [WORKBOOK_FILE, SECRETS_FILE, DEMO_DB_FILE]);
    assert_eq!(
        std::fs::read_to_string(out.join(SECRETS_FILE)).unwrap(),
        SECRETS_TEMPLATE
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        3,
        "temporary files left behind"
    );

    let mut conn = open(&out.join(DEMO_DB_FILE)).await;
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM customers").await,
        demo_db::CUSTOMERS
    );
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) FROM orders").await,
        demo_db::ORDERS
    );
    for (table, column) in [
        ("customers", "email"),
        ("customers", "credit_limit"),
        ("orders", "notes"),
        ("orders", "shipped_at"),
        ("orders", "discount"),
    ] {
        let sql = format!("SELECT count(*) FROM {table} WHERE {column} IS NULL");
        let nulls = scalar(&mut conn, &sql).await;
        assert!(nulls > 10, "{table}.{column} has {nulls} NULLs");
    }
    // Realistic cursor: ties on updated_at, mostly increasing with order_id.
    let distinct = scalar(&mut conn, "SELECT count(DISTINCT updated_at) FROM orders").await;
    assert!(distinct < demo_db::ORDERS * 3 / 4, "{distinct} distinct");
    let dates = "SELECT count(*) FROM orders WHERE order_date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' \
                 OR updated_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]'";
    assert_eq!(scalar(&mut conn, dates).await, 0);
    let index = "SELECT count(*) FROM sqlite_master WHERE name = 'orders_updated_at'";
    assert_eq!(scalar(&mut conn, index).await, 1);
    conn.close().await.unwrap();

    // Without force, all three now block.
    let err = generate(&out, false).await.unwrap_err();
    assert!(matches!(&err, SampleError::Exists { files, .. } if files.len() == 3));
}

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

#[tokio::test]
async fn shipped_sample_matches_generator() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), false).await.unwrap();
    let shipped = shipped_dir();
    let text = |d: &Path| std::fs::read_to_string(d.join(SECRETS_FILE)).unwrap();
    assert_eq!(
        text(&shipped),
        text(dir.path()),
        "samples/secrets.toml is stale"
    );
    assert_eq!(
        cells(&shipped.join(WORKBOOK_FILE)),
        cells(&dir.path().join(WORKBOOK_FILE)),
        "samples/ingestion_config.xlsx is stale"
    );
    assert_eq!(
        db_digest(&shipped.join(DEMO_DB_FILE)).await,
        db_digest(&dir.path().join(DEMO_DB_FILE)).await,
        "samples/demo.sqlite is stale"
    );
}

/// Rewrites `samples/` from the generator; run on purpose with `-- --ignored`.
#[tokio::test]
#[ignore = "rewrites the shipped samples/ folder"]
async fn regenerate_shipped_sample() {
    generate(&shipped_dir(), true).await.unwrap();
}

#[test]
fn workbook_offers_target_format_and_write_disposition_lists() {
    let bytes = workbook_bytes().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    for list in ["\"parquet,delta\"", "\"append,replace,merge\""] {
        assert!(xml.contains(list), "no dropdown {list} in {xml}");
    }
}
