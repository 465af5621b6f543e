//! The page: header, last run, failures, watermark lag, the jobs table; CSS and JS inline.

use super::svg::{gantt, peak_parallelism, sparkline};
use super::{JobHistory, Report, human_lag};
use crate::config::LoadType;
use crate::state::audit::AuditStatus;
use std::fmt::Write;

/// Failures listed at most.
const FAILURES_SHOWN: usize = 300;
/// Runs drawn in a job's trend lines (its newest).
pub const TREND_POINTS: usize = 90;

/// Escape text for HTML content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn status_word(s: AuditStatus) -> &'static str {
    match s {
        AuditStatus::Success => "SUCCESS",
        AuditStatus::Failed => "FAILED",
        AuditStatus::Skipped => "SKIPPED",
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

const CSS: &str = r#"
:root{--ok:#2e7d32;--fail:#c62828;--skip:#9e9e9e;--ink:#1c1c1c;--mute:#666;--line:#e3e3e3}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;padding:24px 32px;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.mute{color:var(--mute)}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}.kpi{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:120px}
.kpi b{display:block;font-size:20px}.kpi.bad b{color:var(--fail)}.kpi.good b{color:var(--ok)}
.scroll{overflow:auto;max-height:640px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px}
svg text{font:11px system-ui,sans-serif;fill:#333}.label{text-anchor:end}.axis{text-anchor:middle;fill:#777}
.tick{stroke:#eee}.bar.ok{fill:var(--ok)}.bar.fail{fill:var(--fail)}.bar.skip{fill:var(--skip)}.bar.crit{stroke:#ff9800;stroke-width:2.5}
.spark polyline{fill:none;stroke:#1565c0;stroke-width:1.4}.spark circle{fill:#1565c0}
table{border-collapse:collapse;background:#fff;width:100%}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{position:sticky;top:0;background:#f0f0f0;cursor:pointer;user-select:none;white-space:nowrap}th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
td.when{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}.st{font-weight:600}.st.SUCCESS{color:var(--ok)}.st.FAILED{color:var(--fail)}.st.SKIPPED{color:var(--skip)}
.err{font-family:ui-monospace,Consolas,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}
.controls{display:flex;gap:10px;margin:6px 0 8px}.controls input,.controls select{font:inherit;padding:3px 6px}
.legend span{display:inline-block;width:12px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
"#;

const JS: &str = r#"
(function(){
  var table=document.getElementById('jobs'),body=table.tBodies[0];
  var q=document.getElementById('filter'),st=document.getElementById('status');
  function apply(){
    var t=q.value.toLowerCase(),s=st.value,shown=0;
    Array.prototype.forEach.call(body.rows,function(r){
      var ok=r.dataset.job.toLowerCase().indexOf(t)>=0&&(!s||r.dataset.status===s);
      r.hidden=!ok;if(ok)shown++;
    });
    document.getElementById('shown').textContent=shown;
  }
  function sort(th,dir){
    var i=th.cellIndex,num=th.dataset.type==='num';
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;
      if(x===undefined)x=a.cells[i].textContent;if(y===undefined)y=b.cells[i].textContent;
      var c=num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y);
      return dir*c;
    });
    rows.forEach(function(r){body.appendChild(r)});
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.className=''});
    th.className=dir>0?'sorted-asc':'sorted-desc';
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){
    th.addEventListener('click',function(){sort(th,th.className==='sorted-asc'?-1:1)});
  });
  q.addEventListener('input',apply);st.addEventListener('change',apply);
  var h=new URLSearchParams(location.hash.slice(1));
  if(h.get('filter'))q.value=h.get('filter');if(h.get('status'))st.value=h.get('status');
  if(h.get('sort')){var th=document.querySelector('th[data-key="'+h.get('sort')+'"]');if(th)sort(th,h.get('dir')==='desc'?-1:1);}
  apply();
  window.addEventListener('load',function(){
    document.documentElement.dataset.resources=String(performance.getEntriesByType('resource').length);
  });
})();
"#;

/// The whole page.
pub fn page(r: &Report) -> String {
    let mut s = String::with_capacity(64 * 1024 + r.jobs.len() * 2048);
    let _ = write!(
        s,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"><title>ingest report</title><style>{CSS}</style></head><body>"#
    );
    let _ = write!(
        s,
        r#"<h1>ingest report</h1><div class="mute">made {} UTC · last {} days · {} runs · {} jobs</div>"#,
        r.now.format("%Y-%m-%d %H:%M"),
        r.days,
        r.runs.len(),
        r.jobs.len()
    );
    if let Some(run) = r.last_run() {
        last_run(&mut s, run);
    }
    failures(&mut s, r);
    lag(&mut s, r);
    jobs_table(&mut s, r);
    let _ = write!(s, "<script>{JS}</script></body></html>");
    s
}

fn last_run(s: &mut String, run: &super::Run) {
    let rows: u64 = run.records.iter().map(|r| r.rows_written).sum();
    let failed = run.failed();
    let _ = write!(
        s,
        r#"<h2>Last run <span class="mute">{id}</span></h2><div class="kpis" id="last-run">
<div class="kpi {cls}"><span class="mute">status</span><b id="last-status">{status}</b></div>
<div class="kpi"><span class="mute">jobs</span><b id="last-jobs">{jobs}</b></div>
<div class="kpi {fcls}"><span class="mute">failed</span><b id="last-failed">{failed}</b></div>
<div class="kpi"><span class="mute">skipped</span><b>{skipped}</b></div>
<div class="kpi"><span class="mute">rows written</span><b id="last-rows">{rows}</b></div>
<div class="kpi"><span class="mute">duration</span><b>{dur:.1} s</b></div>
<div class="kpi"><span class="mute">peak parallel jobs</span><b>{peak}</b></div>
<div class="kpi"><span class="mute">started</span><b>{start}</b></div></div>"#,
        id = esc(&run.id),
        cls = if failed > 0 { "bad" } else { "good" },
        status = if failed > 0 { "FAILED" } else { "SUCCESS" },
        jobs = run.records.len(),
        fcls = if failed > 0 { "bad" } else { "" },
        skipped = run.count(AuditStatus::Skipped),
        rows = thousands(rows),
        dur = run.seconds(),
        peak = peak_parallelism(&run.records),
        start = run.start.format("%Y-%m-%d %H:%M:%S"),
    );
    let _ = write!(
        s,
        r#"<div class="legend mute"><span style="background:var(--ok)"></span>success<span style="background:var(--fail)"></span>failed<span style="background:var(--skip)"></span>skipped<span style="background:#fff;border:2px solid #ff9800"></span>critical path (each job ending as the next began)</div><div class="scroll">{}</div>"#,
        gantt(run)
    );
}

fn failures(s: &mut String, r: &Report) {
    let mut failed: Vec<_> = r
        .runs
        .iter()
        .flat_map(|run| run.records.iter())
        .filter(|x| x.status == AuditStatus::Failed)
        .collect();
    failed.sort_by_key(|x| std::cmp::Reverse(x.start_time));
    let _ = write!(
        s,
        r#"<h2>Failures <span class="mute">{} in the period</span></h2>"#,
        failed.len()
    );
    if failed.is_empty() {
        s.push_str(r#"<p class="mute">No job failed.</p>"#);
        return;
    }
    s.push_str(r#"<div class="scroll"><table id="failures"><thead><tr><th>when (UTC)</th><th>job</th><th>run</th><th>error</th></tr></thead><tbody>"#);
    for x in failed.iter().take(FAILURES_SHOWN) {
        let _ = write!(
            s,
            r#"<tr data-job="{job}"><td class="when">{when}</td><td>{job}</td><td class="mute">{run}</td><td class="err">{err}</td></tr>"#,
            when = x.start_time.format("%Y-%m-%d %H:%M:%S"),
            job = esc(&x.job_id),
            run = esc(&x.run_id),
            err = esc(x.error.as_deref().unwrap_or("")),
        );
    }
    s.push_str("</tbody></table></div>");
    if failed.len() > FAILURES_SHOWN {
        let _ = write!(
            s,
            r#"<p class="mute">{} older failures not shown.</p>"#,
            failed.len() - FAILURES_SHOWN
        );
    }
}

fn lag(s: &mut String, r: &Report) {
    let mut rows: Vec<(&JobHistory, String, Option<chrono::Duration>)> = r
        .jobs
        .iter()
        .filter_map(|j| j.watermark_lag(r.now).map(|(w, l)| (j, w, l)))
        .collect();
    rows.sort_by_key(|(_, _, l)| std::cmp::Reverse(l.map(|d| d.num_seconds())));
    let _ = write!(
        s,
        r#"<h2>Watermark lag <span class="mute">now minus the newest watermark of each incremental job</span></h2>"#
    );
    if rows.is_empty() {
        s.push_str(r#"<p class="mute">No incremental job has a watermark yet.</p>"#);
        return;
    }
    s.push_str(r#"<div class="scroll"><table id="lag"><thead><tr><th>job</th><th>watermark</th><th>lag</th></tr></thead><tbody>"#);
    for (j, w, l) in rows {
        let _ = write!(
            s,
            r#"<tr data-job="{job}"><td>{job}</td><td>{w}</td><td class="num" data-v="{secs}">{lag}</td></tr>"#,
            job = esc(&j.job_id),
            w = esc(&w),
            secs = l.map_or(-1, |d| d.num_seconds()),
            lag = l.map_or_else(|| "n/a (not a date)".to_string(), human_lag),
        );
    }
    s.push_str("</tbody></table></div>");
}

fn jobs_table(s: &mut String, r: &Report) {
    let _ = write!(
        s,
        r#"<h2>Jobs <span class="mute"><span id="shown">{n}</span> of {n} shown</span></h2><div class="controls"><input id="filter" type="search" placeholder="filter by job id" aria-label="filter by job id"><select id="status" aria-label="last status"><option value="">any last status</option><option>SUCCESS</option><option>FAILED</option><option>SKIPPED</option></select></div>"#,
        n = r.jobs.len()
    );
    s.push_str(r#"<div class="scroll"><table id="jobs"><thead><tr><th data-key="job">job</th><th data-key="type">type</th><th data-key="status">last status</th><th data-key="when">last run (UTC)</th><th data-key="rows" data-type="num">rows</th><th>rows per run</th><th data-key="secs" data-type="num">seconds</th><th>seconds per run</th><th data-key="runs" data-type="num">runs</th><th data-key="failures" data-type="num">failures</th><th data-key="lag" data-type="num">watermark lag</th></tr></thead><tbody>"#);
    for j in &r.jobs {
        let Some(last) = j.last() else { continue };
        let recent = &j.records[j.records.len().saturating_sub(TREND_POINTS)..];
        let rows: Vec<f64> = recent.iter().map(|x| x.rows_written as f64).collect();
        let durs: Vec<f64> = recent.iter().map(|x| x.duration_seconds).collect();
        let lag = j.watermark_lag(r.now).and_then(|(_, l)| l);
        let _ = write!(
            s,
            r#"<tr data-job="{job}" data-status="{st}"><td>{job}</td><td>{ty}</td><td class="st {st}">{st}</td><td class="when" data-v="{ts}">{when}</td><td class="num" data-v="{rows}">{rows_h}</td><td>{rspark}</td><td class="num" data-v="{secs:.3}">{secs:.1}</td><td>{dspark}</td><td class="num" data-v="{runs}">{runs}</td><td class="num" data-v="{fails}">{fails}</td><td class="num" data-v="{lag_v}">{lag_h}</td></tr>"#,
            job = esc(&j.job_id),
            st = status_word(last.status),
            ty = if last.load_type == LoadType::Incremental {
                "INCREMENTAL"
            } else {
                "FULL"
            },
            ts = last.start_time.timestamp(),
            when = last.start_time.format("%Y-%m-%d %H:%M"),
            rows = last.rows_written,
            rows_h = thousands(last.rows_written),
            rspark = sparkline(&rows, "rows"),
            secs = last.duration_seconds,
            dspark = sparkline(&durs, "seconds"),
            runs = j.records.len(),
            fails = j.failures(),
            lag_v = lag.map_or(-1, |d| d.num_seconds()),
            lag_h = lag.map_or_else(|| "-".to_string(), human_lag),
        );
    }
    s.push_str("</tbody></table></div>");
}
