use super::*;
use chrono::TimeDelta;

fn doc(holder: &str, released: Option<(i64, bool)>, expires_in: i64) -> LeaseDoc {
    let now = Utc::now();
    LeaseDoc {
        version: crate::table::lease::LEASE_VERSION,
        job_id: "u".into(),
        generation: 3,
        holder: holder.into(),
        run_id: "run-a".into(),
        acquired_at: now - TimeDelta::seconds(100),
        renewed_at: now - TimeDelta::seconds(10),
        expires_at: now + TimeDelta::seconds(expires_in),
        released_at: released.map(|(ago, _)| now - TimeDelta::seconds(ago)),
        succeeded: released.map(|(_, ok)| ok),
    }
}

#[test]
fn the_verdict_follows_the_holders_release() {
    let now = Utc::now();
    let round = now - TimeDelta::seconds(60);
    let judge = |d: &LeaseDoc| judge(Some(d), now, round, "b");
    // Held by a live worker: wait on.
    assert_eq!(judge(&doc("a", None, 30)), Verdict::Held);
    // Released with success during this round: loaded, dependents start.
    assert_eq!(judge(&doc("a", Some((5, true)), 0)), Verdict::Loaded);
    // Released after a failure: this worker runs it.
    assert_eq!(judge(&doc("a", Some((5, false)), 0)), Verdict::Free);
    // Lapsed (the holder died): taken over here.
    assert_eq!(judge(&doc("a", None, -1)), Verdict::Free);
    // Released with success before this round began: an earlier round's load, run it here.
    assert_eq!(judge(&doc("a", Some((120, true)), 0)), Verdict::Free);
    // This worker's own release is never another worker's load.
    assert_eq!(judge(&doc("b", Some((5, true)), 0)), Verdict::Free);
    // No lease at all: free.
    assert_eq!(super::judge(None, now, round, "b"), Verdict::Free);
}

#[test]
fn the_poll_interval_is_a_quarter_lease_at_most_five_seconds() {
    assert_eq!(
        poll_interval(Duration::from_secs(60)),
        Duration::from_secs(5)
    );
    assert_eq!(
        poll_interval(Duration::from_secs(8)),
        Duration::from_secs(2)
    );
    assert_eq!(
        poll_interval(Duration::from_millis(200)),
        Duration::from_millis(100)
    );
}

#[test]
fn the_waited_reason_names_worker_job_and_run() {
    let d = doc("vm1", Some((5, true)), 0);
    let r = waited_reason("orders", &d);
    assert!(
        r.starts_with("waited for worker vm1's load of orders (run run-a, finished 20"),
        "{r}"
    );
}

#[tokio::test]
async fn a_cancel_cuts_the_sleep_short() {
    let cancel = AtomicBool::new(true);
    let started = Instant::now();
    assert!(!sleep_unless(&cancel, Duration::from_secs(30)).await);
    assert!(started.elapsed() < Duration::from_secs(1));
    let go = AtomicBool::new(false);
    assert!(sleep_unless(&go, Duration::from_millis(10)).await);
}
