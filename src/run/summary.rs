//! What a job reports, and the end-of-run summary (text table or JSON).

use serde::Serialize;

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// Committed (or nothing new to load).
    Success,
    /// Failed; its state is untouched.
    Failed,
    /// Not run: a dry run, or a dependency failed or was skipped (see the reason).
    Skipped,
}

/// The outcome of one job.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    /// Job id.
    pub job_id: String,
    /// How it ended.
    pub status: Status,
    /// The load it committed, if any.
    pub load_id: Option<String>,
    /// Rows read from the source.
    pub rows_extracted: u64,
    /// Rows written to Parquet (after boundary duplicates were dropped).
    pub rows: u64,
    /// Parquet files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time.
    pub seconds: f64,
    /// Watermark before the load.
    pub watermark_from: Option<String>,
    /// Watermark after the load.
    pub watermark: Option<String>,
    /// The error, one line, for failed jobs.
    pub error: Option<String>,
    /// How the source's columns differ from the last committed load's, when they do.
    pub schema_change: Option<crate::sink::schema_diff::SchemaDiff>,
    /// Why a job was skipped, e.g. "dependency `a` failed".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The worker (`--worker-id`) that ran or skipped the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Seconds spent on the job's lease (take, renew, check, release).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_seconds: Option<f64>,
    /// The plan and its SQL (dry run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<crate::plan::report::PlanReport>,
    /// Dry run: the stage of the dependency order (1: no dependency among the selected jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    /// Dry run: the selected jobs this one waits for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Dry run: the runtime variables the job's cells use, with their values.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub variables: std::collections::BTreeMap<String, String>,
    /// The run this job belonged to (for notifications; the audit has it too).
    #[serde(skip)]
    pub run_id: Option<String>,
}

impl JobReport {
    /// A report with no rows for a job that ended as `status`.
    pub fn empty(job_id: &str, status: Status) -> JobReport {
        JobReport {
            job_id: job_id.to_string(),
            status,
            load_id: None,
            rows_extracted: 0,
            rows: 0,
            files: 0,
            bytes: 0,
            seconds: 0.0,
            watermark_from: None,
            watermark: None,
            error: None,
            schema_change: None,
            reason: None,
            worker: None,
            lease_seconds: None,
            plan: None,
            stage: None,
            depends_on: Vec::new(),
            variables: Default::default(),
            run_id: None,
        }
    }
}

/// The summary table, one line per job, then the failures' errors.
pub fn render_text(reports: &[JobReport]) -> String {
    let headers = [
        "job",
        "status",
        "rows",
        "files",
        "bytes",
        "seconds",
        "watermark",
    ];
    let rows: Vec<[String; 7]> = reports
        .iter()
        .map(|r| {
            [
                r.job_id.clone(),
                format!("{:?}", r.status).to_uppercase(),
                r.rows.to_string(),
                r.files.to_string(),
                human_bytes(r.bytes),
                format!("{:.1}", r.seconds),
                r.watermark.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let numeric = (2..=5).contains(&i);
            if numeric {
                s.push_str(&format!("{cell:>w$}  "));
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    for r in reports.iter().filter(|r| r.error.is_some()) {
        out.push_str(&format!(
            "\n{}: {}",
            r.job_id,
            r.error.as_deref().unwrap_or_default()
        ));
    }
    for r in reports.iter().filter(|r| r.error.is_none()) {
        if let Some(reason) = &r.reason {
            out.push_str(&format!("\n{}: skipped: {reason}", r.job_id));
        }
    }
    if reports
        .iter()
        .any(|r| r.error.is_some() || r.reason.is_some())
    {
        out.push('\n');
    }
    out
}

/// The summary as a JSON array.
pub fn render_json(reports: &[JobReport]) -> String {
    serde_json::to_string_pretty(reports).unwrap_or_else(|_| "[]".into())
}

/// Bytes for people: `512 B`, `1.7 KiB`, `3.2 MiB`, …
pub(crate) fn human_bytes(b: u64) -> String {
    match scaled(b) {
        (_, "B") => format!("{b} B"),
        (v, unit) => format!("{v:.1} {unit}"),
    }
}

/// `b` in the largest binary unit (B, KiB, … TiB) that keeps the value at least 1.
pub(crate) fn scaled(b: u64) -> (f64, &'static str) {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    (v, UNITS[u])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lines_up_and_lists_errors() {
        let mut ok = JobReport::empty("orders", Status::Success);
        ok.rows = 120000;
        ok.bytes = 3 * 1024 * 1024;
        ok.watermark = Some("2024-01-01T00:00:00".into());
        let mut bad = JobReport::empty("x", Status::Failed);
        bad.error = Some("boom".into());
        let mut after = JobReport::empty("y", Status::Skipped);
        after.reason = Some("dependency `x` failed".into());
        let text = render_text(&[ok, bad, after]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("job     status"), "{text}");
        assert!(
            lines[1].contains("120000") && lines[1].contains("3.0 MiB"),
            "{text}"
        );
        assert!(text.contains("x: boom"));
        assert!(text.contains("y: skipped: dependency `x` failed"), "{text}");
    }
}
