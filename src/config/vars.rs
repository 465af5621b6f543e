//! Runtime variables: built in (fixed once per run), per job, and the user's (`[variables]`
//! in secrets.toml, overridden by `--var`). Resolving them is pure and reports [`Problem`]s.

use crate::config::job::LoadType;
use crate::config::rules::Problem;
use crate::plan::sql::Dialect;
use crate::plan::sql::vars::{self, Piece};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Built-in variables, the same for every job of a run.
pub const BUILT_IN: &[&str] = &["run_date", "run_ts", "yyyy", "mm", "dd", "hh"];
/// Per-job variables, taken from the job's own row.
pub const PER_JOB: &[&str] = &["job_id", "source_name", "table"];

/// How the built-in values are computed, and the `--var` overrides.
#[derive(Debug, Clone, Default)]
pub struct VarOptions {
    /// The run's instant (now when `None`).
    pub now: Option<DateTime<Utc>>,
    /// Time zone of the date parts (UTC when `None`).
    pub timezone: Option<chrono_tz::Tz>,
    /// `--var name=value`, later ones win; they override `[variables]`.
    pub overrides: Vec<(String, String)>,
}

/// Every run-wide variable with its value for this run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunVars {
    built_in: BTreeMap<String, String>,
    user: BTreeMap<String, String>,
}

/// The per-job values of one row.
#[derive(Debug, Clone, Copy)]
pub struct JobVars<'a> {
    /// `{job_id}`.
    pub job_id: &'a str,
    /// `{source_name}`.
    pub source_name: &'a str,
    /// `{table}`: the table name, or the job id for a `source_query` job.
    pub table: &'a str,
}

impl RunVars {
    /// The values for a run: built-ins from `opts`, then `[variables]`, then `--var`.
    pub fn new(opts: &VarOptions, from_secrets: &BTreeMap<String, String>) -> RunVars {
        let now = opts.now.unwrap_or_else(Utc::now);
        let (date, ts) = match opts.timezone {
            Some(tz) => {
                let local = now.with_timezone(&tz);
                (
                    local.naive_local(),
                    local.format("%Y%m%dT%H%M%S%z").to_string(),
                )
            }
            None => (now.naive_utc(), now.format("%Y%m%dT%H%M%SZ").to_string()),
        };
        let built_in = [
            ("run_date", date.format("%Y-%m-%d").to_string()),
            ("run_ts", ts),
            ("yyyy", date.format("%Y").to_string()),
            ("mm", date.format("%m").to_string()),
            ("dd", date.format("%d").to_string()),
            ("hh", date.format("%H").to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let mut user = from_secrets.clone();
        user.extend(opts.overrides.iter().cloned());
        RunVars { built_in, user }
    }

    /// The value of `name` for a job, and whether it is a built-in (path-safe by construction).
    pub(crate) fn lookup(&self, job: &JobVars, name: &str) -> Option<(String, bool)> {
        let per_job = match name {
            "job_id" => Some(job.job_id),
            "source_name" => Some(job.source_name),
            "table" => Some(job.table),
            _ => None,
        };
        if let Some(v) = per_job {
            return Some((v.to_string(), false));
        }
        if let Some(v) = self.built_in.get(name) {
            return Some((v.clone(), true));
        }
        self.user.get(name).map(|v| (v.clone(), false))
    }
}

/// Whether a name may be defined by the user: a variable name that is not built in.
pub fn check_user_name(name: &str) -> Result<(), String> {
    if !vars::is_var_name(name) {
        return Err(format!(
            "`{name}` is not a variable name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if BUILT_IN.contains(&name) || PER_JOB.contains(&name) {
        return Err(format!(
            "`{name}` is a built-in variable and cannot be redefined"
        ));
    }
    Ok(())
}

/// Whether a user value is acceptable anywhere: no control characters (never quoted back).
pub fn check_user_value(name: &str, value: &str) -> Result<(), String> {
    if value.chars().any(char::is_control) {
        return Err(format!(
            "the value of variable `{name}` must not contain control characters"
        ));
    }
    Ok(())
}

/// `--var name=value` parsed and checked.
pub fn parse_assignment(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not name=value"))?;
    let name = name.trim();
    check_user_name(name)?;
    check_user_value(name, value)?;
    Ok((name.to_string(), value.to_string()))
}

fn unknown(names: &[String]) -> Problem {
    let list: Vec<String> = names.iter().map(|n| format!("`{{{n}}}`")).collect();
    let which = if names.len() == 1 {
        "unknown variable"
    } else {
        "unknown variables"
    };
    Problem::new(format!("{which} {}", list.join(", "))).hint(
        "built in: {run_date} {run_ts} {yyyy} {mm} {dd} {hh} {job_id} {source_name} {table}; \
         define others in [variables] of secrets.toml or with --var name=value; \
         write {{ and }} for literal braces",
    )
}

/// Substitute variables in SQL text as string literals of dialect `d`; records used values.
pub fn resolve_sql(
    d: Dialect,
    text: &str,
    run: &RunVars,
    job: &JobVars,
    used: &mut BTreeMap<String, String>,
) -> Result<String, Problem> {
    let pieces = vars::sql_template(d, text);
    let mut out = String::new();
    let mut missing = Vec::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Var(n) => match run.lookup(job, &n) {
                Some((v, _)) => {
                    out.push_str(&vars::string_literal(d, &v));
                    used.insert(n, v);
                }
                None if !missing.contains(&n) => missing.push(n),
                None => {}
            },
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(unknown(&missing))
    }
}

/// Substitute variables in a target folder. Only FULL jobs may use them; a value other than a
/// built-in date part must be one path segment (no `/`, `\`, `..`, not empty).
pub fn resolve_folder(
    text: &str,
    load_type: LoadType,
    run: &RunVars,
    job: &JobVars,
    used: &mut BTreeMap<String, String>,
) -> Result<String, Problem> {
    let pieces = vars::path_template(text);
    let named: Vec<&str> = vars::names(&pieces).collect();
    if named.is_empty() {
        return Ok(text.replace("{{", "{").replace("}}", "}"));
    }
    if load_type == LoadType::Incremental {
        let list: Vec<String> = named.iter().map(|n| format!("`{{{n}}}`")).collect();
        return Err(Problem::new(format!(
            "an INCREMENTAL job's folder must be stable, but it uses {}",
            list.join(", ")
        ))
        .hint("each load adds to the folder of the earlier loads: remove the variable, or make the job FULL (snapshot per run)"));
    }
    let mut out = String::new();
    let mut missing = Vec::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Var(n) => match run.lookup(job, &n) {
                Some((v, built_in)) => {
                    if !built_in && !path_safe(&v) {
                        return Err(Problem::new(format!(
                            "the value of `{{{n}}}` cannot be used in a folder: it must be one folder name (no `/`, `\\`, `..`, not empty)"
                        )));
                    }
                    out.push_str(&v);
                    used.insert(n, v);
                }
                None if !missing.contains(&n) => missing.push(n),
                None => {}
            },
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(unknown(&missing))
    }
}

fn path_safe(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty()
        && t != "."
        && t != ".."
        && !v.contains(['/', '\\'])
        && !v.chars().any(char::is_control)
}

#[cfg(test)]
#[path = "vars_tests.rs"]
mod tests;
