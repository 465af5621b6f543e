//! Pages that must fail a load (not JSON, no records, types that conflict) or convert exactly,
//! and the validation of API rows.

use super::{committed, files, ids, num, report, row, run, scratch};
use crate::api_server::{Resp, Server};
use crate::support::{self, code, text};
use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use serde_json::{Value, json};

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
