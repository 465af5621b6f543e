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
            Step::Ended(JobReport::empty(&id, status))
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

/// How a job behaves when started, in the cross-worker tests.
#[derive(Clone, Copy)]
enum Act {
    /// Runs `ms` here and ends as the status.
    Run(u64, Status),
    /// Another worker loaded it in this round.
    Loaded,
    /// Another worker holds it; waiting takes `ms` and then gives the next act.
    Held(u64, Then),
}

#[derive(Clone, Copy)]
enum Then {
    Loaded,
    Free,
    Failed,
}

/// Drive where job `i` acts `acts[i]` at its first start and `Run(10, Success)` at any later
/// one; returns the reports, the event log and how often each job was started.
async fn drive_acts(
    waits: &[Vec<usize>],
    acts: &[Act],
    parallelism: usize,
) -> (Vec<JobReport>, Vec<String>, Vec<usize>) {
    let ids: Vec<String> = (0..waits.len()).map(|i| format!("j{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let log: Log = Rc::default();
    let starts = Rc::new(RefCell::new(vec![0usize; waits.len()]));
    let running = Rc::new(RefCell::new(0usize));
    let start = |i: usize| {
        let (log, running, starts, id) =
            (log.clone(), running.clone(), starts.clone(), ids[i].clone());
        let first = starts.borrow()[i] == 0;
        starts.borrow_mut()[i] += 1;
        let act = if first {
            acts[i]
        } else {
            Act::Run(10, Status::Success)
        };
        async move {
            *running.borrow_mut() += 1;
            assert!(*running.borrow() <= parallelism, "over parallelism");
            log.borrow_mut().push(format!("start {id}"));
            let step = match act {
                Act::Run(ms, status) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Step::Ended(JobReport::empty(&id, status))
                }
                Act::Loaded => {
                    let mut r = JobReport::empty(&id, Status::Skipped);
                    r.reason = Some("loaded elsewhere".into());
                    Step::LoadedElsewhere(r)
                }
                Act::Held(ms, then) => {
                    let (l1, l2, id1, id2) = (log.clone(), log.clone(), id.clone(), id.clone());
                    let skip = async move {
                        l1.borrow_mut().push(format!("skip {id1}"));
                        let mut r = JobReport::empty(&id1, Status::Skipped);
                        r.reason = Some("held elsewhere".into());
                        r
                    };
                    let wait = async move {
                        l2.borrow_mut().push(format!("wait {id2}"));
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        l2.borrow_mut().push(format!("waited {id2}"));
                        let mut r = JobReport::empty(&id2, Status::Skipped);
                        match then {
                            Then::Loaded => {
                                r.reason = Some("waited".into());
                                Step::LoadedElsewhere(r)
                            }
                            Then::Free => Step::Free,
                            Then::Failed => {
                                r.status = Status::Failed;
                                Step::Ended(r)
                            }
                        }
                    };
                    Step::Held {
                        skip: skip.boxed_local(),
                        wait: wait.boxed_local(),
                    }
                }
            };
            log.borrow_mut().push(format!("end {id}"));
            *running.borrow_mut() -= 1;
            step
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
    let run = drive(waits, &id_refs, parallelism, true, start, skip);
    let reports = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("drive ends");
    let events = log.borrow().clone();
    let counts = starts.borrow().clone();
    (reports, events, counts)
}

#[tokio::test]
async fn a_job_another_worker_loaded_counts_as_met() {
    let waits = vec![vec![], vec![0]];
    let ok = Status::Success;
    let (reports, log, _) = drive_acts(&waits, &[Act::Loaded, Act::Run(10, ok)], 1).await;
    assert_eq!(reports[0].status, Status::Skipped);
    assert_eq!(reports[1].status, ok, "{log:?}");
}

#[tokio::test]
async fn a_held_job_with_a_dependent_is_waited_for_without_a_slot() {
    // Parallelism 1: j2 (independent) runs while j0 is waited for; j1 starts after the wait.
    let waits = vec![vec![], vec![0], vec![]];
    let ok = Status::Success;
    let acts = [
        Act::Held(300, Then::Loaded),
        Act::Run(10, ok),
        Act::Run(10, ok),
    ];
    let (reports, log, starts) = drive_acts(&waits, &acts, 1).await;
    let at = |e: &str| log.iter().position(|l| l == e).unwrap();
    assert!(at("end j2") < at("waited j0"), "{log:?}");
    assert!(at("waited j0") < at("start j1"), "{log:?}");
    assert_eq!(reports[0].reason.as_deref(), Some("waited"));
    assert_eq!(reports[1].status, ok);
    assert_eq!(starts, [1, 1, 1]);
}

#[tokio::test]
async fn a_held_job_nothing_depends_on_is_skipped_at_once() {
    let waits = vec![vec![], vec![]];
    let acts = [
        Act::Held(60_000, Then::Loaded),
        Act::Run(10, Status::Success),
    ];
    let (reports, log, _) = drive_acts(&waits, &acts, 2).await;
    assert_eq!(reports[0].reason.as_deref(), Some("held elsewhere"));
    assert!(!log.iter().any(|l| l == "wait j0"), "{log:?}");
}

#[tokio::test]
async fn a_freed_lease_starts_the_job_again_here_then_its_dependents() {
    let waits = vec![vec![], vec![0]];
    let ok = Status::Success;
    let (reports, log, starts) =
        drive_acts(&waits, &[Act::Held(50, Then::Free), Act::Run(10, ok)], 1).await;
    assert_eq!(starts, [2, 1], "{log:?}");
    assert_eq!(reports[0].status, ok);
    assert_eq!(reports[1].status, ok);
}

#[tokio::test]
async fn a_wait_that_fails_skips_the_dependents_as_failed() {
    let waits = vec![vec![], vec![0]];
    let ok = Status::Success;
    let (reports, _, starts) =
        drive_acts(&waits, &[Act::Held(50, Then::Failed), Act::Run(10, ok)], 1).await;
    assert_eq!(reports[0].status, Status::Failed);
    assert_eq!(reports[1].reason.as_deref(), Some("dependency `j0` failed"));
    assert_eq!(starts, [1, 0]);
}

#[tokio::test]
async fn a_wait_nobody_needs_any_more_is_called_off() {
    // j2 needs j0 (held for a minute) and j1, which fails: j2 is skipped, the wait ends.
    let waits = vec![vec![], vec![], vec![0, 1]];
    let acts = [
        Act::Held(60_000, Then::Loaded),
        Act::Run(100, Status::Failed),
        Act::Run(10, Status::Success),
    ];
    let (reports, log, _) = drive_acts(&waits, &acts, 2).await;
    assert!(log.iter().any(|l| l == "wait j0"), "{log:?}");
    assert_eq!(reports[0].reason.as_deref(), Some("held elsewhere"));
    assert_eq!(reports[2].reason.as_deref(), Some("dependency `j1` failed"));
}
