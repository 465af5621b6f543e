//! After a commit: remove what a job no longer needs — only ever its own manifests and data
//! files. Other jobs' manifests in the same folder are reported, never retired, and every file
//! any manifest lists is kept.

use super::error::SinkError;
use super::layout::{DataFile, TableLayout, same_job};
use super::manifest::{Manifest, delete, get_opt, list, list_load_ids, parse};
use crate::config::job::LoadType;
use object_store::ObjectStore;
use serde::Serialize;
use std::collections::HashSet;

/// What [`cleanup`] removed, and what it left alone because another job wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanupReport {
    /// Data files removed.
    pub removed_files: Vec<String>,
    /// Manifests removed.
    pub removed_manifests: Vec<String>,
    /// Manifests of other jobs found in the folder (never retired; their files are kept),
    /// as `(job_id, manifest path)`.
    pub foreign_manifests: Vec<(String, String)>,
}

impl CleanupReport {
    /// The other jobs whose manifests share this job's folder, sorted, each once.
    pub fn foreign_jobs(&self) -> Vec<&str> {
        let mut jobs: Vec<&str> = self
            .foreign_manifests
            .iter()
            .map(|(j, _)| j.as_str())
            .collect();
        jobs.sort_unstable();
        jobs.dedup();
        jobs
    }
}

/// After a successful commit, touching only what job `committed.job_id` wrote: for FULL,
/// delete its data files `committed` does not list and its older manifests; for INCREMENTAL,
/// its data files no manifest lists (leftovers of failed runs). Files of loads newer than
/// `committed` are never touched. Manifests of other jobs are reported, never retired, and
/// every file any manifest lists is kept.
pub async fn cleanup(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    committed: &Manifest,
) -> Result<CleanupReport, SinkError> {
    let job = committed.job_id.as_str();
    if committed.load_type == LoadType::Incremental {
        return remove_leftovers(store, layout, job, &committed.load_id).await;
    }
    let folder = read_folder(store, layout, job).await?;
    let retired: Vec<&Manifest> = folder
        .own
        .iter()
        .filter(|m| m.load_id < committed.load_id)
        .collect();
    let mut keep = folder.foreign_files.clone();
    keep.extend(committed.files.iter().map(|f| f.path.clone()));
    let retired_files: HashSet<String> = retired
        .iter()
        .flat_map(|m| m.files.iter().map(|f| f.path.clone()))
        .collect();
    let mut report = CleanupReport {
        foreign_manifests: folder.foreign.clone(),
        ..CleanupReport::default()
    };
    report.removed_files = remove_unlisted(
        store,
        layout,
        &Owner {
            job,
            keep: &keep,
            retired: &retired_files,
            alone: folder.foreign.is_empty(),
        },
        &committed.load_id,
    )
    .await?;
    for m in retired {
        let path = layout.manifest_path(&m.name());
        delete(store, &path).await?;
        report.removed_manifests.push(path.to_string());
    }
    Ok(report)
}

/// Delete the data files of job `job_id` of loads up to `until` (a load id) that no manifest
/// lists: what its failed or killed runs left. Used after every successful run, also one that
/// loaded nothing.
pub async fn remove_leftovers(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    job_id: &str,
    until: &str,
) -> Result<CleanupReport, SinkError> {
    let folder = read_folder(store, layout, job_id).await?;
    let mut keep = folder.foreign_files;
    keep.extend(
        folder
            .own
            .iter()
            .flat_map(|m| m.files.iter().map(|f| f.path.clone())),
    );
    let owner = Owner {
        job: job_id,
        keep: &keep,
        retired: &HashSet::new(),
        alone: folder.foreign.is_empty(),
    };
    let removed_files = remove_unlisted(store, layout, &owner, until).await?;
    Ok(CleanupReport {
        removed_files,
        foreign_manifests: folder.foreign,
        ..CleanupReport::default()
    })
}

/// Whether an upload staging file (`{name}#{n}`, left by a killed upload to a local folder)
/// belongs to job `job_id`: one of its data files; a data file named before file names carried
/// a job id, or a manifest, only when no other job shares the folder (`alone`).
pub fn owns_staging(layout: &TableLayout, job_id: &str, alone: bool, file_name: &str) -> bool {
    let Some((base, _)) = file_name.rsplit_once('#') else {
        return false;
    };
    if let Some(file) = layout.parse_data_file(&layout.data_prefix().join(base)) {
        return match file.job {
            Some(j) => same_job(&j, job_id),
            None => alone,
        };
    }
    alone
        && layout
            .parse_manifest(&layout.manifests_prefix().join(base))
            .is_some()
}

/// The manifests of a table folder, split by job.
struct Folder {
    /// This job's manifests, oldest first.
    own: Vec<Manifest>,
    /// Other jobs' manifests: `(job_id, path)`.
    foreign: Vec<(String, String)>,
    /// The files other jobs' manifests list.
    foreign_files: HashSet<String>,
}

async fn read_folder(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    job_id: &str,
) -> Result<Folder, SinkError> {
    let mut folder = Folder {
        own: Vec::new(),
        foreign: Vec::new(),
        foreign_files: HashSet::new(),
    };
    for id in list_load_ids(store, layout).await? {
        let path = layout.manifest_path(&id);
        // Deleted meanwhile: its files are no longer protected by it.
        let Some(bytes) = get_opt(store, &path).await? else {
            continue;
        };
        let m = parse(&path, &bytes)?;
        if same_job(&m.job_id, job_id) {
            folder.own.push(m);
        } else {
            folder
                .foreign_files
                .extend(m.files.iter().map(|f| f.path.clone()));
            folder.foreign.push((m.job_id, path.to_string()));
        }
    }
    Ok(folder)
}

/// Which unlisted data files belong to the job being tidied.
struct Owner<'a> {
    /// The job.
    job: &'a str,
    /// Files that stay whoever wrote them (listed by a manifest that stays).
    keep: &'a HashSet<String>,
    /// Files of this job's manifests being retired.
    retired: &'a HashSet<String>,
    /// No other job's manifest is in the folder.
    alone: bool,
}

impl Owner<'_> {
    /// A data file carrying this job's id is its own; one named before file names carried a
    /// job id is when a retired manifest of this job lists it, or when no other job shares
    /// the folder.
    fn owns(&self, name: &str, file: &DataFile) -> bool {
        match &file.job {
            Some(j) => same_job(j, self.job),
            None => self.alone || self.retired.contains(name),
        }
    }
}

/// Delete the job's data files of loads up to `until` whose path is not kept.
async fn remove_unlisted(
    store: &dyn ObjectStore,
    layout: &TableLayout,
    owner: &Owner<'_>,
    until: &str,
) -> Result<Vec<String>, SinkError> {
    let mut removed = Vec::new();
    for path in list(store, &layout.data_prefix()).await? {
        let Some(file) = layout.parse_data_file(&path) else {
            continue;
        };
        let name = path.to_string();
        if file.load_id.as_str() > until || owner.keep.contains(&name) || !owner.owns(&name, &file)
        {
            continue;
        }
        delete(store, &path).await?;
        removed.push(name);
    }
    Ok(removed)
}

#[cfg(test)]
#[path = "cleanup_tests.rs"]
mod tests;
