//! After a Delta commit: remove the job's data files that no commit of the job added — what
//! its failed, killed or fenced-off loads left. Files any commit added stay (older versions
//! may still read them; `VACUUM` retires those), and files older than the history searched are
//! left alone.

use super::{APP_METADATA_KEY, DeltaError, DeltaTarget, HISTORY_SEARCHED, LoadInfo, delta_err};
use crate::sink::layout::{TableLayout, same_job};
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use std::collections::HashSet;

impl DeltaTarget {
    /// Delete job `job_id`'s data files of loads before `load_id` that no commit of the job
    /// added; returns their paths.
    pub async fn tidy_uncommitted(
        &self,
        store: &dyn ObjectStore,
        layout: &TableLayout,
        job_id: &str,
        load_id: &str,
    ) -> Result<Vec<String>, DeltaError> {
        let err = |operation, e: &dyn std::fmt::Display| delta_err(&self.name, operation, e);
        let commits: Vec<_> = self
            .table
            .history(Some(HISTORY_SEARCHED))
            .try_collect()
            .await
            .map_err(|e| err("reading the history", &e))?;
        let loads: Vec<LoadInfo> = commits
            .iter()
            .filter_map(|c| c.info.get(APP_METADATA_KEY))
            .filter_map(|v| serde_json::from_value::<LoadInfo>(v.clone()).ok())
            .filter(|i| same_job(&i.job_id, job_id))
            .collect();
        let committed: HashSet<&str> = loads.iter().map(|i| i.load_id.as_str()).collect();
        // With the whole history read there is no lower bound; else only loads inside it.
        let since = (commits.len() >= HISTORY_SEARCHED)
            .then(|| committed.iter().min().map(|s| s.to_string()))
            .flatten();
        let files: Vec<_> = store
            .list(Some(&layout.data_prefix()))
            .try_collect()
            .await
            .map_err(|e| err("listing the data files", &e))?;
        let mut removed = Vec::new();
        for meta in files {
            let Some(f) = layout.parse_data_file(&meta.location) else {
                continue;
            };
            let own = f.job.as_deref().is_some_and(|j| same_job(j, job_id));
            let stale = f.load_id.as_str() < load_id
                && !committed.contains(f.load_id.as_str())
                && since.as_deref().is_none_or(|s| f.load_id.as_str() > s);
            if own && stale {
                match store.delete(&meta.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                        removed.push(meta.location.to_string())
                    }
                    Err(e) => return Err(err("removing a leftover file", &e)),
                }
            }
        }
        Ok(removed)
    }
}
