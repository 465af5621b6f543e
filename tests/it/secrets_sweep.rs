//! Secrets sweep (issue #7): for succeeding and failing runs against every source kind and
//! destination, no secret appears in stdout, stderr, logs, audit, state, manifests or data files
//! — as written, percent-encoded or base64 — also with `RUST_LOG=trace`.
//!
//! Every marker secret starts with [`scan::STEM`]; a case writes its own secrets.toml and
//! workbook into a scratch folder, runs `validate --connect` and `run` (text and JSON output,
//! with and without `RUST_LOG`), then scans every file of the folder and every output.

mod api;
mod azure;
mod databases;
mod scan;
mod serverless;

use crate::support;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the runs of a case must end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Every job succeeds; `validate --connect` reaches everything.
    Success,
    /// Every job fails; `validate --connect` reports the failure (exit 1).
    Failure,
    /// Every job fails at its destination (exit 1), which a dry run does not touch (exit 0).
    DestinationFailure,
}

/// A scratch folder with `secrets.toml` and `jobs.xlsx`.
pub(crate) struct Case {
    /// The folder (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Case {
    /// Write the secrets file and a workbook of `rows` (in [`support::HEADER`] order).
    pub fn new(secrets: &str, rows: &[Vec<&str>]) -> Case {
        Case::with_header(secrets, support::HEADER, rows)
    }

    /// [`Case::new`] with the workbook columns `header`.
    pub fn with_header(secrets: &str, header: &[&str], rows: &[Vec<&str>]) -> Case {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("secrets.toml"), secrets).expect("secrets");
        support::write_workbook(&dir.path().join("jobs.xlsx"), header, rows);
        Case { dir }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run `validate --connect` and `run` in text and JSON, plain and with `RUST_LOG` at
    /// debug / trace, plus a `--dry-run`; check each exit code against `expect`. `env` is
    /// passed to every command (e.g. a secret given as an `INGEST__…` override).
    pub fn exercise(&self, expect: Expect, env: &[(&str, &str)]) -> Vec<(String, Output)> {
        let validate = ["validate", "--config", "jobs.xlsx", "--connect"];
        let run = [
            "run",
            "--config",
            "jobs.xlsx",
            "--max-retries",
            "1",
            "--retry-backoff",
            "0",
        ];
        let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
            base.iter().chain(extra).map(|s| s.to_string()).collect()
        };
        let plans: Vec<(Vec<String>, Option<&str>)> = vec![
            (with(&validate, &[]), None),
            (with(&validate, &["--output", "json"]), Some("trace")),
            (with(&run, &[]), None),
            (
                with(&run, &["--output", "json", "--full-refresh"]),
                Some("trace"),
            ),
            (with(&run, &["--full-refresh"]), Some("debug")),
            (with(&run, &["--dry-run"]), Some("trace")),
        ];
        let mut outs = Vec::new();
        for (args, log) in plans {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut vars = env.to_vec();
            if let Some(level) = log {
                vars.push(("RUST_LOG", level));
            }
            let out = support::ingest_env(self.path(), &args, &vars);
            let label = format!(
                "`ingest {}`{}",
                args.join(" "),
                log.map(|l| format!(" RUST_LOG={l}")).unwrap_or_default()
            );
            // A dry run connects to the source to plan, so it fails like the real one.
            let dry = args.contains(&"--dry-run");
            let want = match expect {
                Expect::Success => 0,
                Expect::DestinationFailure if dry => 0,
                Expect::Failure | Expect::DestinationFailure => 1,
            };
            assert_eq!(
                support::code(&out),
                want,
                "{label}:\n{}",
                support::text(&out)
            );
            let text = support::text(&out);
            assert!(!text.contains("panicked"), "{label}:\n{text}");
            outs.push((label, out));
        }
        let logs = scan::files(&self.path().join("logs"));
        assert!(!logs.is_empty(), "the runs wrote a log file");
        if expect == Expect::Success {
            // The runs with RUST_LOG reached the drivers' own debug and trace events.
            let log: String = logs
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap_or_default())
                .collect();
            assert!(
                log.contains("| DEBUG |"),
                "no debug lines in the log:\n{log}"
            );
        }
        outs
    }

    /// Exercise the case and assert no form of any of `secrets` shows anywhere.
    pub fn sweep(
        &self,
        expect: Expect,
        env: &[(&str, &str)],
        secrets: &[&str],
    ) -> Vec<(String, Output)> {
        let outs = self.exercise(expect, env);
        let forms: Vec<_> = secrets.iter().flat_map(|s| scan::forms(s)).collect();
        scan::assert_clean(self.path(), &outs, &forms);
        outs
    }
}

/// The combined text of outputs, for asserting what the failures said.
pub(crate) fn all_text(outs: &[(String, Output)]) -> String {
    outs.iter()
        .map(|(l, o)| format!("{l}:\n{}\n", support::text(o)))
        .collect()
}

/// A TCP listener on loopback that answers every connection with garbage and closes it, so
/// drivers produce their own protocol error text.
pub(crate) struct Garbage {
    /// The port it listens on.
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Garbage {
    /// Start listening on a free port.
    pub fn start() -> Garbage {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf);
                        let _ = s.write_all(b"\x04\x01\x00\x30garbage \xff\xfe not a database\r\n\0\0\x13\x37 HTTP/1.1 500 nope\r\n\r\n");
                        let _ = s.flush();
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Garbage {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Garbage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A job row reading `table` from source `source` into destination `output`.
pub(crate) fn row<'a>(
    job: &'a str,
    kind: &'a str,
    source: &'a str,
    schema: &'a str,
    table: &'a str,
) -> Vec<&'a str> {
    support::job_row(job, kind, source, schema, table, "FULL", "", "", "", "")
}
