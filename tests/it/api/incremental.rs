//! INCREMENTAL API jobs: the stored lower bound is sent as `incremental_param`, the window is
//! applied on the client, and records at the boundary load exactly once.

use super::{ids, report, run, scratch};
use crate::api_server::{Resp, Server};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn rec(id: i64, at: &str) -> Value {
    json!({"id": id, "status": "open", "updated_at": at})
}

fn parse(t: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(t).unwrap_or_else(|e| panic!("{t}: {e}"))
}

#[test]
fn boundary_records_load_exactly_once_and_the_window_holds_on_the_client() {
    let data: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(vec![
        rec(1, "2024-05-01T10:00:00Z"),
        rec(2, "2024-05-01T11:00:00Z"),
        rec(3, "2024-05-01T12:00:00Z"),
        rec(4, "2024-05-01T13:00:00Z"),
        rec(5, "2024-05-01T13:00:00Z"),
    ]));
    // When `honest`, the server filters by `updated_since` (inclusive); else it ignores it.
    let honest = Arc::new(AtomicBool::new(true));
    let (rows, filter) = (data.clone(), honest.clone());
    let server = Server::start(move |r| {
        let all = rows.lock().unwrap().clone();
        let since = r
            .param("updated_since")
            .filter(|_| filter.load(Ordering::SeqCst))
            .map(parse);
        let page: i64 = r.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let kept: Vec<Value> = all
            .into_iter()
            .filter(|v| since.is_none_or(|s| parse(v["updated_at"].as_str().unwrap()) >= s))
            .collect();
        // Pages of 2, so the boundary rows straddle pages.
        let from = ((page - 1) * 2) as usize;
        Resp::json(json!({"data": kept.get(from..(from + 2).min(kept.len())).unwrap_or_default()}))
    });
    let sources = format!(
        "[sources.api]\ntype = \"api\"\nbase_url = \"{}\"\npagination = \"page\"\npage_size = 2\nincremental_param = \"updated_since\"\n",
        server.url
    );
    let mut r = super::row("inc", "api", "orders", "");
    r[3] = "INCREMENTAL";
    r[7] = "updated_at";
    r[8] = "id";
    let dir = scratch(&sources, &[r]);
    let p = dir.path();

    let (rc, reports, out) = run(p, &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(report(&reports, "inc")["rows"], 5, "{out}");
    assert_eq!(ids(p, "inc"), [1, 2, 3, 4, 5]);
    let first_run = server.requests().len();
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.param("updated_since").is_none()),
        "no bound on a first run"
    );

    // A new record at the watermark (13:00) and one after it; the server sends 4 and 5 again.
    data.lock().unwrap().extend([
        rec(6, "2024-05-01T13:00:00Z"),
        rec(7, "2024-05-01T14:00:00Z"),
    ]);
    let (rc, reports, out) = run(p, &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(report(&reports, "inc")["rows"], 2, "{out}");
    assert_eq!(ids(p, "inc"), [1, 2, 3, 4, 5, 6, 7], "each record once");
    let sent: Vec<String> = server.requests()[first_run..]
        .iter()
        .filter_map(|r| r.param("updated_since").map(str::to_string))
        .collect();
    assert!(!sent.is_empty(), "the stored bound was sent");
    for s in &sent {
        assert_eq!(parse(s), parse("2024-05-01T13:00:00Z"), "{s}");
    }

    // The server now ignores the bound: the client's window still reads only what is new.
    honest.store(false, Ordering::SeqCst);
    data.lock().unwrap().push(rec(8, "2024-05-01T15:00:00Z"));
    let (rc, reports, out) = run(p, &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(report(&reports, "inc")["rows"], 1, "{out}");
    assert_eq!(ids(p, "inc"), [1, 2, 3, 4, 5, 6, 7, 8], "each record once");

    // Nothing new: nothing loaded, nothing duplicated.
    let (rc, reports, out) = run(p, &[]);
    assert_eq!(rc, 0, "{out}");
    assert_eq!(report(&reports, "inc")["rows"], 0, "{out}");
    assert_eq!(ids(p, "inc"), [1, 2, 3, 4, 5, 6, 7, 8]);

    // A dry run shows the request and the window instead of SQL.
    data.lock().unwrap().push(rec(9, "2024-05-01T16:00:00Z"));
    let out = crate::support::ingest(p, &["run", "--config", "jobs.xlsx", "--dry-run"]);
    let text = crate::support::text(&out);
    assert_eq!(crate::support::code(&out), 0, "{text}");
    assert!(text.contains("chunk 0: GET orders\n"), "{text}");
    assert!(
        text.contains("window: updated_at from 2024-05-01T15:00:00"),
        "{text}"
    );
    assert!(text.contains("to 2024-05-01T16:00:00"), "{text}");
}
