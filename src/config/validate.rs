//! Workbook rows → typed [`Job`]s, collecting every problem in one pass. Pure: no I/O.

use crate::config::cell;
use crate::config::issue::{self, Issue, Location, Severity};
use crate::config::job::{DEFAULT_CHUNK_SIZE, DEFAULT_DESTINATION, Job, LoadType, SourceType};
use crate::config::row::RowCtx;
use crate::config::rules::{self, Problem};
use crate::config::secrets::Secrets;
use crate::config::vars::{RunVars, VarOptions};
use crate::config::workbook::Sheet;
use std::collections::BTreeMap;

/// Columns every row must fill.
pub(super) const REQUIRED: &[&str] = &[
    "job_id",
    "source_type",
    "source_name",
    "load_type",
    "enabled",
    "target_container",
    "target_folder_path",
];
/// Columns reserved for the API source.
const API_COLUMNS: &[&str] = &["api_endpoint", "api_method", "pagination_type"];
/// Largest accepted chunk_size.
const MAX_CHUNK_SIZE: i64 = 10_000_000;
/// Largest accepted parallelism.
const MAX_PARALLELISM: i64 = 64;

/// The outcome of validation: the jobs of rows without errors, and every issue found.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Rows that had no error, in sheet order.
    pub jobs: Vec<Job>,
    /// Header issues plus every row problem, sorted by location.
    pub issues: Vec<Issue>,
    /// The source sections the jobs use, checked and typed for their kind, by section name.
    pub sources: BTreeMap<String, crate::source::SourceSettings>,
}

impl Validation {
    /// True when at least one issue is an error (nothing may run).
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Error)
    }
}

/// Check every row of the sheet against the rules of the workbook and resolve enabled jobs'
/// sources and destinations in `secrets`, with variables valued now in UTC. Never stops at the
/// first problem.
pub fn validate(sheet: &Sheet, secrets: &Secrets) -> Validation {
    let vars = RunVars::new(&VarOptions::default(), &secrets.variables);
    validate_with(sheet, secrets, &vars)
}

/// [`validate`] with the run's variables.
pub fn validate_with(sheet: &Sheet, secrets: &Secrets, vars: &RunVars) -> Validation {
    let mut issues = sheet.issues.clone();
    let mut missing_col = sheet.next_column();
    let mut header_error = |issues: &mut Vec<Issue>, key: &str, hint: String| {
        issues.push(
            Issue::error(
                sheet.cell(sheet.header_row, missing_col),
                key,
                "required column missing",
            )
            .with_hint(hint),
        );
        missing_col += 1;
    };
    for key in REQUIRED {
        if sheet.column_of(key).is_none() {
            header_error(
                &mut issues,
                key,
                format!("add a `{key}` column to the header row"),
            );
        }
    }
    if sheet.rows.is_empty() {
        issues.push(Issue::warning(
            Location::Row {
                sheet: sheet.name.clone(),
                row: sheet.header_row + 1,
            },
            "",
            "no jobs: the sheet has only a header row",
        ));
    }

    let mut jobs = Vec::new();
    let mut failed_deps = Vec::new();
    let mut first_id: BTreeMap<String, (u32, String)> = BTreeMap::new();
    let mut needs: BTreeMap<&'static str, (&'static str, Vec<u32>)> = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for row in &sheet.rows {
        let mut ctx = RowCtx {
            sheet,
            row,
            secrets,
            vars,
            issues: &mut issues,
            failed: false,
            needs: &mut needs,
            sources: &mut sources,
        };
        let job = ctx.job(&mut first_id);
        match (ctx.failed, job) {
            (false, Some(job)) => jobs.push(job),
            // Still report unknown dependencies of rows with other errors.
            (_, job) => failed_deps.push((row.row, job.map(|j| j.depends_on).unwrap_or_default())),
        }
    }
    for (key, (reason, rows)) in needs {
        let list: Vec<String> = rows.iter().map(u32::to_string).collect();
        let which = if rows.len() == 1 { "row" } else { "rows" };
        let hint = format!("{which} {} need it ({reason})", list.join(", "));
        header_error(&mut issues, key, hint);
    }
    super::folders::shared_folders(sheet, &jobs, &mut issues);
    super::folders::future_collisions(sheet, &jobs, &mut issues);
    super::deps::check(sheet, &first_id, &jobs, &failed_deps, &mut issues);
    issue::sort(&mut issues);
    Validation {
        jobs,
        issues,
        sources,
    }
}

