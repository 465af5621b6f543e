//! Runtime variables in one row: `query_filter` and `source_query` get quoted literals,
//! `target_folder_path` of a FULL job gets path-safe values; problems land on their cells.

use crate::config::job::{LoadType, SourceType};
use crate::config::row::RowCtx;
use crate::config::vars::{self, JobVars};
use crate::plan::sql::Dialect;
use std::collections::BTreeMap;

impl RowCtx<'_> {
    /// Substitute the variables of each `(column, value)` in place; returns every variable used
    /// with its value. A value whose variables cannot be resolved becomes `None` (the row fails).
    pub(super) fn substitute(
        &mut self,
        (job_id, source_name, table): (Option<&str>, Option<&str>, Option<&str>),
        source_type: Option<SourceType>,
        load_type: Option<LoadType>,
        cells: [(&'static str, &mut Option<String>); 3],
    ) -> BTreeMap<String, String> {
        // `{table}` is the name without its quotes: `"Order Details"` gives `Order Details`.
        let unquoted = table.and_then(crate::plan::sql::unwrap_quoted);
        let job = JobVars {
            job_id: job_id.unwrap_or_default(),
            source_name: source_name.unwrap_or_default(),
            table: unquoted.as_deref().or(table).or(job_id).unwrap_or_default(),
        };
        // Without a valid source_type the row already failed; any dialect finds unknown names.
        let dialect = source_type.map_or(Dialect::Sqlite, Dialect::of);
        let load_type = load_type.unwrap_or(LoadType::Full);
        let mut used = BTreeMap::new();
        for (key, value) in cells {
            let Some(text) = value.as_deref() else {
                continue;
            };
            let resolved = if key == "target_folder_path" {
                vars::resolve_folder(text, load_type, self.vars, &job, &mut used)
                    .and_then(|f| crate::config::rules::folder_path(&f))
            } else {
                vars::resolve_sql(dialect, text, self.vars, &job, &mut used)
            };
            match resolved {
                Ok(v) => *value = Some(v),
                Err(p) => {
                    self.error(key, p);
                    *value = None;
                }
            }
        }
        used
    }
}
