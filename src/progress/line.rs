//! The text of one job's progress line, for a terminal of a given width: pure functions.

use std::time::Duration;

/// What one job's line shows.
#[derive(Debug, Clone, PartialEq)]
pub struct View<'a> {
    /// Job id.
    pub job: &'a str,
    /// Width the job column is padded to (the longest job id of the run, capped).
    pub name_width: usize,
    /// Rows written so far.
    pub rows: u64,
    /// Expected rows; `None` when unknown.
    pub estimate: Option<u64>,
    /// Rows per second since the extraction started.
    pub rate: f64,
    /// Bytes of Parquet written so far.
    pub bytes: u64,
    /// Time since the extraction started.
    pub elapsed: Duration,
}

impl View<'_> {
    /// The estimate, when it is still ahead of the rows: an estimate that turned out too low
    /// is dropped (a count with no percentage), never shown as more than 100 %.
    pub fn total(&self) -> Option<u64> {
        self.estimate.filter(|e| *e > 0 && self.rows < *e)
    }

    /// Whole percent done, at most 99 while the job runs.
    pub fn percent(&self) -> Option<u64> {
        let total = self.total()?;
        Some(((self.rows as u128 * 100 / total as u128) as u64).min(99))
    }

    /// Time left at the current rate; `None` before the rate is known.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total()?;
        if self.rate < 1.0 || self.elapsed < Duration::from_secs(1) {
            return None;
        }
        Some(Duration::from_secs_f64(
            ((total - self.rows) as f64 / self.rate).min(MAX_ETA_SECS),
        ))
    }
}

const MAX_ETA_SECS: f64 = 100.0 * 3600.0;
const BAR_CELLS: usize = 10;
const SPINNER: [char; 8] = ['⠁', '⠂', '⠄', '⡀', '⢀', '⠠', '⠐', '⠈'];

/// `1234` → `1.2k`, `3_000_000` → `3.0M`, `999` → `999`.
pub fn human_count(n: f64) -> String {
    let (v, unit) = if n >= 1e9 {
        (n / 1e9, "G")
    } else if n >= 1e6 {
        (n / 1e6, "M")
    } else if n >= 1e3 {
        (n / 1e3, "k")
    } else {
        return format!("{}", n.max(0.0).round() as u64);
    };
    if v >= 100.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// A rate: `87`, `5.3k`, `412k`, `1.2M`.
pub fn human_rate(r: f64) -> String {
    if (1e4..1e6).contains(&r) {
        format!("{:.0}k", r / 1e3)
    } else {
        human_count(r)
    }
}

/// Bytes in binary units: `512 B`, `48 MiB`, `1.2 GiB`.
pub fn human_bytes(b: u64) -> String {
    match crate::run::summary::scaled(b) {
        (v, unit) if unit == "B" || v >= 10.0 => format!("{v:.0} {unit}"),
        (v, unit) => format!("{v:.1} {unit}"),
    }
}

/// `5s`, `2m05s`, `1h02m`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

fn bar(fraction: f64, color: bool) -> String {
    let full = ((fraction * BAR_CELLS as f64).floor() as usize).min(BAR_CELLS);
    let (on, off) = ("█".repeat(full), "░".repeat(BAR_CELLS - full));
    if color {
        format!("\x1b[32m{on}\x1b[2m{off}\x1b[0m")
    } else {
        format!("{on}{off}")
    }
}

/// Display width of a line (escape sequences take none; every other char one column).
pub fn display_width(s: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

fn fit_name(name: &str, width: usize) -> String {
    let n = name.chars().count();
    if n <= width {
        format!("{name:<width$}")
    } else if width <= 1 {
        name.chars().take(width).collect()
    } else {
        name.chars().take(width - 1).collect::<String>() + "…"
    }
}

/// The line for a terminal `width` columns wide: the richest layout that fits, dropping
/// bytes, then rate, then the bar and the counts; the job name is cut (`…`) last.
pub fn render(v: &View, width: usize, color: bool) -> String {
    let count = match v.total() {
        Some(t) => format!(
            "{}/{} rows",
            human_count(v.rows as f64),
            human_count(t as f64)
        ),
        None => match v.estimate {
            Some(e) if e > 0 => format!(
                "{} rows (estimate was {})",
                human_count(v.rows as f64),
                human_count(e as f64)
            ),
            _ => format!("{} rows", human_count(v.rows as f64)),
        },
    };
    let rate = format!("{} rows/s", human_rate(v.rate));
    let bytes = format!("{} written", human_bytes(v.bytes));
    let mut parts: Vec<Vec<String>> = Vec::new();
    match (v.total(), v.percent()) {
        (Some(total), Some(pct)) => {
            let eta = match v.eta() {
                Some(d) => format!("ETA {}", human_duration(d)),
                None => "ETA ?".to_string(),
            };
            let b = bar(v.rows as f64 / total as f64, color);
            let pct = format!("{pct:>2}%");
            parts.push(vec![b.clone(), count.clone(), pct.clone(), rate.clone()]);
            parts[0].extend([bytes.clone(), eta.clone()]);
            parts.push(vec![
                b.clone(),
                count.clone(),
                pct.clone(),
                rate,
                eta.clone(),
            ]);
            parts.push(vec![b, count.clone(), pct.clone(), eta.clone()]);
            parts.push(vec![count, pct.clone(), eta.clone()]);
            parts.push(vec![pct, eta]);
        }
        _ => {
            let spin = SPINNER[(v.elapsed.as_millis() / 125) as usize % SPINNER.len()].to_string();
            let elapsed = human_duration(v.elapsed);
            let short = format!("{} rows", human_count(v.rows as f64));
            parts.push(vec![
                spin.clone(),
                count.clone(),
                rate.clone(),
                bytes,
                elapsed.clone(),
            ]);
            parts.push(vec![spin.clone(), count, rate.clone(), elapsed.clone()]);
            parts.push(vec![spin.clone(), short.clone(), rate, elapsed]);
            parts.push(vec![spin, short.clone()]);
            parts.push(vec![short]);
        }
    }
    let name_width = v.name_width.max(1);
    let styled_name = |name: String| {
        if color {
            format!("\x1b[1m{name}\x1b[0m")
        } else {
            name
        }
    };
    for layout in &parts {
        let tail = layout.join("  ");
        let need = name_width + 2 + display_width(&tail);
        if need <= width {
            return format!("{}  {tail}", styled_name(fit_name(v.job, name_width)));
        }
    }
    // Narrower than the shortest layout: cut the name.
    let tail = parts.last().map(|l| l.join("  ")).unwrap_or_default();
    let room = width.saturating_sub(display_width(&tail) + 1);
    if room >= 4 {
        let name = fit_name(v.job, room.min(name_width));
        format!("{} {tail}", styled_name(name.trim_end().to_string()))
    } else {
        tail.chars().take(width).collect()
    }
}

/// The line of a job still planning (reading its schema, window and estimate).
pub fn render_planning(job: &str, name_width: usize, width: usize, color: bool) -> String {
    let name_width = name_width.min(width.saturating_sub(10)).max(1);
    let name = fit_name(job, name_width);
    if color {
        format!("\x1b[1m{name}\x1b[0m  planning")
    } else {
        format!("{name}  planning")
    }
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
