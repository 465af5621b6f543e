use super::*;

#[test]
fn run_line_counts_what_ended() {
    assert_eq!(run_line(0, 7, 0, 0, 2), "0/7 jobs done, 2 running");
    assert_eq!(run_line(2, 7, 1, 0, 0), "2/7 jobs done, 1 failed");
    assert_eq!(
        run_line(4, 7, 1, 1, 3),
        "4/7 jobs done, 1 failed, 1 skipped, 3 running"
    );
}

#[tokio::test]
async fn jobs_register_count_and_log() {
    let run = RunProgress::new(&["a", "b", "c"]);
    let a = run.start_job("a");
    assert_eq!(run.summary(), "0/3 jobs done, 1 running");
    a.start(Some(1000));
    a.inc(300);
    a.add_bytes(2048);
    a.dec(100);
    a.inc(50);
    assert_eq!(a.rows(), 250);
    let line = a.shared.log_line().unwrap();
    assert!(line.starts_with("a: 250/1.0k rows (25%), "), "{line}");
    assert!(line.contains("2.0 KiB written"), "{line}");
    run.finish_job(&a, Outcome::Failed);
    run.count(Outcome::Skipped);
    assert_eq!(run.summary(), "2/3 jobs done, 1 failed, 1 skipped");
    let hidden = JobProgress::hidden("x");
    assert!(hidden.shared.log_line().is_none(), "planning: no line yet");
}
