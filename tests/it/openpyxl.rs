//! An independent reader of written workbooks: Python's openpyxl, for the discover tests.

use crate::support;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Python with openpyxl: `INGEST_TEST_PYTHON`, else `<repo>/.venv/bin/python` (Windows:
/// `Scripts/python.exe`); `None` after `service_missing` when neither exists.
pub fn python() -> Option<PathBuf> {
    let venv = support::project_dir().join(".venv");
    let candidates = [
        std::env::var_os("INGEST_TEST_PYTHON").map(PathBuf::from),
        Some(venv.join("bin").join("python")),
        Some(venv.join("Scripts").join("python.exe")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        support::service_missing(
            "Python with openpyxl",
            "set INGEST_TEST_PYTHON or create .venv with openpyxl",
        );
    }
    found
}

const DUMP: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["SourceConfig"]
rows = []
for row in ws.iter_rows():
    rows.append([{"v": None if c.value is None else str(c.value), "bold": bool(c.font.b),
                  "fmt": c.number_format, "note": c.comment.text if c.comment else None}
                 for c in row])
print(json.dumps({"rows": rows, "freeze": ws.freeze_panes,
                  "validations": sorted(str(v.sqref) for v in ws.data_validations.dataValidation),
                  "sheets": wb.sheetnames}))
"#;

/// The sheet as openpyxl reads it: per row, each cell's value as text, bold, number format
/// and note; the frozen pane, the data-validation ranges and the sheet names.
pub fn dump(python: &Path, workbook: &Path) -> Value {
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(DUMP)
        .arg(workbook)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "openpyxl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// Values of a dumped row by header name.
pub fn by_header(dump: &Value) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = dump["rows"].as_array().expect("rows");
    let header: Vec<String> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["v"].as_str().unwrap_or("").to_string())
        .collect();
    rows[1..]
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .zip(&header)
                .filter_map(|(c, h)| c["v"].as_str().map(|v| (h.clone(), v.to_string())))
                .collect()
        })
        .collect()
}
