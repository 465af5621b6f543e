//! Every auth kind (OAuth2 with tokens that expire during the load), the rate cap, and the
//! retries of 429 (honouring Retry-After) and 500.

use super::{ids, records, report, row, run, scratch};
use crate::api_server::{Req, Resp, Server};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// 30 records in pages of `limit` (`page`), for a request that `allowed` accepts; else 401.
fn pages_if(r: &Req, allowed: bool) -> Resp {
    if !allowed {
        return Resp::status(401, "who are you?");
    }
    let p: i64 = r.param("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let n: i64 = r.param("limit").and_then(|v| v.parse().ok()).unwrap_or(10);
    Resp::json(json!(records(((p - 1) * n).min(30), (p * n).min(30))))
}

#[test]
fn every_auth_kind_is_sent_as_configured() {
    // Tokens issued by /token live one second; the server refuses older ones.
    let issued: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let tokens = issued.clone();
    let server = Server::start(move |r| {
        let auth = r.header("authorization").unwrap_or_default().to_string();
        match r.path.as_str() {
            "/token" => {
                let form: HashMap<String, String> = url::form_urlencoded::parse(r.body.as_bytes())
                    .into_owned()
                    .collect();
                let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
                    && form.get("client_id").map(String::as_str) == Some("cid")
                    && form.get("client_secret").map(String::as_str) == Some("c-secret")
                    && form.get("scope").map(String::as_str) == Some("read:all");
                if !ok {
                    return Resp::status(400, "bad client");
                }
                let mut t = tokens.lock().unwrap();
                let token = format!("tok-{}", t.len() + 1);
                t.insert(token.clone(), Instant::now());
                Resp::json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 1}))
            }
            "/bearer" => pages_if(r, auth == "Bearer b-token"),
            // "user:p w" in base64.
            "/basic" => pages_if(r, auth == "Basic dXNlcjpwIHc="),
            "/header" => pages_if(r, r.header("x-key") == Some("k-header")),
            "/query" => pages_if(
                r,
                r.param("key") == Some("k-query") && r.header("x-tenant") == Some("acme"),
            ),
            "/oauth" => {
                let t = tokens.lock().unwrap();
                let fresh = auth
                    .strip_prefix("Bearer ")
                    .and_then(|tok| t.get(tok))
                    .is_some_and(|at| at.elapsed() < Duration::from_secs(1));
                pages_if(r, fresh)
            }
            _ => Resp::status(404, ""),
        }
    });
    let u = &server.url;
    let sources = format!(
        "[sources.bearer]\ntype = \"api\"\nbase_url = \"{u}\"\npagination = \"page\"\npage_size = 10\nbearer_token = \"b-token\"\n\n\
         [sources.basic]\ntype = \"api\"\nbase_url = \"{u}\"\npagination = \"page\"\npage_size = 10\nusername = \"user\"\npassword = \"p w\"\n\n\
         [sources.header]\ntype = \"api\"\nbase_url = \"{u}\"\npagination = \"page\"\npage_size = 10\napi_key = \"k-header\"\napi_key_header = \"X-Key\"\n\n\
         [sources.query]\ntype = \"api\"\nbase_url = \"{u}\"\npagination = \"page\"\npage_size = 10\napi_key = \"k-query\"\napi_key_param = \"key\"\nheaders = {{ X-Tenant = \"acme\" }}\n\n\
         [sources.oauth]\ntype = \"api\"\nbase_url = \"{u}\"\npagination = \"page\"\npage_size = 3\nmax_requests_per_second = 4\n\
         token_url = \"{u}/token\"\nclient_id = \"cid\"\nclient_secret = \"c-secret\"\nscope = \"read:all\"\n"
    );
    let dir = scratch(
        &sources,
        &[
            row("a_bearer", "bearer", "bearer", ""),
            row("a_basic", "basic", "basic", ""),
            row("a_header", "header", "header", ""),
            row("a_query", "query", "query", ""),
            // Pages of 3 at 4 requests per second: 10+ data requests over ~3 s, 3 token lives.
            row(
                "a_oauth",
                "oauth",
                "oauth",
                "page; page_size=3; limit_param=limit",
            ),
        ],
    );
    let (rc, reports, out) = run(dir.path(), &["--max-retries", "0"]);
    assert_eq!(rc, 0, "{out}");
    for id in ["a_bearer", "a_basic", "a_header", "a_query", "a_oauth"] {
        assert_eq!(report(&reports, id)["status"], "SUCCESS", "{id}: {out}");
    }
    for id in ["a_bearer", "a_basic", "a_header", "a_query"] {
        assert_eq!(ids(dir.path(), id), (0..30).collect::<Vec<_>>(), "{id}");
    }
    let reqs = server.requests();
    let oauth: Vec<&Req> = reqs.iter().filter(|r| r.path == "/oauth").collect();
    assert!(oauth.len() >= 10, "{} requests", oauth.len());
    let token_requests = reqs.iter().filter(|r| r.path == "/token").count();
    assert!(
        token_requests >= 2,
        "the token was refreshed as it expired: {token_requests} tokens"
    );
    // The rate cap: 4 per second, so requests leave at least 250 ms apart. The server sees
    // them with the network's jitter (one delayed arrival makes a short gap after it), so
    // judge spans of four gaps: at least 1 s when sent, at least 700 ms when seen.
    for span in oauth.windows(5) {
        let took = span[4].at - span[0].at;
        assert!(
            took >= Duration::from_millis(700),
            "5 requests within {took:?} under a cap of 4/s"
        );
    }
    // The key travels in the query and never in the log or the output.
    let log = std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect::<String>();
    for secret in ["k-query", "b-token", "c-secret", "k-header", "tok-1"] {
        assert!(
            !out.contains(secret) && !log.contains(secret),
            "{secret} leaked:\n{out}\n{log}"
        );
    }
}

