//! API sources: tokens, keys, passwords and client secrets — and the OAuth2 access token the
//! server hands out — appear nowhere, also when the server echoes the request in its errors.

use super::{Case, Expect, all_text};
use crate::api::{HEADER, records, row};
use crate::api_server::{Req, Resp, Server};
use crate::support;
use serde_json::json;

const KEY: &str = "Sw33p-api-key-in-query";
const BEARER: &str = "Sw33p-api-bearer";
const PASSWORD: &str = "Sw33p-api-password";
const CLIENT_SECRET: &str = "Sw33p-api-client-secret";
const ACCESS: &str = "Sw33p-api-access-token";
const HEADER_VALUE: &str = "Sw33p-api-header";

/// Everything the request carried, as a server might echo it.
fn echo(r: &Req) -> String {
    format!(
        "{} {} {:?} {:?} {}",
        r.method, r.path, r.query, r.headers, r.body
    )
}

/// Sections of every auth kind against `url`.
fn sections(url: &str) -> String {
    format!(
        "[sources.key]\ntype = \"api\"\nbase_url = \"{url}\"\napi_key = \"{KEY}\"\napi_key_param = \"api_key\"\n\
         headers = {{ X-Extra = \"{HEADER_VALUE}\" }}\n\n\
         [sources.bearer]\ntype = \"api\"\nbase_url = \"{url}\"\nbearer_token = \"{BEARER}\"\n\n\
         [sources.basic]\ntype = \"api\"\nbase_url = \"{url}\"\nusername = \"reader\"\npassword = \"{PASSWORD}\"\n\n\
         [sources.oauth]\ntype = \"api\"\nbase_url = \"{url}\"\ntoken_url = \"{url}/token\"\n\
         client_id = \"cid\"\nclient_secret = \"{CLIENT_SECRET}\"\n\n\
         [destinations.output]\npath = \"out\"\n"
    )
}

fn rows() -> Vec<Vec<&'static str>> {
    ["key", "bearer", "basic", "oauth"]
        .into_iter()
        .map(|s| row(s, s, "items?x=1", "page; page_size=5"))
        .collect()
}

#[test]
fn api_secrets_appear_nowhere_on_success() {
    let server = Server::start(|r| match r.path.as_str() {
        "/token" => Resp::json(json!({"access_token": ACCESS, "expires_in": 3600})),
        "/items" => {
            let p: i64 = r.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            Resp::json(json!(records((p - 1) * 5, (p * 5).min(12))))
        }
        _ => Resp::json(json!({"ok": true})),
    });
    let case = Case::with_header(&sections(&server.url), HEADER, &rows());
    let secrets = [KEY, BEARER, PASSWORD, CLIENT_SECRET, ACCESS, HEADER_VALUE];
    case.sweep(Expect::Success, &[], &secrets);
    let files = support::parquet_files(&case.path().join("out"));
    assert_eq!(
        support::parquet_rows(&files),
        4 * 12,
        "12 records per job (FULL replaces)"
    );
    let reqs = server.requests();
    assert!(
        reqs.iter().any(|r| r.param("api_key") == Some(KEY)),
        "the key was sent"
    );
    assert!(
        reqs.iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {ACCESS}")))
    );
}

#[test]
fn api_secrets_appear_nowhere_when_the_server_echoes_them_in_errors() {
    let server = Server::start(|r| match r.path.as_str() {
        "/token" => Resp::status(400, &format!("bad client: {}", echo(r))),
        _ => Resp::status(500, &format!("internal error while serving {}", echo(r))),
    });
    let case = Case::with_header(&sections(&server.url), HEADER, &rows());
    let secrets = [KEY, BEARER, PASSWORD, CLIENT_SECRET, HEADER_VALUE];
    let outs = case.sweep(Expect::Failure, &[], &secrets);
    let text = all_text(&outs);
    assert!(
        text.contains("HTTP 500: internal error while serving GET /items"),
        "{text}"
    );
    assert!(
        text.contains("(\"api_key\", \"***\")"),
        "the echoed key is hidden:\n{text}"
    );
    assert!(text.contains("OAuth2 token from"), "{text}");
}