impl RowCtx<'_> {
    fn job(&mut self, first_id: &mut BTreeMap<String, (u32, String)>) -> Option<Job> {
        let job_id = self.text("job_id");
        let job_id = self.require("job_id", job_id, "required");
        if let Some(id) = &job_id {
            match rules::job_id(id) {
                Err(p) => self.error("job_id", p),
                Ok(()) => match first_id.get(&id.to_ascii_lowercase()) {
                    Some((first, first_text)) => {
                        let how = if first_text == id {
                            ""
                        } else {
                            " (ignoring case)"
                        };
                        let col = self.sheet.column_of("job_id").unwrap_or_default();
                        let first_cell = self.sheet.cell(*first, col);
                        let msg = format!(
                            "duplicate job_id{how}, first used in row {first} ({first_cell})"
                        );
                        let hint = "job ids name state and output: make each one unique";
                        self.error("job_id", Problem::new(msg).hint(hint));
                    }
                    None => {
                        first_id.insert(id.to_ascii_lowercase(), (self.row.row, id.clone()));
                    }
                },
            }
        }

        let source_type = self.source_type();
        let source_name = self.text("source_name");
        let source_name = self.require("source_name", source_name, "required");

        let schema_name = self.ident("schema_name");
        if matches!(source_type, Some(SourceType::Oracle | SourceType::MsSql)) {
            let reason = match source_type {
                Some(SourceType::Oracle) => "required when source_type = Oracle",
                _ => "required when source_type = MSSQL",
            };
            self.require("schema_name", schema_name.clone(), reason);
        }
        let api = source_type == Some(SourceType::Api);
        let source_query = match self.text("source_query") {
            None => None,
            // An API row's source_query is a POST body, checked with its request.
            Some(q) if api => Some(q),
            Some(q) => match rules::source_query(&q) {
                Ok(q) => Some(q),
                Err(p) => {
                    self.error("source_query", p);
                    None
                }
            },
        };
        let table_name = self.ident("table_name");
        if source_query.is_none() && self.is_empty("source_query") && !api {
            self.require(
                "table_name",
                table_name.clone(),
                "required unless source_query is given",
            );
        }

        let hint = "use FULL or INCREMENTAL";
        let load_type = self
            .text("load_type")
            .and_then(|t| self.word("load_type", &t, LoadType::parse, hint));
        let load_type = self.require("load_type", load_type, "required");
        let enabled = self.typed("enabled", cell::boolean);
        let enabled = self.require("enabled", enabled, "required");

        let watermark_column = self.ident("watermark_column");
        if load_type == Some(LoadType::Incremental) {
            let reason = "required when load_type = INCREMENTAL";
            self.require("watermark_column", watermark_column.clone(), reason);
        }
        let last_watermark = self.last_watermark();
        let primary_key = self.primary_key();
        let partition_column = self.ident("partition_column");
        let query_filter = self.text("query_filter");
        let chunk_size = self.count("chunk_size", MAX_CHUNK_SIZE, DEFAULT_CHUNK_SIZE);
        let parallelism = self.count("parallelism", MAX_PARALLELISM, 1);
        let destination = self
            .text("destination")
            .unwrap_or_else(|| DEFAULT_DESTINATION.to_string());
        let schema_change = self.schema_change();
        let depends_on = self.depends_on();

        let target_format = self.target_format();
        let write_disposition = self.write_disposition(load_type, target_format, &primary_key);

        let target_container = self.text("target_container");
        let target_container = self.require("target_container", target_container, "required");
        if let Some(c) = &target_container
            && let Err(p) = rules::target_container(self.secrets, &destination, c)
        {
            self.error("target_container", p);
        }
        let folder = self.text("target_folder_path");
        let folder = self.require("target_folder_path", folder, "required");
        let mut target_folder_path = folder.and_then(|f| match rules::folder_path(&f) {
            Ok(f) => Some(f),
            Err(p) => {
                self.error("target_folder_path", p);
                None
            }
        });
        let (mut query_filter, mut source_query) = (query_filter, source_query);
        let mut api_body = if api { source_query.take() } else { None };
        let mut variables = self.substitute(
            (
                job_id.as_deref(),
                source_name.as_deref(),
                table_name.as_deref(),
            ),
            source_type,
            load_type,
            [
                ("query_filter", &mut query_filter),
                ("source_query", &mut source_query),
                ("target_folder_path", &mut target_folder_path),
            ],
        );

        let api_job = match api {
            true => self.api_request(
                (job_id.as_deref(), source_name.as_deref()),
                api_body.take(),
                parallelism,
                &mut variables,
            ),
            false => None,
        };
        if source_type.is_some() && !api {
            for key in API_COLUMNS {
                if self.text(key).is_some() {
                    let msg = "only used by the API source; ignored";
                    self.issues.push(Issue::warning(self.at(key), *key, msg));
                }
            }
        }
        if enabled == Some(true) {
            self.resolve_secrets(source_name.as_deref(), source_type, &destination);
        }

        Some(Job {
            job_id: job_id?,
            row: self.row.row,
            source_type: source_type?,
            source_name: source_name?,
            schema_name,
            table_name,
            source_query,
            load_type: load_type?,
            enabled: enabled?,
            target_container: target_container?,
            target_folder_path: target_folder_path?,
            watermark_column,
            last_watermark,
            primary_key,
            partition_column,
            query_filter,
            chunk_size,
            parallelism,
            destination,
            schema_change,
            depends_on,
            variables,
            target_format,
            write_disposition: write_disposition?,
            api: match api {
                true => Some(api_job?),
                false => None,
            },
        })
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
