//! Two jobs writing into one table folder (issue 11 §1): a workbook that asks for it is
//! refused with both cells named; two deployments that do it anyway keep each other's loads.

use crate::support::{self, HEADER, code, ingest, job_row, text, write_workbook};
use sqlx::{Connection, Executor, SqliteConnection};
use std::fs;
use std::path::{Path, PathBuf};

/// The scenario: `sales.orders` and `archive.orders` of one PostgreSQL source, both
/// into `raw/lake/pg_orders/`. Validation is pure, so no server is needed to refuse it.
#[test]
fn two_jobs_into_one_table_folder_are_refused_naming_both_cells() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("secrets.toml"),
        "[sources.pg]\ntype = \"postgresql\"\nhost = \"127.0.0.1\"\n\n[destinations.output]\npath = \"out\"\n",
    )
    .unwrap();
    let row = |job, schema| {
        job_row(
            job,
            "PostgreSQL",
            "pg",
            schema,
            "orders",
            "FULL",
            "",
            "",
            "",
            "",
        )
    };
    let mut archive = row("archive_orders", "archive");
    // Disabled rows count too, and folders compare as the lake sees them.
    archive[6] = "N";
    archive[8] = "./LAKE/";
    write_workbook(
        &dir.path().join("jobs.xlsx"),
        HEADER,
        &[row("sales_orders", "sales"), archive],
    );
    for command in ["validate", "run"] {
        let out = ingest(dir.path(), &[command, "--config", "jobs.xlsx"]);
        let t = text(&out);
        assert_eq!(code(&out), 2, "{command}: {t}");
        assert!(
            t.contains("SourceConfig!I3  target_folder_path  job `archive_orders` writes into the same table folder as job `sales_orders` (row 2, SourceConfig!I2)"),
            "{command}: {t}"
        );
        assert!(
            t.contains("hint:") && t.contains("another target_folder_path"),
            "{t}"
        );
    }
    assert!(!dir.path().join("out").exists(), "nothing ran");
    assert!(!dir.path().join("metadata").join("state").exists());
}

/// A SQLite file with `orders` (id, status): 3 open and 2 closed rows.
fn database(path: &Path) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(async {
            let mut c = SqliteConnection::connect(&url).await.expect("sqlite opens");
            c.execute(
                "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT);
                 INSERT INTO orders VALUES (1, 'open'), (2, 'open'), (3, 'open'), (4, 'closed'), (5, 'closed');",
            )
            .await
            .expect("table");
        });
}

/// One deployment: its own folder, workbook and state, writing into the shared `lake` folder.
fn deployment(root: &Path, job: &str, filter: &str) -> PathBuf {
    let dir = root.join(job);
    fs::create_dir_all(&dir).unwrap();
    let lake = root.join("lake");
    fs::write(
        dir.join("secrets.toml"),
        format!(
            "[sources.db]\ntype = \"sqlite\"\npath = {:?}\n\n[destinations.output]\npath = {:?}\n",
            root.join("shop.sqlite").display().to_string(),
            lake.display().to_string()
        ),
    )
    .unwrap();
    let mut header = HEADER.to_vec();
    header.push("query_filter");
    let mut row = job_row(job, "SQLite", "db", "", "orders", "FULL", "", "id", "", "");
    row.push(filter);
    write_workbook(&dir.join("jobs.xlsx"), &header, &[row]);
    dir
}

/// `(job_id, load_id, files)` of every manifest in the shared table folder.
fn manifests(table_dir: &Path) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<_> = fs::read_dir(table_dir.join("_ingest_loads"))
        .unwrap()
        .flatten()
        .map(|e| {
            let m: serde_json::Value =
                serde_json::from_slice(&fs::read(e.path()).unwrap()).unwrap();
            let files = m["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect();
            (
                m["job_id"].as_str().unwrap().to_string(),
                m["load_id"].as_str().unwrap().to_string(),
                files,
            )
        })
        .collect();
    out.sort();
    out
}

/// Two deployments (different workbooks and state folders: no validation can see both) load
/// `orders` split by status into the same folder. Each FULL run replaces only its own load;
/// the other job's manifest and files stay, and the run warns naming it.
#[test]
fn another_jobs_loads_in_the_folder_survive_a_full_load() {
    let root = tempfile::tempdir().unwrap();
    database(&root.path().join("shop.sqlite"));
    let open = deployment(root.path(), "open_orders", "status = 'open'");
    let closed = deployment(root.path(), "closed_orders", "status = 'closed'");
    let run = |dir: &Path| ingest(dir, &["run", "--config", "jobs.xlsx"]);
    let table_dir = root.path().join("lake/raw/lake/db_orders");

    let out = run(&open);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(&closed);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("also holds 1 loads of job open_orders"),
        "{}",
        text(&out)
    );
    let first_open = manifests(&table_dir)
        .into_iter()
        .find(|(j, _, _)| j == "open_orders")
        .unwrap();
    let out = run(&open);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("also holds 1 loads of job closed_orders"),
        "{}",
        text(&out)
    );

    let after = manifests(&table_dir);
    let jobs: Vec<&str> = after.iter().map(|(j, _, _)| j.as_str()).collect();
    assert_eq!(jobs, ["closed_orders", "open_orders"], "{after:?}");
    assert_ne!(
        after[1].1, first_open.1,
        "the earlier open_orders load is retired"
    );
    let container = root.path().join("lake/raw");
    for (job, _, files) in &after {
        for f in files {
            assert!(container.join(f).is_file(), "{job}: {f} listed and present");
            assert!(f.contains(&format!(".{job}.")), "{f} carries its job id");
        }
    }
    for f in &first_open.2 {
        assert!(
            !container.join(f).exists(),
            "{f} of the retired load removed"
        );
    }
    let rows = |files: &[String]| {
        let paths: Vec<PathBuf> = files.iter().map(|f| container.join(f)).collect();
        support::parquet_rows(&paths)
    };
    assert_eq!(rows(&after[0].2), 2, "closed_orders' rows");
    assert_eq!(rows(&after[1].2), 3, "open_orders' rows");
}
