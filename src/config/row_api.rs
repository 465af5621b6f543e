//! An `API` row's request: `api_endpoint` (variables URL-encoded), `api_method`, the JSON body
//! in `source_query` (variables inside its strings) and the options in `pagination_type`.

use crate::config::row::RowCtx;
use crate::config::rules::Problem;
use crate::config::vars::{JobVars, RunVars};
use crate::plan::sql::vars::{self as template, Piece};
use crate::source::SourceSettings;
use crate::source::api::ApiJob;
use crate::source::api::request::{check_body, check_endpoint, parse_method};
use std::collections::BTreeMap;

impl RowCtx<'_> {
    /// Check an `API` row's request cells; `None` when one is wrong (the row fails).
    /// `ids` are the job id and source name; `body` the `source_query` cell; the variables
    /// used are added to `used`.
    pub(super) fn api_request(
        &mut self,
        ids: (Option<&str>, Option<&str>),
        body: Option<String>,
        parallelism: usize,
        used: &mut BTreeMap<String, String>,
    ) -> Option<ApiJob> {
        let section = ids.1.and_then(|n| {
            crate::config::rules::source_section(self.secrets, n, crate::config::SourceType::Api)
                .ok()
                .map(|(_, s)| s)
        });
        let settings = section.as_ref();
        if parallelism > 1 {
            let p = Problem::new("an API job reads its pages in order; it cannot be split");
            self.error("parallelism", p.hint("use 1"));
        }
        let job = JobVars {
            job_id: ids.0.unwrap_or_default(),
            source_name: ids.1.unwrap_or_default(),
            table: ids.0.unwrap_or_default(),
        };
        let endpoint = self.text("api_endpoint");
        let endpoint = self.require("api_endpoint", endpoint, "required when source_type = API");
        let endpoint = endpoint.and_then(|e| {
            let resolved = resolve(&e, self.vars, &job, used, |v| {
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
            })
            .and_then(|e| {
                check_endpoint(&e).map_err(|m| Problem::new(format!("the endpoint {m}")))
            });
            resolved.map_err(|p| self.error("api_endpoint", p)).ok()
        });
        let method = self.text("api_method");
        let method = parse_method(method.as_deref())
            .map_err(|m| self.error("api_method", Problem::new(m)))
            .ok();
        let body = match body {
            None => None,
            Some(text) => match self.json_body(&text, &job, used) {
                Ok(b) => Some(b),
                Err(p) => {
                    self.error("source_query", p);
                    return None;
                }
            },
        };
        if body.is_some() && method == Some(crate::source::api::client::Method::Get) {
            let p = Problem::new("a GET request has no body")
                .hint("set api_method = POST, or clear source_query");
            self.error("source_query", p);
        }
        let options = self.text("pagination_type");
        if let Some(cell) = &options {
            let checked = match settings {
                Some(SourceSettings::Api(s)) => s.options.with_cell(cell).map(|_| ()),
                _ => crate::source::api::settings::ApiOptions::default()
                    .apply_cell(cell)
                    .map(|_| ()),
            };
            if let Err(m) = checked {
                let hint = "e.g. cursor; next_cursor_path=meta.next_cursor; page_size=500";
                self.error("pagination_type", Problem::new(m).hint(hint));
                return None;
            }
        } else if let Some(SourceSettings::Api(s)) = settings
            && let Err(m) = s.options.check()
        {
            self.error(
                "source_name",
                Problem::new(m).hint("set it in the source section or in pagination_type"),
            );
        }
        if self.text("partition_column").is_some() {
            let p = Problem::new("an API job reads its pages in order; it cannot be split");
            self.error("partition_column", p.hint("clear the cell"));
        }
        for key in ["schema_name", "query_filter"] {
            if self.text(key).is_some() {
                let msg = "not used by an API row; ignored";
                self.issues
                    .push(crate::config::issue::Issue::warning(self.at(key), key, msg));
            }
        }
        Some(ApiJob {
            endpoint: endpoint?,
            method: method?,
            body,
            options,
        })
    }

    /// The POST body: JSON, with variables replaced inside its strings.
    fn json_body(
        &mut self,
        text: &str,
        job: &JobVars,
        used: &mut BTreeMap<String, String>,
    ) -> Result<String, Problem> {
        check_body(text).map_err(|m| {
            Problem::new(m).hint("source_query of an API row is the JSON body of a POST")
        })?;
        let mut value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Problem::new(format!("the POST body is not JSON ({e})")))?;
        fill(&mut value, self.vars, job, used)?;
        Ok(value.to_string())
    }
}

/// Replace the variables in every string of a JSON value.
fn fill(
    v: &mut serde_json::Value,
    run: &RunVars,
    job: &JobVars,
    used: &mut BTreeMap<String, String>,
) -> Result<(), Problem> {
    match v {
        serde_json::Value::String(s) => {
            *s = resolve(s, run, job, used, str::to_string)?;
        }
        serde_json::Value::Array(items) => {
            for i in items {
                fill(i, run, job, used)?;
            }
        }
        serde_json::Value::Object(map) => {
            for (_, i) in map.iter_mut() {
                fill(i, run, job, used)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `text` with each `{name}` replaced by `encode(value)`; unknown names are one problem.
fn resolve(
    text: &str,
    run: &RunVars,
    job: &JobVars,
    used: &mut BTreeMap<String, String>,
    encode: impl Fn(&str) -> String,
) -> Result<String, Problem> {
    let pieces = template::path_template(text);
    if template::names(&pieces).next().is_none() {
        return Ok(text.to_string());
    }
    let (mut out, mut missing) = (String::new(), Vec::new());
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Var(n) => match run.lookup(job, &n) {
                Some((v, _)) => {
                    out.push_str(&encode(&v));
                    used.insert(n, v);
                }
                None => missing.push(format!("`{{{n}}}`")),
            },
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(
            Problem::new(format!("unknown variable {}", missing.join(", ")))
                .hint("use a built-in variable, or define it under [variables] or with --var"),
        )
    }
}
