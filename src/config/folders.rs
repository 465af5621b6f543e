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
