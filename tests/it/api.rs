//! API source (issue 15) end to end: `ingest` runs against a real HTTP server in this test
//! binary ([`crate::api_server`]); the Parquet files are read back with the parquet crate's
//! synchronous reader, a Delta table with Python deltalake and polars. This file: every
//! pagination type, nested values, and the pages that must fail a load.

use crate::api_server::{Req, Resp, Server};
use crate::support::{self, code, text};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

mod auth;
mod incremental;
mod pages;

/// The workbook columns API tests use.
pub(crate) const HEADER: &[&str] = &[
    "job_id",
    "source_type",
    "source_name",
    "load_type",
    "enabled",
    "target_container",
    "target_folder_path",
    "watermark_column",
    "primary_key",
    "destination",
    "api_endpoint",
    "api_method",
    "pagination_type",
    "source_query",
    "target_format",
];

/// An API row for [`HEADER`]: job `id` reads `endpoint` of source `source` into `out/raw/<id>`.
pub(crate) fn row<'a>(
    id: &'a str,
    source: &'a str,
    endpoint: &'a str,
    paging: &'a str,
) -> Vec<&'a str> {
    vec![
        id, "API", source, "FULL", "Y", "raw", id, "", "", "output", endpoint, "", paging, "", "",
    ]
}

/// A scratch folder: `secrets.toml` of `sources` plus a local destination, and `jobs.xlsx`.
pub(crate) fn scratch(sources: &str, rows: &[Vec<&str>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!("{sources}\n[destinations.output]\npath = \"out\"\n"),
    )
    .expect("secrets");
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, rows);
    dir
}

/// `ingest run` with `args`; the JSON summary, one report per job.
pub(crate) fn run(dir: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut all = vec!["run", "--config", "jobs.xlsx", "--output", "json"];
    all.extend_from_slice(args);
    let out = support::ingest(dir, &all);
    let reports = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (code(&out), reports, text(&out))
}

/// The report of job `id`.
pub(crate) fn report<'a>(reports: &'a [Value], id: &str) -> &'a Value {
    reports
        .iter()
        .find(|r| r["job_id"] == id)
        .unwrap_or_else(|| panic!("no report for {id}: {reports:?}"))
}

/// The Parquet files of job `id`.
pub(crate) fn files(dir: &Path, id: &str) -> Vec<PathBuf> {
    support::parquet_files(&dir.join("out/raw").join(id))
}

/// Every value of the Int64 column `id` in the job's Parquet files, sorted.
pub(crate) fn ids(dir: &Path, id: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for f in files(dir, id) {
        for b in support::read_parquet(&f) {
            let col = b.column_by_name("id").expect("id column");
            out.extend(col.as_primitive::<Int64Type>().iter().flatten());
        }
    }
    out.sort_unstable();
    out
}

/// Whether anything of job `id` was committed: a manifest or a state document.
pub(crate) fn committed(dir: &Path, id: &str) -> bool {
    let state = dir
        .join("metadata/state")
        .join(format!("{id}.json"))
        .exists();
    let mut stack = vec![dir.join("out")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains("_ingest_loads") {
                return true;
            }
        }
    }
    state
}

/// Record `i` of the test data: scalars, a nested object and a list.
pub(crate) fn record(i: i64) -> Value {
    json!({
        "id": i,
        "name": format!("customer {i}"),
        "amount": i as f64 * 1.5,
        "active": i % 2 == 0,
        "address": {"city": format!("city {}", i % 7), "zip": format!("{:05}", i)},
        "tags": ["t", format!("n{}", i % 3)],
    })
}

/// Records `from..to` of [`record`].
pub(crate) fn records(from: i64, to: i64) -> Vec<Value> {
    (from..to).map(record).collect()
}

pub(crate) fn num(r: &Req, name: &str) -> Option<i64> {
    r.param(name).and_then(|v| v.parse().ok())
}

