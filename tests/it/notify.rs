//! Notifications against a real local HTTP server: payloads received and checked, a webhook
//! answering 500 and one never answering are warnings, the exit code stays the jobs'.

use crate::support::{self, HEADER, code, job_row, text};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the server received: path and JSON body.
type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// An HTTP/1.1 server on 127.0.0.1: `/ok/*` answers 200, `/fail/*` 500, `/hang/*` never.
struct Server {
    port: u16,
    received: Received,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let received: Received = Arc::default();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let rec = received.clone();
        rt.spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, rec.clone()));
            }
        });
        Server {
            port,
            received,
            _rt: rt,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn bodies(&self) -> HashMap<String, serde_json::Value> {
        self.received.lock().unwrap().iter().cloned().collect()
    }
}

async fn serve(mut sock: tokio::net::TcpStream, received: Received) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let Ok(n) = sock.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (i + 4, length);
        }
    };
    while buf.len() < head_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(head.starts_with("POST "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let body: serde_json::Value =
        serde_json::from_slice(&buf[head_end..head_end + length]).expect("a JSON body");
    received.lock().unwrap().push((path.clone(), body));
    let status = if path.starts_with("/hang/") {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        return;
    } else if path.starts_with("/fail/") {
        "500 Internal Server Error"
    } else {
        "200 OK"
    };
    let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    let _ = sock.write_all(reply.as_bytes()).await;
}

/// A folder with the generated SQLite sample, a workbook of `rows` and `notifications`.
fn scratch(rows: &[Vec<&str>], notifications: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::ingest(dir.path(), &["generate-sample", "--dir", "."]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let secrets = std::fs::read_to_string(dir.path().join("secrets.toml")).unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!("{secrets}\n{notifications}"),
    )
    .unwrap();
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, rows);
    dir
}

fn run(dir: &Path) -> std::process::Output {
    support::ingest(
        dir,
        &["run", "--config", "jobs.xlsx", "--secrets", "secrets.toml"],
    )
}

fn orders() -> Vec<&'static str> {
    job_row(
        "orders", "sqlite", "demo", "", "orders", "FULL", "", "", "", "",
    )
}

#[test]
fn a_failed_run_notifies_every_webhook_and_keeps_its_exit_code() {
    let server = Server::start();
    let token = "TOKEN-d41d8cd98f00b204";
    let hooks = format!(
        "[notifications]\ntimeout_secs = 2\n\
         [notifications.webhooks.teams]\nkind = \"teams\"\nurl = \"{}\"\n\
         [notifications.webhooks.slack]\nkind = \"slack\"\nurl = \"{}\"\n\
         [notifications.webhooks.generic]\nkind = \"json\"\nurl = \"{}\"\n\
         [notifications.webhooks.broken]\nkind = \"json\"\nurl = \"{}\"\n\
         [notifications.webhooks.silent]\nkind = \"json\"\nurl = \"{}\"\n",
        server.url(&format!("/ok/teams/{token}")),
        server.url(&format!("/ok/slack/{token}")),
        server.url(&format!("/ok/json/{token}")),
        server.url(&format!("/fail/{token}")),
        server.url(&format!("/hang/{token}")),
    );
    let missing = job_row(
        "ghost",
        "sqlite",
        "demo",
        "",
        "no_such_table",
        "FULL",
        "",
        "",
        "",
        "",
    );
    let dir = scratch(&[orders(), missing], &hooks);
    let started = std::time::Instant::now();
    let out = run(dir.path());
    let all = text(&out);
    assert_eq!(
        code(&out),
        1,
        "the failed job decides the exit code:\n{all}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the silent webhook is given up after its timeout"
    );
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 5, "{:?}", bodies.keys());
    let teams = &bodies[&format!("/ok/teams/{token}")];
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = teams.to_string();
    assert!(card.contains("1 of 2 jobs failed"), "{card}");
    assert!(card.contains("**ghost**: "), "{card}");
    let slack = &bodies[&format!("/ok/slack/{token}")];
    assert!(slack["text"].as_str().unwrap().contains("FAILED"));
    let generic = &bodies[&format!("/ok/json/{token}")];
    assert_eq!(generic["status"], "FAILED");
    assert_eq!(generic["jobs_total"], 2);
    assert_eq!(generic["jobs_failed"], 1);
    let jobs = generic["jobs"].as_array().unwrap();
    let orders = jobs.iter().find(|j| j["job_id"] == "orders").unwrap();
    assert_eq!(orders["status"], "SUCCESS");
    assert!(orders["rows"].as_u64().unwrap() > 0);
    let ghost = jobs.iter().find(|j| j["job_id"] == "ghost").unwrap();
    assert!(
        ghost["error"].as_str().unwrap().contains("no_such_table"),
        "{ghost}"
    );
    assert!(!generic["run_id"].as_str().unwrap().is_empty());
    assert!(!generic["host"].as_str().unwrap().is_empty());
    // The audit log names the same run.
    let audit = std::fs::read_to_string(dir.path().join("metadata/audit_log.jsonl")).unwrap();
    assert!(audit.contains(generic["run_id"].as_str().unwrap()));
    // Warnings for the two that failed; never the URL's secret part.
    assert!(
        all.contains(
            "notification `broken` (json, http://127.0.0.1/…) not delivered: answered HTTP 500"
        ),
        "{all}"
    );
    assert!(
        all.contains(
            "notification `silent` (json, http://127.0.0.1/…) not delivered: did not answer in time"
        ),
        "{all}"
    );
    let logs: String = std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for (what, t) in [("output", &all), ("log", &logs)] {
        assert!(!t.contains(token), "the {what} shows a webhook URL:\n{t}");
    }
    for body in bodies.values() {
        assert!(!body.to_string().contains(token));
    }
}

#[test]
fn on_failure_is_quiet_after_a_good_run_and_always_is_not() {
    let server = Server::start();
    let hook = |on: &str| {
        format!(
            "[notifications]\non = \"{on}\"\n[notifications.webhooks.j]\nkind = \"json\"\nurl = \"{}\"\n",
            server.url(&format!("/ok/{on}"))
        )
    };
    let quiet = scratch(&[orders()], &hook("failure"));
    let out = run(quiet.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(server.bodies().is_empty(), "{:?}", server.bodies());
    let loud = scratch(&[orders()], &hook("always"));
    let out = run(loud.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let bodies = server.bodies();
    assert_eq!(bodies["/ok/always"]["status"], "SUCCESS");
    assert_eq!(bodies["/ok/always"]["jobs_succeeded"], 1);
}

#[test]
fn a_bad_notifications_table_is_a_validation_error() {
    let dir = scratch(
        &[orders()],
        "[notifications.webhooks.x]\nkind = \"teams\"\nurl = \"not a url SECRET\"\n",
    );
    let out = support::ingest(
        dir.path(),
        &[
            "validate",
            "--config",
            "jobs.xlsx",
            "--secrets",
            "secrets.toml",
        ],
    );
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(
        all.contains("`notifications.webhooks.x.url` must be an http:// or https:// URL"),
        "{all}"
    );
    assert!(!all.contains("SECRET"), "{all}");
}
