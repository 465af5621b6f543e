//! Inline SVG: the last run's timeline and the per-job sparklines.

use super::Run;
use super::html::esc;
use crate::state::audit::{AuditRecord, AuditStatus};
use chrono::{DateTime, Utc};
use std::fmt::Write;

const LABEL: f64 = 220.0;
const CHART: f64 = 900.0;
const AXIS: f64 = 24.0;
/// Slack when chaining jobs into the critical path: a job that starts within this many
/// seconds of another's end is taken to have waited for it.
const CHAIN_SLACK: f64 = 2.0;

fn status_class(s: AuditStatus) -> &'static str {
    match s {
        AuditStatus::Success => "ok",
        AuditStatus::Failed => "fail",
        AuditStatus::Skipped => "skip",
    }
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 1000.0
}

/// Indexes of the records on the critical path: from the job that ended last, back through
/// the job that ended latest before (or just as) each one started.
pub fn critical_path(records: &[AuditRecord]) -> Vec<usize> {
    let Some(mut at) = (0..records.len()).max_by_key(|&i| records[i].end_time) else {
        return Vec::new();
    };
    let mut path = vec![at];
    loop {
        let start = records[at].start_time;
        let before = (0..records.len())
            .filter(|&i| !path.contains(&i))
            .filter(|&i| secs(records[i].end_time, start) >= -CHAIN_SLACK / 10.0)
            .filter(|&i| secs(records[i].end_time, start) <= CHAIN_SLACK)
            .max_by_key(|&i| records[i].end_time);
        match before {
            Some(i) => {
                path.push(i);
                at = i;
            }
            None => break,
        }
    }
    path.reverse();
    path
}

/// Most jobs running at once.
pub fn peak_parallelism(records: &[AuditRecord]) -> usize {
    let mut events: Vec<(DateTime<Utc>, i32)> = Vec::new();
    for r in records.iter().filter(|r| r.end_time > r.start_time) {
        events.push((r.start_time, 1));
        events.push((r.end_time, -1));
    }
    events.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, d) in events {
        now += d;
        peak = peak.max(now);
    }
    peak.max(i32::from(!records.is_empty())) as usize
}

/// A tick step (seconds) giving at most ~8 ticks over `total` seconds.
fn tick_step(total: f64) -> f64 {
    const STEPS: [f64; 16] = [
        0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
        3600.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| total / s <= 8.0)
        .unwrap_or((total / 8.0 / 3600.0).ceil() * 3600.0)
}

fn tick_label(s: f64) -> String {
    if s < 60.0 {
        format!("{s}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

/// The run as a Gantt chart: one row per job, by start time; critical path outlined.
pub fn gantt(run: &Run) -> String {
    let recs = &run.records;
    let row = if recs.len() > 100 { 12.0 } else { 18.0 };
    let height = AXIS + row * recs.len() as f64 + 6.0;
    let total = run.seconds().max(0.001);
    let x = |t: DateTime<Utc>| LABEL + secs(run.start, t) / total * CHART;
    let crit = critical_path(recs);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="gantt" role="img" aria-label="timeline of run {id}" width="{w}" height="{height}" viewBox="0 0 {w} {height}" xmlns="http://www.w3.org/2000/svg">"#,
        id = esc(&run.id),
        w = LABEL + CHART + 20.0,
    );
    let step = tick_step(total);
    let mut t = 0.0;
    while t <= total + 1e-9 {
        let px = LABEL + t / total * CHART;
        let _ = write!(
            s,
            r#"<line class="tick" x1="{px:.1}" y1="{AXIS}" x2="{px:.1}" y2="{height}"/><text class="axis" x="{px:.1}" y="14">{}</text>"#,
            tick_label((t * 10.0).round() / 10.0)
        );
        t += step;
    }
    for (i, r) in recs.iter().enumerate() {
        let y = AXIS + row * i as f64;
        let (x0, x1) = (x(r.start_time), x(r.end_time));
        let w = (x1 - x0).max(2.0);
        let on_path = crit.contains(&i);
        let label: String = if r.job_id.chars().count() > 30 {
            r.job_id.chars().take(29).collect::<String>() + "…"
        } else {
            r.job_id.clone()
        };
        let _ = write!(
            s,
            r#"<g class="job" data-job="{job}"><text class="label" x="{lx}" y="{ty:.1}">{label}</text><rect class="bar {cls}{crit}" x="{x0:.1}" y="{by:.1}" width="{w:.1}" height="{bh:.1}" rx="2"><title>{job}: {status:?}, {rows} rows, {dur:.1} s, {from} → {to}{on}</title></rect></g>"#,
            job = esc(&r.job_id),
            lx = LABEL - 6.0,
            ty = y + row * 0.72,
            label = esc(&label),
            cls = status_class(r.status),
            crit = if on_path { " crit" } else { "" },
            by = y + 2.0,
            bh = row - 4.0,
            status = r.status,
            rows = r.rows_written,
            dur = r.duration_seconds,
            from = r.start_time.format("%H:%M:%S"),
            to = r.end_time.format("%H:%M:%S"),
            on = if on_path { " (critical path)" } else { "" },
        );
    }
    s.push_str("</svg>");
    s
}

/// A small line chart of `values` (oldest first); the newest point marked.
pub fn sparkline(values: &[f64], what: &str) -> String {
    const W: f64 = 120.0;
    const H: f64 = 24.0;
    if values.is_empty() {
        return String::new();
    }
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let n = values.len();
    let px = |i: usize| {
        if n == 1 {
            W / 2.0
        } else {
            2.0 + i as f64 * (W - 4.0) / (n - 1) as f64
        }
    };
    let py = |v: f64| {
        if max <= 0.0 {
            H - 2.0
        } else {
            H - 2.0 - v / max * (H - 4.0)
        }
    };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", px(i), py(*v)))
        .collect();
    let last = values[n - 1];
    format!(
        r#"<svg class="spark" width="{W}" height="{H}" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg"><title>{what}: {n} runs, min {min}, max {max}, last {last}</title><polyline points="{}"/><circle cx="{:.1}" cy="{:.1}" r="2"/></svg>"#,
        points.join(" "),
        px(n - 1),
        py(last),
        min = trim_num(min),
        max = trim_num(max),
        last = trim_num(last),
    )
}

fn trim_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
