//! Configuration: the workbook and secrets, loaded and validated into typed jobs.

pub mod blanks;
pub mod cell;
pub mod demo_db;
pub mod harness;
pub mod issue;
pub mod job;
mod row;
pub mod rules;
pub mod sample;
pub mod secrets;
pub mod validate;
pub mod workbook;

pub use issue::{Issue, Location, Severity};
pub use job::{Job, LoadType, SourceType, TargetFormat, WriteDisposition};
pub use secrets::Secrets;

use std::path::{Path, PathBuf};

/// Everything a command needs from the two files: jobs, every problem, and the secrets.
#[derive(Debug)]
pub struct Loaded {
    /// Jobs of rows without errors, in workbook order.
    pub jobs: Vec<Job>,
    /// Every problem of both files, sorted.
    pub issues: Vec<Issue>,
    /// The secrets.
    pub secrets: Secrets,
}

impl Loaded {
    /// Whether any problem is an error (nothing may run).
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }
}

/// A file that cannot be read at all: one plain sentence.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The workbook.
    #[error(transparent)]
    Workbook(#[from] workbook::WorkbookError),
    /// secrets.toml.
    #[error(transparent)]
    Secrets(#[from] secrets::SecretsError),
}

/// `secrets.toml` beside the workbook unless a path is given.
pub fn secrets_path(config: &Path, secrets: Option<&Path>) -> PathBuf {
    match secrets {
        Some(p) => p.to_path_buf(),
        None => config
            .parent()
            .unwrap_or(Path::new(""))
            .join("secrets.toml"),
    }
}

/// Read and validate the workbook and secrets; problems are collected, not raised.
pub fn load(config: &Path, secrets: Option<&Path>) -> Result<Loaded, LoadError> {
    let sheet = workbook::load(config)?;
    let (secrets, mut issues) = secrets::load(&secrets_path(config, secrets))?;
    let validation = validate::validate(&sheet, &secrets);
    issues.extend(validation.issues);
    issues.sort_by(|a, b| a.at.cmp(&b.at).then(a.severity.cmp(&b.severity)));
    Ok(Loaded {
        jobs: validation.jobs,
        issues,
        secrets,
    })
}
