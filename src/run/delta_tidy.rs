//! After a Delta job's run: remove what its failed or killed loads left (`table::tidy`).
//! Errors are logged, never fail the job: the load is committed, the leftovers wait for the
//! next run.

use super::job::JobContext;
use crate::config::Job;
use crate::sink::layout::TableLayout;
use crate::table::delta::DeltaTarget;
use crate::table::tidy::{Leftovers, committed_load_ids, remove_leftovers};
use object_store::ObjectStore;

/// Remove the job's data files of loads older than `until` that the table does not reference,
/// and the staging files their killed uploads left in a local folder.
pub(super) async fn tidy(
    job: &Job,
    ctx: &JobContext,
    target: &DeltaTarget,
    store: &dyn ObjectStore,
    layout: &TableLayout,
    until: &str,
) {
    let committed = match committed_load_ids(target).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "{}: could not read the table's files to tidy: {e}",
                job.job_id
            );
            return;
        }
    };
    let leftovers = Leftovers {
        layout,
        job_id: &job.job_id,
        until,
        committed: &committed,
    };
    match remove_leftovers(target, store, &leftovers).await {
        Ok(removed) if !removed.is_empty() => tracing::info!(
            "{}: removed {} data files of failed loads no commit references",
            job.job_id,
            removed.len()
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(
            "{}: could not remove files of failed loads: {e}",
            job.job_id
        ),
    }
    super::tidy::remove_staging(job, ctx, layout, &|name| leftovers.owns_staging(name));
}
