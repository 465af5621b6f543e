//! Whole loaders on in-memory bytes, for the fuzz targets (`fuzz/`) and their regression tests.

use crate::config::issue::{self, Issue};
use crate::config::{sample, secrets, validate, workbook};
use std::path::Path;
use std::sync::OnceLock;

/// The line that separates a secrets input from its `KEY=VALUE` environment lines.
pub const ENV_MARK: &[u8] = b"\n#ENV\n";

/// Load `bytes` as a workbook and validate it against `secrets`; the outcome as text
/// (the one-sentence error, or every issue rendered).
pub fn workbook(bytes: &[u8], secrets: &secrets::Secrets) -> String {
    match workbook::from_bytes(Path::new("fuzz.xlsx"), bytes.to_vec()) {
        Ok(sheet) => render(validate::validate(&sheet, secrets).issues),
        Err(e) => e.to_string(),
    }
}

/// Load `data` as secrets.toml — optionally followed by [`ENV_MARK`] and `KEY=VALUE` lines that
/// become `INGEST__KEY` overrides — and validate the sample workbook against it.
pub fn secrets(data: &[u8]) -> String {
    static SHEET: OnceLock<Option<workbook::Sheet>> = OnceLock::new();
    let sheet = SHEET.get_or_init(|| {
        let bytes = sample::workbook_bytes().ok()?;
        workbook::from_bytes(Path::new("sample.xlsx"), bytes).ok()
    });
    let (file, env) = match data.windows(ENV_MARK.len()).position(|w| w == ENV_MARK) {
        Some(i) => (&data[..i], &data[i + ENV_MARK.len()..]),
        None => (data, &[][..]),
    };
    let env: Vec<(String, String)> = String::from_utf8_lossy(env)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (format!("INGEST__{k}"), v.to_string()))
        .collect();
    match secrets::parse(Path::new("secrets.toml"), file.to_vec(), env) {
        Ok((secrets, mut issues)) => {
            if let Some(sheet) = sheet {
                issues.extend(validate::validate(sheet, &secrets).issues);
            }
            render(issues)
        }
        Err(e) => e.to_string(),
    }
}

fn render(mut issues: Vec<Issue>) -> String {
    issue::sort(&mut issues);
    // The JSON form is rendered too, so both renderers see every input.
    let _ = issue::render_json(&issues);
    issue::render_text(&issues)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions")
            .join(target);
        let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .map(|p| {
                        let bytes = std::fs::read(&p).expect("regression input reads");
                        (p, bytes)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    #[test]
    fn sample_inputs_load_cleanly() {
        let known = secrets::parse(
            Path::new("secrets.toml"),
            sample::SECRETS_TEMPLATE.as_bytes().to_vec(),
            [],
        )
        .expect("sample secrets parse")
        .0;
        let wb = sample::workbook_bytes().expect("sample workbook");
        assert_eq!(workbook(&wb, &known), issue::render_text(&[]));
        assert!(workbook(b"PK\x03\x04junk", &known).contains("fuzz.xlsx"));
        let bad = secrets(b"[sources.pg]\ntype = \"postgresql\"\nport = \"x\"\n");
        assert!(bad.contains("sources.pg.port"), "{bad}");
        let env = secrets(b"[sources.pg]\ntype = \"postgresql\"\n\n#ENV\nSOURCES__PG__PORT=abc\n");
        assert!(env.contains("INGEST__SOURCES__PG__PORT"), "{env}");
    }

    /// Inputs kept from fuzzing (`fuzz/regressions/`: deep corpus samples, and every finding
    /// once fixed) load without panicking and produce an answer.
    #[test]
    fn kept_fuzz_inputs_replay_without_panicking() {
        let empty = secrets::Secrets::default();
        let books = inputs("workbook");
        let files = inputs("secrets");
        assert!(
            !books.is_empty() && !files.is_empty(),
            "fuzz/regressions is missing"
        );
        for (path, bytes) in books {
            assert!(!workbook(&bytes, &empty).is_empty(), "{}", path.display());
        }
        for (path, bytes) in files {
            assert!(!secrets(&bytes).is_empty(), "{}", path.display());
        }
    }
}
