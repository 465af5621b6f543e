//! Configuration: the workbook and secrets, loaded and validated into typed jobs.

pub mod blanks;
pub mod cell;
pub mod demo_db;
mod deps;
pub mod folders;
pub mod harness;
pub mod issue;
pub mod job;
mod row;
mod row_api;
mod row_fields;
mod row_vars;
pub mod rules;
pub mod sample;
pub mod secrets;
pub mod validate;
pub mod vars;
pub mod workbook;

pub use issue::{Issue, Location, Severity};
pub use job::{Job, LoadType, SchemaChange, SourceType, TargetFormat, WriteDisposition};
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
    /// The source sections the jobs use, checked and typed by validation, by section name.
    pub sources: std::collections::BTreeMap<String, crate::source::SourceSettings>,
}

impl Loaded {
    /// The settings a job's source connects with, and their section's name; `None` when
    /// validation refused the section.
    pub fn source_of(&self, job: &Job) -> Option<(&str, &crate::source::SourceSettings)> {
        let (section, _) = self.secrets.source_for(&job.source_name, job.source_type)?;
        self.sources
            .get_key_value(section)
            .map(|(k, v)| (k.as_str(), v))
    }

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
    load_with(config, secrets, &vars::VarOptions::default())
}

/// [`load`] with the run's variables (`--var`, `--timezone`); built-ins are fixed here, once.
pub fn load_with(
    config: &Path,
    secrets: Option<&Path>,
    opts: &vars::VarOptions,
) -> Result<Loaded, LoadError> {
    let sheet = workbook::load(config)?;
    let (secrets, mut issues) = secrets::load(&secrets_path(config, secrets))?;
    let run_vars = vars::RunVars::new(opts, &secrets.variables);
    let validation = validate::validate_with(&sheet, &secrets, &run_vars);
    issues.extend(validation.issues);
    issues.sort_by(|a, b| a.at.cmp(&b.at).then(a.severity.cmp(&b.severity)));
    Ok(Loaded {
        jobs: validation.jobs,
        issues,
        secrets,
        sources: validation.sources,
    })
}
