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

fn num(r: &Req, name: &str) -> Option<i64> {
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

/// Serves `/…` in pages: pages 1 to 5 (what inference samples) each hold `first` with its
/// `id` set to the page number, page 6 is the raw `sixth`, page 7 is empty.
fn six_pages(first: Value, sixth: &'static str) -> Server {
    Server::start(move |r| match num(r, "page").unwrap_or(1) {
        p @ 1..=5 => {
            let mut rec = first.clone();
            rec["id"] = json!(p);
            Resp::json(json!([rec]))
        }
        6 => Resp::status(200, sixth),
        _ => Resp::json(json!([])),
    })
}

fn failing(server: &Server, paging: &str) -> (String, tempfile::TempDir) {
    let sources = format!(
        "[sources.api]\ntype = \"api\"\nbase_url = \"{}\"\npagination = \"page\"\n",
        server.url
    );
    let dir = scratch(&sources, &[row("bad", "api", "/v1/things?kind=x", paging)]);
    let (rc, reports, out) = run(dir.path(), &["--max-retries", "0"]);
    assert_eq!(rc, 1, "{out}");
    assert_eq!(report(&reports, "bad")["status"], "FAILED", "{out}");
    assert!(
        !committed(dir.path(), "bad"),
        "nothing of a failed load is committed"
    );
    (
        report(&reports, "bad")["error"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        dir,
    )
}

#[test]
fn a_body_that_is_not_json_fails_naming_the_url_and_page() {
    let server = six_pages(json!({"id": 1}), "<html>oops</html>");
    let (error, _dir) = failing(&server, "");
    assert!(
        error.contains("/v1/things?kind=x&page=6 (page 6)"),
        "{error}"
    );
    assert!(
        error.contains("not JSON") && error.contains("<html>oops"),
        "{error}"
    );
}

#[test]
fn a_missing_records_path_fails_naming_it_and_the_page() {
    let server = Server::start(|r| match num(r, "page").unwrap_or(1) {
        p @ 1..=5 => Resp::json(json!({"data": {"items": [{"id": p}]}})),
        _ => Resp::json(json!({"data": {"other": []}})),
    });
    let (error, _dir) = failing(&server, "records_path=data.items");
    assert!(error.contains("(page 6)"), "{error}");
    assert!(error.contains("no `data.items` (records_path)"), "{error}");
}

#[test]
fn types_that_drift_across_pages_widen_only_when_exact() {
    // Page 6 changes int → whole float and float → int: exact, so the load succeeds.
    let server = six_pages(
        json!({"qty": 5, "price": 1.5}),
        r#"[{"id": 6, "qty": 7.0, "price": 3}]"#,
    );
    let sources = format!(
        "[sources.api]\ntype = \"api\"\nbase_url = \"{}\"\npagination = \"page\"\n",
        server.url
    );
    let dir = scratch(&sources, &[row("drift_ok", "api", "things", "")]);
    let (rc, _, out) = run(dir.path(), &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(ids(dir.path(), "drift_ok"), [1, 2, 3, 4, 5, 6]);
    let batches: Vec<_> = files(dir.path(), "drift_ok")
        .iter()
        .flat_map(|f| support::read_parquet(f))
        .collect();
    let qty: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("qty")
                .unwrap()
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(qty, [5, 5, 5, 5, 5, 7]);

    // A text value in the integer column is a conflict: the field, page and value are named.
    let server = six_pages(json!({"qty": 5}), r#"[{"id": 6, "qty": "lots"}]"#);
    let (error, _dir) = failing(&server, "");
    assert!(error.contains("field `qty` on page 6"), "{error}");
    assert!(error.contains("\"lots\""), "{error}");
    // So is a fraction.
    let server = six_pages(json!({"qty": 5}), r#"[{"id": 6, "qty": 2.5}]"#);
    let (error, _dir) = failing(&server, "");
    assert!(
        error.contains("field `qty` on page 6: value 2.5"),
        "{error}"
    );
}

#[test]
fn api_rows_validate_and_bad_cells_are_named() {
    let sources = "[sources.api]\ntype = \"api\"\nbase_url = \"https://api.example.com/v1\"\n";
    let mut get_with_body = row("body_on_get", "api", "orders", "");
    get_with_body[13] = "{\"a\": 1}";
    let mut post_bad_json = row("bad_json", "api", "orders", "");
    post_bad_json[11] = "POST";
    post_bad_json[13] = "{\"a\": ";
    let dir = scratch(
        sources,
        &[
            row("ok", "api", "orders?status=open", "offset; page_size=50"),
            row("no_endpoint", "api", "", ""),
            row("full_url", "api", "https://evil.example.com/x", ""),
            row("no_next", "api", "orders", "cursor"),
            row("bad_key", "api", "orders", "page; colour=blue"),
            get_with_body,
            post_bad_json,
        ],
    );
    let out = support::ingest(dir.path(), &["validate", "--config", "jobs.xlsx"]);
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    for expected in [
        "api_endpoint  required when source_type = API",
        "the endpoint must be a path relative to the source's base_url",
        "cursor pagination needs `next_cursor_path`",
        "`colour` is not an API option",
        "a GET request has no body",
        "the POST body is not JSON",
    ] {
        assert!(t.contains(expected), "missing `{expected}`:\n{t}");
    }
    for col in 'A'..='O' {
        assert!(
            !t.contains(&format!("SourceConfig!{col}2 ")),
            "row 2 is valid:\n{t}"
        );
    }
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
