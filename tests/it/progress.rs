//! Progress as a person sees it: `ingest run` inside a real terminal (tmux), the screen
//! captured mid-run; and the heartbeat lines of a run whose output is not a terminal.

use crate::support::{self, HEADER, job_row};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn pg_url() -> String {
    std::env::var("INGEST_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn tmux_present() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, dir: &Path, command: &str) -> Tmux {
        let socket = format!("ingest-it-{}-{}", std::process::id(), rand_suffix(command));
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["-c", dir.to_str().unwrap()])
            .arg(format!("{command}; echo INGEST-EXIT=$?; sleep 600"))
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session");
        Tmux { socket }
    }

    /// The visible screen; with `escapes`, colours and attributes as escape sequences.
    fn screen(&self, escapes: bool) -> String {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "capture-pane", "-p"]);
        if escapes {
            cmd.arg("-e");
        }
        let out = cmd.output().expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Screens captured every 50 ms until the command exits (or `limit` passes).
    fn watch(&self, escapes: bool, limit: Duration) -> Vec<String> {
        let start = Instant::now();
        let mut screens = Vec::new();
        while start.elapsed() < limit {
            let s = self.screen(escapes);
            let done = s.contains("INGEST-EXIT=");
            screens.push(s);
            if done {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        screens
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix(seed: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (seed, Instant::now()).hash(&mut h);
    h.finish() % 100_000
}

fn scratch(rows: &[Vec<&str>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!(
            "[sources.pg]\ntype = \"postgresql\"\nurl = \"{}\"\n\n[destinations.output]\npath = \"out\"\n",
            pg_url()
        ),
    )
    .expect("secrets");
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, rows);
    dir
}

/// `prog_big`: 2M rows, analyzed (estimate right). `prog_low`: analyzed at 200k rows, then
/// grown to 1.5M with autovacuum off (estimate far too low).
fn setup_tables() -> std::sync::MutexGuard<'static, bool> {
    static DONE: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    // One setup; and one terminal test at a time (they time what they see).
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return done;
    }
    *done = support::admin_sql(
        "PostgreSQL",
        &pg_url(),
        "DROP TABLE IF EXISTS prog_big, prog_low;
         CREATE TABLE prog_big (id bigint PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
         INSERT INTO prog_big SELECT g, md5(g::text) FROM generate_series(1, 2000000) g;
         ANALYZE prog_big;
         CREATE TABLE prog_low (id bigint PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
         INSERT INTO prog_low SELECT g, md5(g::text) FROM generate_series(1, 200000) g;
         ANALYZE prog_low;
         INSERT INTO prog_low SELECT g, md5(g::text) FROM generate_series(200001, 1500000) g;",
    );
    done
}

fn jobs() -> Vec<Vec<&'static str>> {
    vec![
        job_row(
            "prog_big",
            "postgresql",
            "pg",
            "public",
            "prog_big",
            "FULL",
            "",
            "id",
            "50000",
            "1",
        ),
        job_row(
            "prog_low",
            "postgresql",
            "pg",
            "public",
            "prog_low",
            "FULL",
            "",
            "id",
            "50000",
            "1",
        ),
        job_row(
            "prog_missing",
            "postgresql",
            "pg",
            "public",
            "prog_no_such_table",
            "FULL",
            "",
            "id",
            "50000",
            "1",
        ),
    ]
}

fn percents(line: &str) -> Vec<u32> {
    line.split_whitespace()
        .filter_map(|w| w.strip_suffix('%')?.parse().ok())
        .collect()
}

#[test]
fn a_terminal_shows_bars_with_totals_and_a_run_line() {
    if !tmux_present() {
        return support::service_missing("tmux", "`tmux -V` failed; apt-get install tmux");
    }
    let tables = setup_tables();
    if !*tables {
        return;
    }
    let dir = scratch(&jobs());
    let cmd = format!(
        "unset NO_COLOR; {} run --config jobs.xlsx --secrets secrets.toml --parallelism 3",
        support::bin().display()
    );
    let tmux = Tmux::start(130, 20, dir.path(), &cmd);
    let screens = tmux.watch(true, Duration::from_secs(180));
    let last = screens.last().cloned().unwrap_or_default();
    assert!(last.contains("INGEST-EXIT=1"), "one job fails:\n{last}");
    let plain: Vec<String> = screens.iter().map(|s| strip_escapes(s)).collect();
    // The big job's bar, as a person reads it.
    let bar = plain
        .iter()
        .flat_map(|s| s.lines())
        .find(|l| {
            l.starts_with("prog_big")
                && l.contains("/2.0M rows")
                && l.contains('%')
                && l.contains("rows/s")
                && l.contains("written")
                && l.contains("ETA")
                && l.contains('█')
        })
        .unwrap_or_else(|| panic!("no bar of prog_big in:\n{}", plain.join("\n----\n")));
    assert!(percents(bar).iter().all(|p| *p < 100), "{bar}");
    // The run line.
    assert!(
        plain.iter().any(|s| s.contains("/3 jobs done")),
        "no run line:\n{}",
        plain.join("\n----\n")
    );
    assert!(
        plain
            .iter()
            .any(|s| s.contains("1/3 jobs done, 1 failed") || s.contains("2/3 jobs done, 1 failed")),
        "the run line counts the failure:\n{}",
        plain.join("\n----\n")
    );
    // The estimate that was too low never shows more than 100 %.
    for s in &plain {
        for l in s.lines().filter(|l| l.starts_with("prog_low")) {
            assert!(percents(l).iter().all(|p| *p < 100), "{l}");
        }
    }
    assert!(
        plain
            .iter()
            .any(|s| s.contains("prog_low") && s.contains("(estimate was 200k)")),
        "prog_low outgrows its estimate:\n{}",
        plain.join("\n----\n")
    );
    // Colour on a colour terminal.
    assert!(
        screens.iter().any(|s| s.contains("\x1b[32m")),
        "green bar expected"
    );
    // The summary replaces the bars.
    let end = strip_escapes(&last);
    assert!(end.contains("prog_big") && end.contains("2000000"), "{end}");
    assert!(
        !end.contains("jobs done"),
        "bars cleared at the end:\n{end}"
    );
}

#[test]
fn a_narrow_terminal_without_colour_still_fits() {
    if !tmux_present() {
        return support::service_missing("tmux", "`tmux -V` failed; apt-get install tmux");
    }
    let tables = setup_tables();
    if !*tables {
        return;
    }
    let dir = scratch(&jobs()[..1]);
    let cmd = format!(
        "NO_COLOR=1 {} run --config jobs.xlsx --secrets secrets.toml",
        support::bin().display()
    );
    let tmux = Tmux::start(44, 12, dir.path(), &cmd);
    let screens = tmux.watch(true, Duration::from_secs(180));
    assert!(
        screens.last().is_some_and(|s| s.contains("INGEST-EXIT=0")),
        "{:?}",
        screens.last()
    );
    let running: Vec<&String> = screens
        .iter()
        .filter(|s| {
            s.lines()
                .any(|l| l.starts_with("prog_big") && l.contains('%'))
        })
        .collect();
    assert!(
        !running.is_empty(),
        "no bar seen:\n{}",
        screens.join("\n----\n")
    );
    for s in &running {
        assert!(
            !s.contains("\x1b[3") && !s.contains("\x1b[1m"),
            "NO_COLOR: no colour or bold: {s:?}"
        );
        for l in s.lines().filter(|l| l.starts_with("prog_big")) {
            assert!(l.chars().count() < 44, "fits 44 columns: `{l}`");
            assert!(l.contains("ETA"), "the ETA survives narrowing: `{l}`");
        }
    }
}

#[test]
fn without_a_terminal_a_long_job_logs_a_progress_line() {
    // A view that yields a row every 50 ms: 60 rows take 3 s, whatever the machine.
    let ok = support::admin_sql(
        "PostgreSQL",
        &pg_url(),
        "CREATE OR REPLACE VIEW prog_slow AS
           SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 60) g
           WHERE pg_sleep(0.05) IS NOT NULL;",
    );
    if !ok {
        return;
    }
    let dir = scratch(&[job_row(
        "prog_slow",
        "postgresql",
        "pg",
        "public",
        "prog_slow",
        "FULL",
        "",
        "",
        "5",
        "1",
    )]);
    let out = support::ingest_env(
        dir.path(),
        &["run", "--config", "jobs.xlsx", "--secrets", "secrets.toml"],
        &[("INGEST_PROGRESS_INTERVAL_SECS", "1")],
    );
    let text = support::text(&out);
    assert_eq!(support::code(&out), 0, "{text}");
    let beat = text
        .lines()
        .find(|l| l.contains("| INFO | prog_slow: ") && l.contains(" rows/s, "))
        .unwrap_or_else(|| panic!("no heartbeat line:\n{text}"));
    assert!(
        beat.contains(" rows, ") && beat.contains("running"),
        "{beat}"
    );
    assert!(
        text.contains("| INFO | run: 0/1 jobs done, 1 running"),
        "{text}"
    );
    // The same lines are in the day's log file.
    let logs = std::fs::read_dir(dir.path().join("logs"))
        .expect("logs folder")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(logs.contains(" rows/s, "), "{logs}");
}

fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, c) if c.is_ascii_alphabetic() => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}
