//! Leak scanning: every form a secret could take (as written, lower/upper case, percent-encoded,
//! base64 in any alignment, hex), searched in every file under a folder and in command output.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The stem every marker secret of the sweep starts with: finding it anywhere is a leak.
pub(crate) const STEM: &str = "Sw33p";

/// The byte strings that betray `secret`.
pub(crate) fn forms(secret: &str) -> Vec<(String, Vec<u8>)> {
    let raw = secret.as_bytes();
    let mut out = vec![
        ("raw".to_string(), raw.to_vec()),
        (
            "lower-case".into(),
            secret.to_ascii_lowercase().into_bytes(),
        ),
        (
            "upper-case".into(),
            secret.to_ascii_uppercase().into_bytes(),
        ),
        ("percent-encoded".into(), percent(raw, false).into_bytes()),
        (
            "percent-encoded (lower hex)".into(),
            percent(raw, true).into_bytes(),
        ),
        ("hex".into(), hex(raw).into_bytes()),
    ];
    for (name, alphabet) in [("base64", STD), ("base64url", URL)] {
        for (i, core) in base64_cores(raw, alphabet).into_iter().enumerate() {
            out.push((format!("{name} (alignment {i})"), core.into_bytes()));
        }
    }
    out.retain(|(_, f)| f.len() >= 8);
    out
}

/// The forms of a base64 secret (an Azure key): the text itself and its decoded bytes.
pub(crate) fn key_forms(key: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = forms(key);
    let decoded = decode_base64(key);
    out.push(("decoded key".into(), decoded.clone()));
    out.push(("decoded key, hex".into(), hex(&decoded).into_bytes()));
    out
}

/// Every leak of any of `forms` (or of [`STEM`], in any case) in the files under `root` (except
/// `secrets.toml`, where the secrets belong) and in the outputs; empty when clean.
pub(crate) fn leaks(
    root: &Path,
    outputs: &[(String, Output)],
    forms: &[(String, Vec<u8>)],
) -> Vec<String> {
    let mut found = Vec::new();
    let stem = [
        ("stem".to_string(), STEM.as_bytes().to_vec()),
        (
            "stem (lower-case)".into(),
            STEM.to_ascii_lowercase().into_bytes(),
        ),
    ];
    let mut check = |place: &str, bytes: &[u8]| {
        // Every form is ASCII, so searching the lossy text finds exactly the byte matches.
        let text = String::from_utf8_lossy(bytes);
        for (form, needle) in forms.iter().chain(stem.iter()) {
            assert!(needle.is_ascii(), "the {form} form is not ASCII");
            let needle = String::from_utf8_lossy(needle);
            if let Some(at) = text.find(needle.as_ref()) {
                let bytes = text.as_bytes();
                let from = at.saturating_sub(80);
                let to = (at + needle.len() + 80).min(bytes.len());
                found.push(format!(
                    "{place}: {form} form at byte {at}: …{}…",
                    String::from_utf8_lossy(&bytes[from..to])
                ));
            }
        }
    };
    for file in files(root) {
        if file.file_name().is_some_and(|n| n == "secrets.toml") {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap_or_default();
        check(&file.display().to_string(), &bytes);
    }
    for (label, out) in outputs {
        check(&format!("{label}: stdout"), &out.stdout);
        check(&format!("{label}: stderr"), &out.stderr);
    }
    found
}

/// Panic with every leak found (see [`leaks`]).
pub(crate) fn assert_clean(root: &Path, outputs: &[(String, Output)], forms: &[(String, Vec<u8>)]) {
    let found = leaks(root, outputs, forms);
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

/// Every file under `root`, recursively.
pub(crate) fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn percent(b: &[u8], lower: bool) -> String {
    b.iter()
        .map(|&c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                (c as char).to_string()
            } else if lower {
                format!("%{c:02x}")
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|c| format!("{c:02x}")).collect()
}

/// The standard base64 alphabet.
pub(crate) const STD: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `b` in `alphabet`, without `=` padding.
pub(crate) fn base64(b: &[u8], alphabet: &[u8; 64]) -> String {
    let mut s = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (c as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            s.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

/// The part of the base64 text of `b` that does not depend on what surrounds it, for each of
/// the three byte alignments `b` can have inside a longer encoded text.
fn base64_cores(b: &[u8], alphabet: &[u8; 64]) -> Vec<String> {
    (0..3)
        .map(|shift| {
            let mut padded = vec![0u8; shift];
            padded.extend_from_slice(b);
            let text = base64(&padded, alphabet);
            // Drop the characters that mix in the unknown bytes before and after.
            let skip = if shift == 0 { 0 } else { 4 };
            let whole = (padded.len() / 3) * 4;
            text.get(skip..whole).unwrap_or_default().to_string()
        })
        .collect()
}

fn decode_base64(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let Some(v) = STD.iter().position(|&a| a == c) else {
            continue;
        };
        bits = bits << 6 | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

/// The scanner itself finds each form it claims to, wherever it sits in a file.
#[test]
fn scanner_finds_every_form_of_a_secret() {
    let secret = "Sw33p-scan-p@ss!";
    let dir = tempfile::tempdir().unwrap();
    for (i, (name, form)) in forms(secret).iter().enumerate() {
        let d = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&d).unwrap();
        let mut bytes = b"prefix ".to_vec();
        bytes.extend_from_slice(form);
        std::fs::write(d.join("log.txt"), &bytes).unwrap();
        assert!(!leaks(&d, &[], &forms(secret)).is_empty(), "{name}");
    }
    for prefix in ["", "x", "xy"] {
        let d = tempfile::tempdir().unwrap();
        let text = base64(format!("{prefix}{secret} tail").as_bytes(), STD);
        std::fs::write(d.path().join("b64.txt"), text).unwrap();
        let only_base64: Vec<_> = forms(secret)
            .into_iter()
            .filter(|(n, _)| n.starts_with("base64"))
            .collect();
        assert!(!leaks(d.path(), &[], &only_base64).is_empty(), "{prefix:?}");
    }
    let key = base64(b"Sw33p-key-bytes-0123456789abcdef", STD);
    assert_eq!(decode_base64(&key), b"Sw33p-key-bytes-0123456789abcdef");
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("secrets.toml"), secret).unwrap();
    std::fs::write(d.path().join("clean.log"), "nothing here").unwrap();
    assert!(leaks(d.path(), &[], &forms(secret)).is_empty());
}
