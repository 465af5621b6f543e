//! `depends_on`: the cell read into job ids, and the graph checked across the sheet: unknown
//! ids, self-dependencies and cycles are errors; a disabled dependency is a warning (met).

use crate::config::issue::Issue;
use crate::config::job::Job;
use crate::config::row::RowCtx;
use crate::config::rules::{self, Problem};
use crate::config::workbook::Sheet;
use std::collections::{BTreeMap, HashMap};

impl RowCtx<'_> {
    /// The `depends_on` cell: comma-separated job ids, repeats (ignoring case) dropped.
    pub(super) fn depends_on(&mut self) -> Vec<String> {
        let Some(text) = self.text("depends_on") else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for id in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Err(p) = rules::job_id(id) {
                let msg = format!("`{}` in depends_on: {}", rules::shown(id), p.message);
                self.error("depends_on", Problem { message: msg, ..p });
            } else if !out.iter().any(|o| o.eq_ignore_ascii_case(id)) {
                out.push(id.to_string());
            }
        }
        out
    }
}

/// Check every job's dependencies against every job id of the sheet (`ids`: lower-cased id →
/// (row, id as written)), then look for cycles among the valid jobs. `failed`: the rows with
/// other errors and their dependencies, checked for unknown ids only.
pub(super) fn check(
    sheet: &Sheet,
    ids: &BTreeMap<String, (u32, String)>,
    jobs: &[Job],
    failed: &[(u32, Vec<String>)],
    issues: &mut Vec<Issue>,
) {
    let Some(col) = sheet.column_of("depends_on") else {
        return;
    };
    let cell = |row: u32| sheet.cell(row, col);
    for (row, deps) in failed {
        for dep in deps
            .iter()
            .filter(|d| !ids.contains_key(&d.to_ascii_lowercase()))
        {
            issues.push(unknown(cell(*row), dep));
        }
    }
    let by_id: HashMap<String, &Job> = jobs
        .iter()
        .map(|j| (j.job_id.to_ascii_lowercase(), j))
        .collect();
    for job in jobs {
        for dep in &job.depends_on {
            let lower = dep.to_ascii_lowercase();
            if lower == job.job_id.to_ascii_lowercase() {
                let msg = format!("job `{}` depends on itself", job.job_id);
                issues.push(
                    Issue::error(cell(job.row), "depends_on", msg)
                        .with_hint("remove its own job_id from depends_on"),
                );
            } else if !ids.contains_key(&lower) {
                issues.push(unknown(cell(job.row), dep));
            } else if let Some(d) = by_id.get(&lower).filter(|d| !d.enabled) {
                let msg = format!(
                    "depends on job `{}` (row {}), which is disabled: that dependency counts as met",
                    d.job_id, d.row
                );
                issues.push(Issue::warning(cell(job.row), "depends_on", msg));
            }
        }
    }
    for cycle in cycles(jobs) {
        let names: Vec<String> = cycle
            .iter()
            .map(|j| format!("`{}` ({})", j.job_id, cell(j.row)))
            .collect();
        let msg = format!(
            "dependency cycle: {} → `{}`",
            names.join(" → "),
            cycle[0].job_id
        );
        let hint = "a job in a cycle would wait for itself: remove one of these dependencies";
        issues.push(Issue::error(cell(cycle[0].row), "depends_on", msg).with_hint(hint));
    }
}

fn unknown(at: crate::config::issue::Location, dep: &str) -> Issue {
    let msg = format!("`{dep}` in depends_on is not a job_id of this workbook");
    Issue::error(at, "depends_on", msg).with_hint("name job_ids of other rows, separated by commas")
}

/// Every strongly connected group of two or more jobs (Tarjan), each in dependency order
/// starting from its first row; self-dependencies are reported elsewhere.
fn cycles(jobs: &[Job]) -> Vec<Vec<&Job>> {
    let index: HashMap<String, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.job_id.to_ascii_lowercase(), i))
        .collect();
    let edges: Vec<Vec<usize>> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            j.depends_on
                .iter()
                .filter_map(|d| index.get(&d.to_ascii_lowercase()).copied())
                .filter(|&t| t != i)
                .collect()
        })
        .collect();
    let mut t = Tarjan {
        edges: &edges,
        index: vec![None; jobs.len()],
        low: vec![0; jobs.len()],
        on_stack: vec![false; jobs.len()],
        stack: Vec::new(),
        next: 0,
        groups: Vec::new(),
    };
    for v in 0..jobs.len() {
        if t.index[v].is_none() {
            t.visit(v);
        }
    }
    let mut out: Vec<Vec<&Job>> = t
        .groups
        .into_iter()
        .filter(|g| g.len() > 1)
        .map(|g| order(&edges, g).into_iter().map(|i| &jobs[i]).collect())
        .collect();
    out.sort_by_key(|c| c[0].row);
    out
}

/// A walk through a group along its edges, from its first row, each member once.
fn order(edges: &[Vec<usize>], mut group: Vec<usize>) -> Vec<usize> {
    group.sort_unstable();
    let mut walk = vec![group[0]];
    while walk.len() < group.len() {
        let last = walk[walk.len() - 1];
        let next = edges[last]
            .iter()
            .find(|t| group.contains(t) && !walk.contains(t))
            .or_else(|| group.iter().find(|t| !walk.contains(t)));
        match next {
            Some(&n) => walk.push(n),
            None => break,
        }
    }
    walk
}

struct Tarjan<'a> {
    edges: &'a [Vec<usize>],
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    groups: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, v: usize) {
        self.index[v] = Some(self.next);
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        for &w in &self.edges[v] {
            match self.index[w] {
                None => {
                    self.visit(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut group = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                group.push(w);
                if w == v {
                    break;
                }
            }
            self.groups.push(group);
        }
    }
}