/// Serves 250 records under every pagination type (and 200 for the empty-page stop).
fn paging_server() -> Server {
    Server::start(|r| {
        let total = 250;
        let slice = |from: i64, n: i64| records(from.min(total), (from + n).min(total));
        match r.path.as_str() {
            "/offset" => Resp::json(json!(slice(
                num(r, "offset").unwrap_or(0),
                num(r, "limit").unwrap_or(10)
            ))),
            "/page" => {
                let (p, n) = (num(r, "p").unwrap_or(1), num(r, "per_page").unwrap_or(10));
                Resp::json(json!({"data": records(((p - 1) * n).min(200), (p * n).min(200))}))
            }
            "/cursor" => {
                let at = r
                    .param("after")
                    .and_then(|c| c.strip_prefix('c'))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let page = slice(at, 100);
                let next = if at + 100 < total {
                    json!(format!("c{}", at + 100))
                } else {
                    Value::Null
                };
                Resp::json(json!({"result": {"rows": page}, "meta": {"next": next}}))
            }
            "/link" => {
                let p = num(r, "page").unwrap_or(1);
                let resp = Resp::json(json!(slice((p - 1) * 100, 100)));
                if p * 100 < total {
                    resp.with(
                        "Link",
                        &format!(
                            "</link?page=1>; rel=\"first\", </link?page={}>; rel=\"next\"",
                            p + 1
                        ),
                    )
                } else {
                    resp
                }
            }
            "/linkbody" => {
                let p = num(r, "p").unwrap_or(1);
                let next = if p * 100 < total {
                    json!(format!("linkbody?p={}", p + 1))
                } else {
                    Value::Null
                };
                Resp::json(json!({"items": slice((p - 1) * 100, 100), "links": {"next": next}}))
            }
            "/total" => {
                let p = num(r, "page").unwrap_or(1);
                Resp::json(json!({"count": total, "results": slice((p - 1) * 100, 100)}))
            }
            "/none" => Resp::json(json!({"results": slice(0, total)})),
            "/search" if r.method == "POST" => {
                let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
                if body != json!({"filter": {"owner": "p_post", "n": [1, "a\"b"]}}) {
                    return Resp::status(400, &format!("unexpected body {}", r.body));
                }
                let o = num(r, "offset").unwrap_or(0);
                Resp::json(json!({"hits": slice(o, 100)}))
            }
            _ => Resp::status(404, "no such endpoint"),
        }
    })
}

