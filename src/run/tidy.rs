//! After a successful run of a Parquet job: remove what its failed, killed or fenced-off runs
//! left, and after a FULL commit its earlier loads.

use super::job::JobContext;
use crate::config::Job;
use crate::sink::cleanup::owns_staging;
use crate::sink::layout::TableLayout;
use crate::sink::manifest::{self, Manifest};
use object_store::ObjectStore;

/// After a successful run: remove what this job's failed or killed runs left (its data files
/// no manifest lists, unfinished uploads) and, after a FULL commit, its earlier loads. Never
/// touches another job's manifests or files; finding some is a warning. Failures only warn.
pub(super) async fn tidy(
    job: &Job,
    ctx: &JobContext,
    store: &dyn ObjectStore,
    layout: &TableLayout,
    committed: Option<&Manifest>,
    load_id: &str,
) {
    let result = match committed {
        Some(m) => manifest::cleanup(store, layout, m).await,
        None => manifest::remove_leftovers(store, layout, &job.job_id, load_id).await,
    };
    let alone = result
        .as_ref()
        .is_ok_and(|r| r.foreign_manifests.is_empty());
    match result {
        Ok(r) => {
            if !r.removed_files.is_empty() {
                tracing::info!(
                    "{}: removed {} files of earlier or failed loads",
                    job.job_id,
                    r.removed_files.len()
                );
            }
            let others = r.foreign_jobs();
            if !others.is_empty() {
                tracing::warn!(
                    "{}: the folder {} also holds {} loads of job {}; they were left alone. Give each job its own target_folder_path",
                    job.job_id,
                    layout.prefix(),
                    r.foreign_manifests.len(),
                    others.join(", ")
                );
            }
        }
        Err(e) => tracing::warn!("{}: could not remove earlier files: {e}", job.job_id),
    }
    let owns = |name: &str| owns_staging(layout, &job.job_id, alone, name);
    remove_staging(job, ctx, layout, &owns);
}

/// Remove the upload staging files of killed runs that `owns` says are the job's (a local
/// folder destination only), and log how many.
pub(super) fn remove_staging(
    job: &Job,
    ctx: &JobContext,
    layout: &TableLayout,
    owns: &dyn Fn(&str) -> bool,
) {
    let staging =
        ctx.destination
            .remove_staging(&job.target_container, layout.prefix().as_ref(), owns);
    if staging > 0 {
        tracing::info!(
            "{}: removed {staging} unfinished upload files of killed runs",
            job.job_id
        );
    }
}
