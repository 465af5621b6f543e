use super::*;
use crate::config::LoadType;
use chrono::TimeZone;

/// `jobs` jobs × `days` daily runs at 03:00, job i starting i seconds in, lasting i+1 s;
/// `bad` fails on the last day; `inc_*` jobs are incremental, their watermark the run day.
pub(super) fn history(jobs: usize, days: u32, now: DateTime<Utc>) -> Vec<AuditRecord> {
    let mut out = Vec::new();
    for d in (0..days).rev() {
        let day = (now - Duration::days(i64::from(d))).date_naive();
        let t0 = Utc.from_utc_datetime(&day.and_hms_opt(3, 0, 0).unwrap());
        let run_id = t0.format("%Y%m%dT%H%M%S.000000Z").to_string();
        for i in 0..jobs {
            let id = match i {
                0 => "bad".to_string(),
                1 => "inc_orders".to_string(),
                _ => format!("job_{i:03}"),
            };
            let start = t0 + Duration::seconds(i as i64 % 50);
            let failed = i == 0 && d == 0;
            out.push(AuditRecord {
                run_id: run_id.clone(),
                job_id: id,
                load_id: None,
                status: if failed {
                    AuditStatus::Failed
                } else {
                    AuditStatus::Success
                },
                load_type: if i == 1 {
                    LoadType::Incremental
                } else {
                    LoadType::Full
                },
                rows_extracted: 1000 + i as u64 * 10 + u64::from(d),
                rows_written: 1000 + i as u64 * 10 + u64::from(d),
                files: 1,
                bytes: 4096,
                watermark_from: None,
                watermark_to: (i == 1).then(|| format!("{}T01:00:00", day.format("%Y-%m-%d"))),
                duration_seconds: (i % 7 + 1) as f64,
                start_time: start,
                end_time: start + Duration::seconds((i % 7 + 1) as i64),
                error: failed.then(|| "query failed: relation \"<gone>\" does not exist".into()),
                schema_change: None,
                worker: None,
                reason: None,
            });
        }
    }
    out
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 9, 30, 0).unwrap()
}

#[test]
fn records_group_into_runs_and_jobs_within_the_period() {
    let r = Report::build(history(5, 10, now()), now(), 7);
    assert_eq!(r.runs.len(), 7, "only the last 7 days");
    assert_eq!(r.jobs.len(), 5);
    let last = r.last_run().unwrap();
    assert_eq!(last.records.len(), 5);
    assert_eq!(last.failed(), 1);
    assert_eq!(
        last.start,
        Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap()
    );
    let inc = r.jobs.iter().find(|j| j.job_id == "inc_orders").unwrap();
    assert_eq!(inc.records.len(), 7);
    let (wm, lag) = inc.watermark_lag(now()).unwrap();
    assert_eq!(wm, "2026-03-10T01:00:00");
    assert_eq!(lag, Some(Duration::minutes(510)));
    assert_eq!(human_lag(lag.unwrap()), "8h 30m");
}

#[test]
fn watermarks_parse_as_instants_or_not_at_all() {
    let t = |s| parse_instant(s).map(|d| d.to_rfc3339());
    assert_eq!(t("2026-01-02"), Some("2026-01-02T00:00:00+00:00".into()));
    assert_eq!(
        t("2026-01-02 03:04:05.5"),
        Some("2026-01-02T03:04:05.500+00:00".into())
    );
    assert_eq!(
        t("2026-01-02T03:04:05+02:00"),
        Some("2026-01-02T01:04:05+00:00".into())
    );
    assert_eq!(t("12345"), None);
}

#[test]
fn the_critical_path_chains_jobs_that_waited() {
    let t0 = now();
    let rec = |id: &str, from: i64, to: i64| AuditRecord {
        job_id: id.into(),
        start_time: t0 + Duration::seconds(from),
        end_time: t0 + Duration::seconds(to),
        ..history(1, 1, now()).remove(0)
    };
    // a (0-10) → c (10-30) → d (30-35); b (0-5) runs beside.
    let recs = vec![
        rec("a", 0, 10),
        rec("b", 0, 5),
        rec("c", 10, 30),
        rec("d", 30, 35),
    ];
    let path: Vec<&str> = svg::critical_path(&recs)
        .into_iter()
        .map(|i| recs[i].job_id.as_str())
        .collect();
    assert_eq!(path, ["a", "c", "d"]);
    assert_eq!(svg::peak_parallelism(&recs), 2);
}

#[test]
fn the_page_is_self_contained_escaped_and_complete() {
    let mut recs = history(4, 3, now());
    recs.last_mut().unwrap().job_id = "<script>alert(1)</script>".into();
    let html = Report::build(recs, now(), 30).to_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script>alert(1)"), "escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for needle in [
        r#"id="last-failed">1<"#,
        "relation &quot;&lt;gone&gt;&quot; does not exist",
        "inc_orders",
        r#"class="gantt""#,
        r#"class="spark""#,
        "Content-Security-Policy",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // Nothing fetched: no src/href at all, no @import or url() in the CSS.
    for bad in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(bad), "found {bad}");
    }
}

#[test]
fn three_hundred_jobs_over_ninety_days_stay_small() {
    let html = Report::build(history(300, 90, now()), now(), 90).to_html();
    assert!(html.len() < 4_000_000, "{} bytes", html.len());
    assert_eq!(
        html.matches(r#"<tr data-job="#).count(),
        300 + 1 + 1,
        "jobs + failure + lag rows"
    );
}
