//! No two jobs may write into the same table folder: each job's cleanup would retire the other
//! job's loads. The folder is computed by [`TableLayout`], the function that names the objects,
//! so this rule and the real paths cannot drift apart.

use crate::config::issue::Issue;
use crate::config::job::Job;
use crate::config::workbook::Sheet;
use crate::sink::layout::TableLayout;
use std::collections::BTreeMap;

/// The table folder a job writes into, as one text: destination, container and
/// `{target_folder_path}/{source_name}_{table}`, lower-cased (ADLS and Windows folders may
/// ignore case).
pub fn folder_key(job: &Job) -> String {
    let layout = TableLayout::new(
        &job.target_folder_path,
        &job.source_name,
        job.output_table(),
    );
    format!(
        "{}\n{}\n{}",
        job.destination.to_lowercase(),
        job.target_container.to_lowercase(),
        layout.prefix().as_ref().to_lowercase()
    )
}

/// One error per job whose table folder an earlier row's job already writes into, at its
/// `target_folder_path` cell and naming the earlier row's cell. Every row counts, enabled or
/// not: enabling a row later must not start a job that destroys another one's loads.
pub(super) fn shared_folders(sheet: &Sheet, jobs: &[Job], issues: &mut Vec<Issue>) {
    let Some(col) = sheet.column_of("target_folder_path") else {
        return;
    };
    let mut first: BTreeMap<String, &Job> = BTreeMap::new();
    for job in jobs {
        let Some(earlier) = first.get(&folder_key(job)) else {
            first.insert(folder_key(job), job);
            continue;
        };
        let layout = TableLayout::new(
            &job.target_folder_path,
            &job.source_name,
            job.output_table(),
        );
        let message = format!(
            "job `{}` writes into the same table folder as job `{}` (row {}, {}): `{}` in container `{}` of destination `{}`",
            job.job_id,
            earlier.job_id,
            earlier.row,
            sheet.cell(earlier.row, col),
            layout.prefix(),
            job.target_container,
            job.destination
        );
        let hint = "each job's FULL loads and cleanup would remove the other's files: give one of them another target_folder_path";
        issues.push(
            Issue::error(sheet.cell(job.row, col), "target_folder_path", message).with_hint(hint),
        );
    }
}

/// Stands for a run-dependent variable in a folder pattern (never part of a real folder).
const ANY: char = '\u{E000}';

/// A FULL job whose folder uses run-dependent variables (built-in or the user's) meets
/// another job's fixed folder on some later run (`snap/{yyyy}` and `snap/2031`): one error at
/// the templated row's `target_folder_path`, naming the other row's cell. Per-job variables
/// are fixed, so they are substituted; two templated folders are compared with this run's
/// values only (by [`shared_folders`]).
pub(super) fn future_collisions(sheet: &Sheet, jobs: &[Job], issues: &mut Vec<Issue>) {
    let Some(col) = sheet.column_of("target_folder_path") else {
        return;
    };
    let patterns: Vec<(&Job, String, String)> = jobs
        .iter()
        .filter_map(|j| {
            let (template, pattern) = pattern(sheet, j)?;
            Some((j, template, pattern))
        })
        .collect();
    for (job, template, pat) in &patterns {
        let parts: Vec<&str> = pat.split(ANY).collect();
        let other = jobs.iter().find(|o| {
            o.row != job.row
                && !patterns.iter().any(|(p, _, _)| p.row == o.row)
                && folder_key(o) != folder_key(job)
                && glob(&parts, &folder_key(o))
        });
        if let Some(o) = other {
            let message = format!(
                "on some runs job `{}`'s folder `{template}` is the table folder of job `{}` (row {}, {}): `{}`",
                job.job_id,
                o.job_id,
                o.row,
                sheet.cell(o.row, col),
                o.target_folder_path
            );
            let hint = "that run's FULL load and cleanup would remove the other job's files: give the two jobs folders that cannot meet";
            issues.push(
                Issue::error(sheet.cell(job.row, col), "target_folder_path", message)
                    .with_hint(hint),
            );
        }
    }
}

/// The folder cell as written and the job's folder key with every run-dependent variable
/// as [`ANY`]; `None` when the folder has no such variable.
fn pattern(sheet: &Sheet, job: &Job) -> Option<(String, String)> {
    use crate::config::vars::PER_JOB;
    use crate::plan::sql::vars::{Piece, path_template};
    let row = sheet.rows.iter().find(|r| r.row == job.row)?;
    let template =
        crate::config::cell::text(&row.cells.get("target_folder_path")?.value).ok()??;
    let pieces = path_template(&template);
    if !pieces
        .iter()
        .any(|p| matches!(p, Piece::Var(n) if !PER_JOB.contains(&n.as_str())))
    {
        return None;
    }
    let mut folder = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => folder.push_str(&t),
            Piece::Var(n) => match n.as_str() {
                "job_id" => folder.push_str(&job.job_id),
                "source_name" => folder.push_str(&job.source_name),
                "table" => {
                    let t = job.output_table();
                    folder.push_str(&crate::plan::sql::unwrap_quoted(t).unwrap_or(t.to_string()));
                }
                _ => folder.push(ANY),
            },
        }
    }
    let folder = crate::config::rules::folder_path(&folder).ok()?;
    let with = Job {
        target_folder_path: folder,
        ..job.clone()
    };
    // Object paths percent-encode non-ASCII characters: find the marker in that form.
    let encoded: String = ANY
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02x}"))
        .collect();
    Some((
        template,
        folder_key(&with).replace(&encoded, &ANY.to_string()),
    ))
}

/// Whether `s` is `parts` joined by runs of one or more characters other than `/`.
fn glob(parts: &[&str], s: &str) -> bool {
    let Some((first, rest_parts)) = parts.split_first() else {
        return s.is_empty();
    };
    let Some(rest) = s.strip_prefix(first) else {
        return false;
    };
    if rest_parts.is_empty() {
        return rest.is_empty();
    }
    for (i, c) in rest.char_indices() {
        if c == '/' || c == '\n' {
            break;
        }
        if glob(rest_parts, &rest[i + c.len_utf8()..]) {
            return true;
        }
    }
    false
}