#[test]
fn every_pagination_type_loads_each_record_once_and_stops_where_it_should() {
    let server = paging_server();
    let sources = format!(
        "[sources.api]\ntype = \"api\"\nbase_url = \"{}/\"\npage_size = 100\n",
        server.url
    );
    let mut post = row("p_post", "api", "search", "offset; records_path=hits");
    post[11] = "POST";
    post[13] = r#"{"filter": {"owner": "{job_id}", "n": [1, "a\"b"]}}"#;
    let dir = scratch(
        &sources,
        &[
            row("p_offset", "api", "offset?job={job_id}", "offset"),
            row(
                "p_page",
                "api",
                "page",
                "page; page_param=p; limit_param=per_page; records_path=data",
            ),
            row(
                "p_cursor",
                "api",
                "/cursor",
                "cursor; cursor_param=after; next_cursor_path=meta.next; records_path=result.rows",
            ),
            row("p_link", "api", "link", "link"),
            row(
                "p_linkbody",
                "api",
                "linkbody",
                "link; next_url_path=links.next; records_path=items",
            ),
            row("p_total", "api", "total", "page; total_path=count"),
            row("p_none", "api", "none", "none; nested=json"),
            post,
        ],
    );
    let (rc, reports, out) = run(dir.path(), &[]);
    assert_eq!(rc, 0, "{out}");
    let all: Vec<i64> = (0..250).collect();
    for id in [
        "p_offset",
        "p_cursor",
        "p_link",
        "p_linkbody",
        "p_total",
        "p_none",
        "p_post",
    ] {
        assert_eq!(ids(dir.path(), id), all, "{id}: {out}");
        assert_eq!(report(&reports, id)["rows"], 250, "{id}");
    }
    assert_eq!(ids(dir.path(), "p_page"), (0..200).collect::<Vec<_>>());
    let reqs = server.requests();
    let count = |p: &str| reqs.iter().filter(|r| r.path == p).count();
    // Inference reads the first pages before the load reads them again.
    assert_eq!(
        count("/offset"),
        6,
        "100, 100, then a short page of 50 stops (twice)"
    );
    assert_eq!(
        count("/page"),
        6,
        "100, 100, then an empty page stops (twice)"
    );
    assert_eq!(
        count("/total"),
        6,
        "the total of 250 is reached on page 3 (twice)"
    );
    assert_eq!(count("/none"), 2, "one request to infer, one to load");
    let offsets: Vec<Option<&str>> = reqs
        .iter()
        .filter(|r| r.path == "/offset")
        .map(|r| r.param("offset"))
        .collect();
    assert_eq!(&offsets[3..], [Some("0"), Some("100"), Some("200")]);
    assert!(
        reqs.iter()
            .filter(|r| r.path == "/offset")
            .all(|r| r.param("limit") == Some("100") && r.param("job") == Some("p_offset")),
        "page_size and {{job_id}} of the endpoint on every request"
    );
    assert!(
        reqs.iter()
            .filter(|r| r.path == "/search")
            .all(|r| r.method == "POST")
    );
    let cursors: Vec<Option<&str>> = reqs
        .iter()
        .filter(|r| r.path == "/cursor")
        .map(|r| r.param("after"))
        .collect();
    assert_eq!(&cursors[3..], [None, Some("c100"), Some("c200")]);

    // Nested values: Struct and List by default, JSON text with `nested = json`.
    let batch = &support::read_parquet(&files(dir.path(), "p_offset")[0])[0];
    let schema = batch.schema();
    assert!(matches!(
        schema.field_with_name("address").unwrap().data_type(),
        DataType::Struct(_)
    ));
    assert!(matches!(
        schema.field_with_name("tags").unwrap().data_type(),
        DataType::List(_)
    ));
    assert_eq!(
        schema.field_with_name("amount").unwrap().data_type(),
        &DataType::Float64
    );
    assert_eq!(
        schema.field_with_name("active").unwrap().data_type(),
        &DataType::Boolean
    );
    let batch = &support::read_parquet(&files(dir.path(), "p_none")[0])[0];
    let address = batch.column_by_name("address").unwrap();
    assert_eq!(address.data_type(), &DataType::Utf8);
    let first: Value = serde_json::from_str(address.as_string::<i32>().value(0)).unwrap();
    assert_eq!(first, json!({"city": "city 0", "zip": "00000"}));
    let tags = batch.column_by_name("tags").unwrap().as_string::<i32>();
    assert_eq!(tags.value(1), r#"["t","n1"]"#);
}

#[test]
fn an_api_row_loads_into_a_delta_table() {
    let Some(py) = python() else { return };
    let server = Server::start(|r| {
        let p = num(r, "page").unwrap_or(1);
        Resp::json(json!({"data": records((p - 1) * 40, (p * 40).min(90))}))
    });
    let sources = format!(
        "[sources.api]\ntype = \"api\"\nbase_url = \"{}\"\npagination = \"page\"\npage_size = 40\n",
        server.url
    );
    let mut r = row("to_delta", "api", "customers", "");
    r[14] = "delta";
    let dir = scratch(&sources, &[r]);
    let (rc, reports, out) = run(dir.path(), &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(report(&reports, "to_delta")["rows"], 90);
    let uri = dir.path().join("out/raw/to_delta/api_to_delta");
    let doc = crate::delta::read(
        &py,
        &uri.display().to_string(),
        &Value::Null,
        None,
        "to_delta",
    );
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 90);
    assert_eq!(rows[89]["id"], 89);
    assert_eq!(rows[3]["name"], "customer 3");
}

/// The Python with deltalake and polars, or `None` after [`support::service_missing`].
fn python() -> Option<PathBuf> {
    let py = std::env::var_os("INGEST_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::project_dir().join(".venv/bin/python"));
    let ok = std::process::Command::new(&py)
        .args(["-c", "import deltalake, polars"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::service_missing("Python with deltalake and polars", "run scripts/pyenv.sh");
        return None;
    }
    Some(py)
}
