//! The malformed-input corpus: a `Case` table runner and small builders for broken workbooks.
//!
//! Every case writes its files into a fresh folder (a good `secrets.toml` is there first),
//! runs the real binary (`validate` and `run`) with
//! `RUST_BACKTRACE=1`, and checks: exit 2, one output line naming both the expected place and
//! the expected reason, no panic text, no secret echoed, nothing written by `run`.

use crate::support::{HEADER, code, ingest_env, text};
use rust_xlsxwriter::{Formula, Workbook, Worksheet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The password in every secrets file of the corpus; it must never appear in any output.
pub const MARKER: &str = "MARKER-s3cr3t-9f2c";

/// A good secrets file: the workbook rows use `demo` and `output`.
pub const GOOD_SECRETS: &str = r#"
[sources.demo]
type = "sqlite"
path = "demo.sqlite"

[sources.pg]
type = "postgresql"
host = "127.0.0.1"
username = "postgres"
password = "MARKER-s3cr3t-9f2c"

[destinations.output]
path = "output"
"#;

/// One malformed input and what the product must say about it.
pub struct Case {
    /// Short unique name, printed on failure.
    pub name: &'static str,
    /// Writes the inputs into the folder; returns the workbook path (relative or absolute).
    pub build: fn(&Path) -> PathBuf,
    /// The place: `SourceConfig!L3  chunk_size`, `secrets.toml:sources.pg.port`, a file name…
    pub location: &'static str,
    /// Why: a substring on the same output line as `location`.
    pub message: &'static str,
    /// Extra environment variables.
    pub env: &'static [(&'static str, &'static str)],
}

/// A case run with `validate` and `run`, no extra environment.
pub const fn case(
    name: &'static str,
    build: fn(&Path) -> PathBuf,
    location: &'static str,
    message: &'static str,
) -> Case {
    Case {
        name,
        build,
        location,
        message,
        env: &[],
    }
}

impl Case {
    /// The same case with environment variables.
    pub const fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Case {
        self.env = env;
        self
    }
}

/// Run every case; panic once at the end listing every failing case.
pub fn check_all(cases: &[Case]) {
    let root = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, c) in cases.iter().enumerate() {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
        let dir = root.path().join(format!("case{i}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("secrets.toml"), GOOD_SECRETS).unwrap();
        let config = (c.build)(&dir);
        let config = config.to_string_lossy().into_owned();
        for cmd in ["validate", "run"] {
            if let Err(why) = check_one(&dir, cmd, &config, c) {
                failures.push(format!("[{}] {cmd}: {why}", c.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn check_one(dir: &Path, cmd: &str, config: &str, c: &Case) -> Result<(), String> {
    let mut env = vec![("RUST_BACKTRACE", "1")];
    env.extend_from_slice(c.env);
    let started = Instant::now();
    let out = ingest_env(dir, &[cmd, "--config", config], &env);
    let took = started.elapsed();
    let t = text(&out);
    let shown: String = t.chars().take(3000).collect();
    if code(&out) != 2 {
        return Err(format!("exit {} (want 2):\n{shown}", code(&out)));
    }
    let line_ok = t
        .lines()
        .any(|l| l.contains(c.location) && l.contains(c.message));
    if !line_ok {
        return Err(format!(
            "no line with `{}` and `{}`:\n{shown}",
            c.location, c.message
        ));
    }
    for bad in ["panicked", "RUST_BACKTRACE", "internal error", MARKER] {
        if t.contains(bad) {
            return Err(format!("output contains `{bad}`:\n{shown}"));
        }
    }
    if t.len() > 64 * 1024 {
        return Err(format!(
            "output is {} bytes: a value was not shortened",
            t.len()
        ));
    }
    if took > Duration::from_secs(20) {
        return Err(format!("took {took:?}"));
    }
    for folder in ["metadata", "logs", "output"] {
        if dir.join(folder).exists() {
            return Err(format!("{folder}/ was written"));
        }
    }
    Ok(())
}

/// 0-based index of a column of [`HEADER`].
pub fn col(name: &str) -> u16 {
    HEADER
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("{name} is not in HEADER")) as u16
}

/// The cells of a good job row for [`HEADER`]; each job its own target folder (named after
/// it), since two jobs may not share a table folder.
pub fn good_row(job_id: &str) -> [&str; 14] {
    [
        job_id, "SQLite", "demo", "", "t", "FULL", "Y", "raw", job_id, "", "", "", "", "output",
    ]
}

/// Write [`HEADER`] at `(row0, col0)` and `n` good rows below it (job ids `j1`, `j2`, …).
pub fn write_jobs(ws: &mut Worksheet, row0: u32, col0: u16, n: u32) {
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(row0, col0 + c as u16, *h).unwrap();
    }
    for r in 1..=n {
        let id = format!("j{r}");
        for (c, v) in good_row(&id).iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(row0 + r, col0 + c as u16, *v).unwrap();
            }
        }
    }
}

/// A workbook with a `SourceConfig` sheet of three good jobs (rows 2–4), then `edit`.
pub fn book(edit: impl FnOnce(&mut Worksheet)) -> Workbook {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("SourceConfig").unwrap();
    write_jobs(ws, 0, 0, 3);
    edit(ws);
    wb
}

/// Save a workbook as `ingestion_config.xlsx` in `dir`.
pub fn save(dir: &Path, mut wb: Workbook) -> PathBuf {
    let path = dir.join("ingestion_config.xlsx");
    wb.save(&path).unwrap();
    path
}

/// A value to put in one cell.
pub enum V {
    /// Text.
    S(&'static str),
    /// A number.
    N(f64),
    /// An Excel boolean.
    B(bool),
    /// A formula and its cached result (`None`: no cached value, as written by a library).
    F(&'static str, Option<&'static str>),
    /// An Excel date (year, month, day).
    D(u16, u8, u8),
}

/// Write one value at an Excel row (1-based) and a [`HEADER`] column.
pub fn put(ws: &mut Worksheet, row: u32, column: &str, v: V) {
    let (r, c) = (row - 1, col(column));
    match v {
        V::S(s) => ws.write_string(r, c, s).map(|_| ()),
        V::N(n) => ws.write_number(r, c, n).map(|_| ()),
        V::B(b) => ws.write_boolean(r, c, b).map(|_| ()),
        V::F(f, res) => {
            let f = Formula::new(f);
            let f = match res {
                Some(res) => f.set_result(res),
                None => f,
            };
            ws.write_formula(r, c, f).map(|_| ())
        }
        V::D(y, m, d) => {
            let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(y, m, d).unwrap();
            let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
            ws.write_datetime_with_format(r, c, &dt, &fmt).map(|_| ())
        }
    }
    .unwrap();
}

/// The good workbook with one cell changed, saved in `dir`.
pub fn one(dir: &Path, row: u32, column: &str, v: V) -> PathBuf {
    save(dir, book(|ws| put(ws, row, column, v)))
}

/// Write raw bytes as the workbook file `name` in `dir`.
pub fn raw(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The bytes of the good workbook.
pub fn good_bytes(dir: &Path) -> Vec<u8> {
    let p = save(dir, book(|_| {}));
    std::fs::read(p).unwrap()
}

/// Replace `secrets.toml` in `dir` and return the good workbook.
pub fn secrets(dir: &Path, toml: &str) -> PathBuf {
    std::fs::write(dir.join("secrets.toml"), toml).unwrap();
    save(dir, book(|_| {}))
}

/// The good workbook (after `edit`) with one zip part rewritten by `f`, re-zipped; e.g.
/// `xl/sharedStrings.xml` to put a value Excel's writer refuses (over 32,767 characters).
pub fn rezip(
    dir: &Path,
    edit: impl FnOnce(&mut Worksheet),
    part: &str,
    f: impl FnOnce(String) -> String,
) -> PathBuf {
    use std::io::{Read, Write};
    let good = save(dir, book(edit));
    let bytes = std::fs::read(&good).unwrap();
    let mut input = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut output = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut f = Some(f);
    for i in 0..input.len() {
        let mut entry = input.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).unwrap();
        if name == part {
            let change = f.take().unwrap();
            content = change(String::from_utf8(content).unwrap()).into_bytes();
        }
        output
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        output.write_all(&content).unwrap();
    }
    assert!(f.is_none(), "{part} is not in the workbook");
    let bytes = output.finish().unwrap().into_inner();
    raw(dir, "ingestion_config.xlsx", &bytes)
}

/// The good workbook with the text of one cell (Excel row, column) replaced by `text` of any
/// length, through the shared strings part (`text` must not need XML escaping).
pub fn text_cell(dir: &Path, row: u32, column: &str, text: &str) -> PathBuf {
    const MARK: &str = "REPLACE-ME-7f3a";
    rezip(
        dir,
        |ws| {
            ws.write_string(row - 1, col(column), MARK).unwrap();
        },
        "xl/sharedStrings.xml",
        |xml| xml.replace(MARK, text),
    )
}
