//! Order by `depends_on`: which selected jobs wait for which, the dry run's stages, `--with-deps`,
//! and the loop that starts each job as soon as its dependencies succeeded (bounded by
//! `--parallelism`), skips it when one of them failed or was skipped, and waits for a job
//! another worker holds while a job of this run depends on it.

use super::summary::{JobReport, Status};
use crate::config::Job;
use futures::StreamExt;
use futures::future::{AbortHandle, LocalBoxFuture};
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

/// Why job `i` cannot start, if a dependency ended without its load being done.
fn blocked(i: usize, waits: &[Vec<usize>], done: &[Option<Done>], ids: &[&str]) -> Option<String> {
    waits[i].iter().find_map(|&d| match done[d] {
        Some(Done { met: true, .. }) | None => None,
        Some(Done {
            status: Status::Failed,
            ..
        }) => Some(format!("dependency `{}` failed", ids[d])),
        Some(_) => Some(format!("dependency `{}` was skipped", ids[d])),
    })
}

/// How a job ended for its dependents.
#[derive(Debug, Clone, Copy)]
struct Done {
    status: Status,
    /// Its load is done (here, or by another worker in this round): dependents may start.
    met: bool,
}

/// What starting a job gives the schedule.
pub enum Step<'f> {
    /// The job ended here: ran, failed, or was skipped.
    Ended(JobReport),
    /// Another worker loaded the job in this round: SKIPPED here, yet its dependents start.
    LoadedElsewhere(JobReport),
    /// A live worker holds the job's lease. While a job of this run depends on it, `wait`
    /// waits for the lease and gives [`Step::LoadedElsewhere`], [`Step::Free`] or
    /// [`Step::Ended`]; otherwise `skip` reports it SKIPPED at once.
    Held {
        /// Report the job SKIPPED now.
        skip: LocalBoxFuture<'f, JobReport>,
        /// Wait for the holder (does not hold a `--parallelism` slot).
        wait: LocalBoxFuture<'f, Step<'f>>,
    },
    /// The lease came free (its holder failed or died): start the job again here.
    Free,
}

/// A finished future of [`drive`]: the job, what it gave (`None`: a wait that was called off),
/// and whether it held a slot.
type Event<'f> = (usize, Option<Step<'f>>, bool);

/// Run every job once: `start(i)` when all its dependencies are done (at most `parallelism`
/// at a time, in workbook order among the ready ones), `skip(i, reason)` as soon as one of them
/// failed or was skipped. A job held by another worker is waited for (without a slot) while a
/// job still to start depends on it, else skipped. Without `gate` (dry run) every job is ready
/// at once. Reports come back in the order of `waits`.
pub async fn drive<'f>(
    waits: &[Vec<usize>],
    ids: &[&str],
    parallelism: usize,
    gate: bool,
    mut start: impl FnMut(usize) -> LocalBoxFuture<'f, Step<'f>>,
    mut skip: impl FnMut(usize, String) -> LocalBoxFuture<'f, JobReport>,
) -> Vec<JobReport> {
    let n = waits.len();
    let mut done: Vec<Option<Done>> = vec![None; n];
    let mut reports: Vec<Option<JobReport>> = (0..n).map(|_| None).collect();
    let mut started = vec![false; n];
    // Jobs waiting for another worker: how to call the wait off, and the skip for then.
    let mut waiting: HashMap<usize, (AbortHandle, LocalBoxFuture<'f, JobReport>)> = HashMap::new();
    let mut busy = 0;
    let mut running: FuturesUnordered<LocalBoxFuture<'f, Event<'f>>> = FuturesUnordered::new();
    let ended = |f: LocalBoxFuture<'f, JobReport>, i: usize| -> LocalBoxFuture<'f, Event<'f>> {
        Box::pin(async move { (i, Some(Step::Ended(f.await)), false) })
    };
    loop {
        for i in 0..n {
            if started[i] {
                continue;
            }
            if gate && let Some(reason) = blocked(i, waits, &done, ids) {
                started[i] = true;
                running.push(ended(skip(i, reason), i));
            } else if busy < parallelism.max(1)
                && (!gate || waits[i].iter().all(|&d| done[d].is_some_and(|d| d.met)))
            {
                started[i] = true;
                busy += 1;
                let f = start(i);
                running.push(Box::pin(async move { (i, Some(f.await), true) }));
            }
        }
        // A wait nobody needs any more (its dependents were skipped) is called off.
        for (i, (abort, _)) in &waiting {
            if !needed(*i, waits, &started) {
                abort.abort();
            }
        }
        let Some((i, step, slot)) = running.next().await else {
            break;
        };
        busy -= usize::from(slot);
        let report = match step {
            Some(Step::Ended(r)) => {
                waiting.remove(&i);
                let met = r.status == Status::Success;
                (r, met)
            }
            Some(Step::LoadedElsewhere(r)) => {
                waiting.remove(&i);
                (r, true)
            }
            Some(Step::Held { skip, wait }) if gate && needed(i, waits, &started) => {
                let (wait, abort) = futures::future::abortable(wait);
                waiting.insert(i, (abort, skip));
                running.push(Box::pin(async move { (i, wait.await.ok(), false) }));
                continue;
            }
            Some(Step::Held { skip, .. }) => {
                running.push(ended(skip, i));
                continue;
            }
            Some(Step::Free) => {
                waiting.remove(&i);
                started[i] = false;
                continue;
            }
            None => {
                if let Some((_, skip)) = waiting.remove(&i) {
                    running.push(ended(skip, i));
                }
                continue;
            }
        };
        let (report, met) = report;
        done[i] = Some(Done {
            status: report.status,
            met,
        });
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

/// Whether a job still to start depends on job `i`.
fn needed(i: usize, waits: &[Vec<usize>], started: &[bool]) -> bool {
    waits
        .iter()
        .zip(started)
        .any(|(w, &s)| !s && w.contains(&i))
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
