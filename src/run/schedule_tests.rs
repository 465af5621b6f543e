use super::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Jobs by id with their dependencies; every other field is irrelevant here.
fn jobs(spec: &[(&str, &[&str], bool)]) -> Vec<Job> {
    spec.iter()
        .map(|(id, deps, enabled)| {
            let mut j = job(id);
            j.enabled = *enabled;
            j.depends_on = deps.iter().map(|d| d.to_string()).collect();
            j
        })
        .collect()
}

#[test]
fn stages_follow_the_longest_chain() {
    let all = jobs(&[
        ("a", &[], true),
        ("b", &["A"], true),
        ("c", &[], true),
        ("d", &["b", "c"], true),
        ("e", &["gone"], true),
    ]);
    let refs: Vec<&Job> = all.iter().collect();
    let waits = waits_for(&refs);
    assert_eq!(waits, vec![vec![], vec![0], vec![], vec![1, 2], vec![]]);
    assert_eq!(stages(&waits), vec![1, 2, 1, 3, 1]);
}

#[test]
fn with_deps_adds_enabled_upstream_transitively_in_workbook_order() {
    let all = jobs(&[
        ("a", &[], true),
        ("off", &[], false),
        ("b", &["a", "off"], true),
        ("c", &["B"], true),
        ("x", &[], true),
    ]);
    let picked = with_upstream(&all, vec![&all[3]]);
    let ids: Vec<&str> = picked.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

fn job(id: &str) -> Job {
    Job {
        job_id: id.into(),
        row: 2,
        source_type: crate::config::SourceType::Sqlite,
        source_name: "db".into(),
        schema_name: None,
        table_name: Some(id.into()),
        source_query: None,
        load_type: crate::config::LoadType::Full,
        enabled: true,
        target_container: "raw".into(),
        target_folder_path: "x".into(),
        watermark_column: None,
        last_watermark: None,
        primary_key: Vec::new(),
        partition_column: None,
        query_filter: None,
        chunk_size: 10,
        parallelism: 1,
        destination: "lake".into(),
        target_format: crate::config::TargetFormat::Parquet,
        write_disposition: crate::config::WriteDisposition::Append,
        schema_change: crate::config::SchemaChange::Evolve,
        depends_on: Vec::new(),
        variables: Default::default(),
        api: None,
    }
}

type Log = Rc<RefCell<Vec<String>>>;

/// Drive `waits` where job `i` sleeps `ms[i]` and ends as `end[i]`; returns the event log.
async fn drive_with(
    waits: &[Vec<usize>],
    ms: &[u64],
    end: &[Status],
    parallelism: usize,
) -> (Vec<JobReport>, Vec<String>) {
    let ids: Vec<String> = (0..waits.len()).map(|i| format!("j{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let log: Log = Rc::default();
    let running = Rc::new(RefCell::new(0usize));
    let start = |i: usize| {
        let (log, running, id, ms, status) =
            (log.clone(), running.clone(), ids[i].clone(), ms[i], end[i]);
        async move {
            *running.borrow_mut() += 1;
            assert!(*running.borrow() <= parallelism, "over parallelism");
            log.borrow_mut().push(format!("start {id}"));
            tokio::time::sleep(Duration::from_millis(ms)).await;
            log.borrow_mut().push(format!("end {id}"));
            *running.borrow_mut() -= 1;
            JobReport::empty(&id, status)
        }
        .boxed_local()
    };
    let skip = |i: usize, reason: String| {
        let (log, id) = (log.clone(), ids[i].clone());
        async move {
            log.borrow_mut().push(format!("skip {id}: {reason}"));
            let mut r = JobReport::empty(&id, Status::Skipped);
            r.reason = Some(reason);
            r
        }
        .boxed_local()
    };
    let reports = drive(waits, &id_refs, parallelism, true, start, skip).await;
    let events = log.borrow().clone();
    (reports, events)
}

use futures::FutureExt;

#[tokio::test]
async fn a_ready_job_does_not_wait_for_an_unrelated_slow_one() {
    // j0 slow; j1 fast; j2 after j1; parallelism 2: j2 starts while j0 still runs.
    let waits = vec![vec![], vec![], vec![1]];
    let ok = Status::Success;
    let (reports, log) = drive_with(&waits, &[400, 10, 10], &[ok, ok, ok], 2).await;
    assert!(reports.iter().all(|r| r.status == ok));
    let at = |e: &str| log.iter().position(|l| l == e).unwrap();
    assert!(at("start j2") < at("end j0"), "{log:?}");
    assert!(at("end j1") < at("start j2"), "{log:?}");
}

#[tokio::test]
async fn failures_skip_dependents_transitively_and_others_run() {
    let waits = vec![vec![], vec![0], vec![1], vec![]];
    let (ok, bad) = (Status::Success, Status::Failed);
    let (reports, log) = drive_with(&waits, &[10, 10, 10, 10], &[bad, ok, ok, ok], 1).await;
    let st: Vec<Status> = reports.iter().map(|r| r.status).collect();
    assert_eq!(st, [bad, Status::Skipped, Status::Skipped, ok]);
    assert_eq!(reports[1].reason.as_deref(), Some("dependency `j0` failed"));
    assert_eq!(
        reports[2].reason.as_deref(),
        Some("dependency `j1` was skipped")
    );
    assert!(
        !log.iter().any(|l| l == "start j1" || l == "start j2"),
        "{log:?}"
    );
}

#[tokio::test]
async fn parallelism_bounds_running_jobs() {
    let waits = vec![vec![]; 5];
    let ok = [Status::Success; 5];
    let (reports, _) = drive_with(&waits, &[30, 20, 10, 40, 5], &ok, 2).await;
    assert_eq!(reports.len(), 5);
}