#[test]
fn a_429_waits_for_retry_after_and_a_500_is_retried() {
    let calls = Arc::new(Mutex::new(0));
    let seen = calls.clone();
    let server = Server::start(move |r| {
        if r.path == "/always500" {
            return Resp::status(503, "down for maintenance");
        }
        let mut n = seen.lock().unwrap();
        *n += 1;
        match *n {
            // Inference's request, then the load's first: 429 with Retry-After, then 500.
            2 => Resp::status(429, "slow down").with("Retry-After", "2"),
            3 => Resp::status(500, "oops"),
            _ => Resp::json(json!({"data": records(0, 5)})),
        }
    });
    let sources = format!(
        "[sources.api]\ntype = \"api\"\nbase_url = \"{}\"\n",
        server.url
    );
    let dir = scratch(
        &sources,
        &[
            row("flaky", "api", "flaky", ""),
            row("down", "api", "always500?x=1", ""),
        ],
    );
    let (rc, reports, out) = run(
        dir.path(),
        &["--max-retries", "2", "--retry-backoff", "0.1"],
    );
    assert_eq!(rc, 1, "{out}");
    assert_eq!(report(&reports, "flaky")["status"], "SUCCESS", "{out}");
    assert_eq!(ids(dir.path(), "flaky"), [0, 1, 2, 3, 4]);
    let reqs: Vec<Req> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/flaky")
        .collect();
    assert_eq!(reqs.len(), 4, "inference, 429, 500, success");
    assert!(
        reqs[2].at - reqs[1].at >= Duration::from_millis(1900),
        "Retry-After: 2 was honoured"
    );
    assert!(
        reqs[3].at - reqs[2].at < Duration::from_millis(1500),
        "the 500 was retried after the backoff"
    );
    let down = report(&reports, "down")["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        down.contains("GET ")
            && down.contains(
                "/always500?x=1 (page 1): after 3 attempts: HTTP 503: down for maintenance"
            ),
        "{down}"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path == "/always500")
            .count(),
        3,
        "1 try + 2 retries"
    );
    assert!(out.contains("retrying in"), "{out}");
}
