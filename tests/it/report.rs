//! `ingest report` from the audit of real runs, opened in headless Chromium: the DOM holds
//! the jobs and numbers, the screenshot is not blank, nothing is loaded from the network.

use crate::support::{self, HEADER, code, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Chromium from Debian (`chromium`), or another name on other systems.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(PathBuf::from)
}

/// Run headless Chromium on `url` with `args`; stdout. Killed after two minutes.
fn headless(browser: &Path, profile: &Path, args: &[&str], url: &str) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Any host name resolves to nothing: a page that tried the network would fail.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish in 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

/// Two real runs of the SQLite sample plus a job that fails, then the report.
fn audited_runs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::ingest(dir.path(), &["generate-sample", "--dir", "."]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = [
        support::job_row(
            "customers",
            "sqlite",
            "demo",
            "",
            "customers",
            "FULL",
            "",
            "",
            "",
            "",
        ),
        support::job_row(
            "orders",
            "sqlite",
            "demo",
            "",
            "orders",
            "INCREMENTAL",
            "updated_at",
            "order_id",
            "",
            "",
        ),
        support::job_row(
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
        ),
    ];
    support::write_workbook(&dir.path().join("jobs.xlsx"), HEADER, &rows);
    for _ in 0..2 {
        let out = support::ingest(
            dir.path(),
            &["run", "--config", "jobs.xlsx", "--secrets", "secrets.toml"],
        );
        assert_eq!(code(&out), 1, "ghost fails: {}", text(&out));
    }
    dir
}

#[test]
fn the_report_renders_in_chromium_with_the_runs_numbers_and_no_network() {
    let Some(browser) = chromium() else {
        return support::service_missing("Chromium", "apt-get install chromium");
    };
    let dir = audited_runs();
    let out = support::ingest(
        dir.path(),
        &["report", "--days", "7", "--out", "report.html"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("wrote report.html (2 runs, 3 jobs, last 7 days)"),
        "{}",
        text(&out)
    );
    let page = dir.path().join("report.html");
    let url = format!("file://{}", page.display());
    let profile = tempfile::tempdir().expect("profile");
    let dom = headless(&browser, profile.path(), &["--dump-dom"], &url);
    // The script ran and saw no resource load at all.
    assert!(
        dom.contains(r#"data-resources="0""#),
        "{}",
        &dom[..dom.len().min(600)]
    );
    // The last run: 3 jobs, 1 failed, 120,000 + 0 orders rows over the two runs.
    assert!(dom.contains(r#"id="last-jobs">3<"#), "last run has 3 jobs");
    assert!(dom.contains(r#"id="last-failed">1<"#));
    assert!(dom.contains(r#"id="last-status">FAILED<"#));
    for job in ["customers", "orders", "ghost"] {
        assert!(
            dom.contains(&format!(r#"<tr data-job="{job}" data-status="#)),
            "jobs table row of {job}"
        );
        assert!(
            dom.contains(&format!(r#"<g class="job" data-job="{job}">"#)),
            "timeline bar of {job}"
        );
    }
    assert!(
        dom.contains(r#"data-job="ghost" data-status="FAILED""#),
        "ghost's last status"
    );
    assert!(
        dom.contains("rows: 2 runs, min 0, max 120000, last 0"),
        "orders trend"
    );
    assert!(dom.contains("no such table"), "the failure's error");
    assert!(
        dom.contains("2024-01-20T08:19:54"),
        "orders' watermark in the lag table"
    );
    assert!(dom.contains(r#"<span id="shown">3</span>"#));
    // Filtering in the browser: only ghost stays visible.
    let dom = headless(
        &browser,
        profile.path(),
        &["--dump-dom"],
        &format!("{url}#filter=gho"),
    );
    assert!(
        dom.contains(r#"<span id="shown">1</span>"#),
        "filter applied"
    );
    assert_eq!(dom.matches(r#"data-status="SUCCESS" hidden"#).count(), 2);
    // Sorting by rows, descending: customers (1,000 rows) first.
    let dom = headless(
        &browser,
        profile.path(),
        &["--dump-dom"],
        &format!("{url}#sort=rows&dir=desc"),
    );
    let body = &dom[dom.find(r#"<table id="jobs">"#).expect("jobs table")..];
    let first = body.find(r#"<tr data-job="customers""#).unwrap();
    assert!(first < body.find(r#"<tr data-job="orders""#).unwrap());
    // A screenshot that is not blank.
    let shot = dir.path().join("shot.png");
    headless(
        &browser,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,900",
        ],
        &url,
    );
    let img = png::decode(&std::fs::read(&shot).expect("screenshot written"));
    assert_eq!((img.width, img.height), (1280, 900));
    let background = img.pixel(img.width - 2, img.height - 2);
    let differing = img.pixels().filter(|p| *p != background).count();
    assert!(
        differing * 50 > img.pixels().count(),
        "more than 2 % of the screenshot is drawn ({differing} pixels)"
    );
    assert!(
        img.pixels().any(|(r, g, b)| g > 100 && r < 80 && b < 80),
        "a green success bar is on screen"
    );
}

#[test]
fn no_audit_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::ingest(dir.path(), &["report"]);
    assert_eq!(code(&out), 1);
    assert!(
        text(&out).contains("has no job in the last 30 days; run `ingest run` first"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("report.html").exists());
}

/// Just enough PNG (8-bit RGB or RGBA, not interlaced) to look at a screenshot's pixels.
mod png {
    use std::io::Read;

    pub struct Image {
        pub width: usize,
        pub height: usize,
        channels: usize,
        data: Vec<u8>,
    }

    impl Image {
        pub fn pixel(&self, x: usize, y: usize) -> (u8, u8, u8) {
            let i = (y * self.width + x) * self.channels;
            (self.data[i], self.data[i + 1], self.data[i + 2])
        }
        pub fn pixels(&self) -> impl Iterator<Item = (u8, u8, u8)> + '_ {
            self.data.chunks(self.channels).map(|p| (p[0], p[1], p[2]))
        }
    }

    pub fn decode(bytes: &[u8]) -> Image {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        let (mut at, mut idat) = (8, Vec::new());
        let (mut width, mut height, mut channels) = (0, 0, 0);
        while at + 8 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let kind = &bytes[at + 4..at + 8];
            let data = &bytes[at + 8..at + 8 + len];
            match kind {
                b"IHDR" => {
                    width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                    height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                    assert_eq!(data[8], 8, "8-bit");
                    channels = match data[9] {
                        2 => 3,
                        6 => 4,
                        t => panic!("colour type {t}"),
                    };
                    assert_eq!(data[12], 0, "not interlaced");
                }
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            at += 12 + len;
        }
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .expect("zlib");
        let stride = width * channels;
        let mut out = vec![0u8; stride * height];
        for y in 0..height {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let a = if x >= channels {
                    out[y * stride + x - channels]
                } else {
                    0
                };
                let b = if y > 0 { out[(y - 1) * stride + x] } else { 0 };
                let c = if x >= channels && y > 0 {
                    out[(y - 1) * stride + x - channels]
                } else {
                    0
                };
                let pred = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    4 => {
                        let p = i16::from(a) + i16::from(b) - i16::from(c);
                        let (pa, pb, pc) = (
                            (p - i16::from(a)).abs(),
                            (p - i16::from(b)).abs(),
                            (p - i16::from(c)).abs(),
                        );
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    f => panic!("filter {f}"),
                };
                out[y * stride + x] = line[x].wrapping_add(pred);
            }
        }
        Image {
            width,
            height,
            channels,
            data: out,
        }
    }
}
