//! Order by `depends_on`: which selected jobs wait for which, the dry run's stages, `--with-deps`,
//! and the loop that starts each job as soon as its dependencies succeeded (bounded by
//! `--parallelism`) and skips it when one of them failed or was skipped.

use super::summary::{JobReport, Status};
use crate::config::Job;
use futures::StreamExt;
use futures::future::LocalBoxFuture;
use futures::stream::FuturesUnordered;
use std::collections::HashMap;

/// `chosen` plus every enabled job it depends on, transitively, in workbook order.
pub fn with_upstream<'a>(all: &'a [Job], chosen: Vec<&'a Job>) -> Vec<&'a Job> {
    let by_id: HashMap<String, usize> = all
        .iter()
        .enumerate()
        .map(|(i, j)| (j.job_id.to_ascii_lowercase(), i))
        .collect();
    let mut keep = vec![false; all.len()];
    let mut todo: Vec<usize> = chosen
        .iter()
        .filter_map(|j| by_id.get(&j.job_id.to_ascii_lowercase()).copied())
        .collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut keep[i], true) {
            continue;
        }
        for d in &all[i].depends_on {
            if let Some(&t) = by_id.get(&d.to_ascii_lowercase())
                && all[t].enabled
            {
                todo.push(t);
            }
        }
    }
    all.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(j, _)| j)
        .collect()
}

/// For each selected job, the indices (into `selected`) of the selected jobs it waits for.
/// Dependencies that are not selected (disabled, or left out by `--jobs`) count as met.
pub fn waits_for(selected: &[&Job]) -> Vec<Vec<usize>> {
    let index: HashMap<String, usize> = selected
        .iter()
        .enumerate()
        .map(|(i, j)| (j.job_id.to_ascii_lowercase(), i))
        .collect();
    selected
        .iter()
        .enumerate()
        .map(|(i, j)| {
            j.depends_on
                .iter()
                .filter_map(|d| index.get(&d.to_ascii_lowercase()).copied())
                .filter(|&t| t != i)
                .collect()
        })
        .collect()
}

/// The 1-based stage of each job: 1 for no dependency, else one more than its latest
/// dependency. A cycle (refused by validation) lands one stage after everything else.
pub fn stages(waits: &[Vec<usize>]) -> Vec<usize> {
    let mut stage = vec![0usize; waits.len()];
    let mut left = waits.len();
    let mut current = 1;
    while left > 0 {
        let ready: Vec<usize> = (0..waits.len())
            .filter(|&i| {
                stage[i] == 0 && waits[i].iter().all(|&d| (1..current).contains(&stage[d]))
            })
            .collect();
        if ready.is_empty() {
            for s in stage.iter_mut().filter(|s| **s == 0) {
                *s = current;
            }
            break;
        }
        for i in ready {
            stage[i] = current;
            left -= 1;
        }
        current += 1;
    }
    stage
}

/// Why job `i` cannot start, if a dependency ended without success.
fn blocked(
    i: usize,
    waits: &[Vec<usize>],
    done: &[Option<Status>],
    ids: &[&str],
) -> Option<String> {
    waits[i].iter().find_map(|&d| match done[d] {
        Some(Status::Failed) => Some(format!("dependency `{}` failed", ids[d])),
        Some(Status::Skipped) => Some(format!("dependency `{}` was skipped", ids[d])),
        _ => None,
    })
}

type Step<'f> = LocalBoxFuture<'f, (usize, JobReport, bool)>;

/// Run every job once: `start(i)` when all its dependencies succeeded (at most `parallelism`
/// at a time, in workbook order among the ready ones), `skip(i, reason)` as soon as one of them
/// failed or was skipped. Without `gate` (dry run) every job is ready at once. Reports come
/// back in the order of `waits`.
pub async fn drive<'f>(
    waits: &[Vec<usize>],
    ids: &[&str],
    parallelism: usize,
    gate: bool,
    mut start: impl FnMut(usize) -> LocalBoxFuture<'f, JobReport>,
    mut skip: impl FnMut(usize, String) -> LocalBoxFuture<'f, JobReport>,
) -> Vec<JobReport> {
    let n = waits.len();
    let mut done: Vec<Option<Status>> = vec![None; n];
    let mut reports: Vec<Option<JobReport>> = (0..n).map(|_| None).collect();
    let mut started = vec![false; n];
    let mut busy = 0;
    let mut running: FuturesUnordered<Step<'f>> = FuturesUnordered::new();
    loop {
        for i in 0..n {
            if started[i] {
                continue;
            }
            if gate && let Some(reason) = blocked(i, waits, &done, ids) {
                started[i] = true;
                let f = skip(i, reason);
                running.push(Box::pin(async move { (i, f.await, false) }));
            } else if busy < parallelism.max(1)
                && (!gate || waits[i].iter().all(|&d| done[d] == Some(Status::Success)))
            {
                started[i] = true;
                busy += 1;
                let f = start(i);
                running.push(Box::pin(async move { (i, f.await, true) }));
            }
        }
        let Some((i, report, job)) = running.next().await else {
            break;
        };
        busy -= usize::from(job);
        done[i] = Some(report.status);
        reports[i] = Some(report);
    }
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| {
                let mut r = JobReport::empty(ids[i], Status::Skipped);
                r.reason = Some("dependency cycle".into());
                r
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
