//! SQL text per dialect: quoted identifiers, the job's relation, window and chunk predicates.

use super::{CursorValue, chunk::Chunk, window::Window};
use crate::config::{Job, SourceType};

/// SQL dialect of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `"ident"`, `$1`.
    Postgres,
    /// MySQL / MariaDB: `` `ident` ``, `?`.
    MySql,
    /// SQLite: `"ident"`, `?`.
    Sqlite,
    /// SQL Server: `[ident]`, `@P1`.
    MsSql,
    /// Oracle: `"IDENT"` (plain names upper-cased), `:1`.
    Oracle,
}

impl Dialect {
    /// The dialect of a source type.
    pub fn of(source_type: SourceType) -> Dialect {
        match source_type {
            SourceType::PostgreSql => Dialect::Postgres,
            SourceType::MySql => Dialect::MySql,
            // An API job's planned SQL is never sent; any dialect will do.
            SourceType::Sqlite | SourceType::Api => Dialect::Sqlite,
            SourceType::MsSql => Dialect::MsSql,
            SourceType::Oracle => Dialect::Oracle,
        }
    }

    /// A query answering one number, read like `COUNT(*)`: proves a connection works.
    pub fn ping_sql(&self) -> &'static str {
        match self {
            // `SELECT 1` is an int4 there; counts are read as bigint.
            Dialect::Postgres => "SELECT CAST(1 AS bigint)",
            Dialect::Oracle => "SELECT 1 FROM DUAL",
            Dialect::MySql | Dialect::Sqlite | Dialect::MsSql => "SELECT 1",
        }
    }
}

/// A bound parameter: the column it is compared with, and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Column the value is compared with (a source may format the value as that column needs).
    pub column: String,
    /// Typed value.
    pub value: CursorValue,
}

/// SQL text with placeholders in the dialect's style, and the values to bind, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// SQL text.
    pub sql: String,
    /// Values for the placeholders, in order.
    pub params: Vec<Param>,
}

/// What a job reads: a table (optionally schema-qualified) or a query, with an optional filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// Schema / owner.
    pub schema: Option<String>,
    /// Table or view.
    pub table: Option<String>,
    /// A SELECT used instead of the table.
    pub query: Option<String>,
    /// Extra WHERE condition (raw SQL).
    pub filter: Option<String>,
}

impl Relation {
    /// The relation of a job.
    pub fn of(job: &Job) -> Relation {
        Relation {
            schema: job.schema_name.clone(),
            table: job.table_name.clone(),
            query: job.source_query.clone(),
            filter: job.query_filter.clone(),
        }
    }
}

mod inline;
#[cfg(test)]
mod tests;
pub mod vars;

impl Dialect {
    /// Quote a workbook identifier: a plain name is folded as the database folds unquoted
    /// names (Postgres lower, Oracle upper, others unchanged); a quoted name (`"…"`, `[…]`,
    /// `` `…` ``) is unwrapped and re-quoted for this dialect, so it cannot break out.
    pub fn quote_ident(&self, name: &str) -> String {
        let inner = match unwrap_quoted(name) {
            Some(inner) => inner,
            None => match self {
                Dialect::Postgres => name.to_ascii_lowercase(),
                Dialect::Oracle => name.to_uppercase(),
                Dialect::MySql | Dialect::Sqlite | Dialect::MsSql => name.to_string(),
            },
        };
        match self {
            Dialect::Postgres | Dialect::Sqlite | Dialect::Oracle => {
                format!("\"{}\"", inner.replace('"', "\"\""))
            }
            Dialect::MySql => format!("`{}`", inner.replace('`', "``")),
            Dialect::MsSql => format!("[{}]", inner.replace(']', "]]")),
        }
    }

    /// The `n`-th (1-based) placeholder: `$n`, `?`, `@Pn` or `:n`.
    pub fn placeholder(&self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::MySql | Dialect::Sqlite => "?".to_string(),
            Dialect::MsSql => format!("@P{n}"),
            Dialect::Oracle => format!(":{n}"),
        }
    }
}

/// The name inside one quoted identifier (`"a""b"` → `a"b`, `[a]]b]` → `a]b`), or `None` for
/// a plain name.
pub fn unwrap_quoted(name: &str) -> Option<String> {
    let (open, close) = match name.chars().next()? {
        '"' => ('"', '"'),
        '`' => ('`', '`'),
        '[' => ('[', ']'),
        _ => return None,
    };
    let inner = name.strip_prefix(open)?.strip_suffix(close)?;
    let doubled: String = [close, close].iter().collect();
    Some(inner.replace(&doubled, &close.to_string()))
}

/// The FROM target: `"schema"."table"`, `"table"`, or `(\n{query}\n) AS src` (Oracle: no `AS`).
/// A query wins over a table; a trailing `;` of the query is dropped.
pub fn from_clause(d: Dialect, rel: &Relation) -> String {
    if let Some(q) = &rel.query {
        let q = q.trim_end().trim_end_matches(';').trim_end();
        let alias = if d == Dialect::Oracle {
            "src"
        } else {
            "AS src"
        };
        return format!("(\n{q}\n) {alias}");
    }
    let table = d.quote_ident(rel.table.as_deref().unwrap_or_default());
    match rel.schema.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => format!("{}.{table}", d.quote_ident(s)),
        None => table,
    }
}

/// Collects WHERE conditions and their parameters in placeholder order.
struct Conds {
    d: Dialect,
    conds: Vec<String>,
    params: Vec<Param>,
}

impl Conds {
    fn new(d: Dialect, rel: &Relation) -> Conds {
        let mut c = Conds {
            d,
            conds: Vec::new(),
            params: Vec::new(),
        };
        if let Some(f) = rel.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            c.conds.push(format!("(\n{f}\n)"));
        }
        c
    }

    fn bind(&mut self, column: &str, value: &CursorValue) -> String {
        self.params.push(Param {
            column: column.to_string(),
            value: *value,
        });
        self.d.placeholder(self.params.len())
    }

    fn compare(&mut self, column: &str, op: &str, value: &CursorValue) {
        let p = self.bind(column, value);
        let c = self.d.quote_ident(column);
        self.conds.push(format!("{c} {op} {p}"));
    }

    fn window(&mut self, window: Option<&Window>) {
        if let Some(w) = window {
            if let Some(lo) = &w.lo {
                self.compare(&w.column, ">=", lo);
            }
            self.compare(&w.column, "<=", &w.hi);
        }
    }

    fn chunk(&mut self, chunk: Option<&Chunk>) {
        let Some(ch) = chunk else { return };
        if let Some(from) = &ch.from {
            self.compare(&ch.column, ">=", from);
        }
        if let Some(to) = &ch.to {
            if ch.nulls {
                let p = self.bind(&ch.column, to);
                let c = self.d.quote_ident(&ch.column);
                self.conds.push(format!("({c} < {p} OR {c} IS NULL)"));
            } else {
                self.compare(&ch.column, "<", to);
            }
        }
    }

    fn finish(self, head: String) -> Query {
        let sql = if self.conds.is_empty() {
            head
        } else {
            format!("{head} WHERE {}", self.conds.join(" AND "))
        };
        Query {
            sql,
            params: self.params,
        }
    }
}

/// `SELECT * FROM …` restricted to the filter, the window (`lo ≤ c ≤ hi`) and the chunk
/// (`from ≤ c < to`, NULLs in the first chunk). Parameters in placeholder order.
pub fn select_sql(
    d: Dialect,
    rel: &Relation,
    window: Option<&Window>,
    chunk: Option<&Chunk>,
) -> Query {
    let mut c = Conds::new(d, rel);
    c.window(window);
    c.chunk(chunk);
    c.finish(format!("SELECT * FROM {}", from_clause(d, rel)))
}

/// `SELECT MIN(c), MAX(c) FROM …` within the filter and the window.
pub fn bounds_sql(d: Dialect, rel: &Relation, column: &str, window: Option<&Window>) -> Query {
    let mut c = Conds::new(d, rel);
    c.window(window);
    let q = d.quote_ident(column);
    c.finish(format!(
        "SELECT MIN({q}), MAX({q}) FROM {}",
        from_clause(d, rel)
    ))
}

/// The row-count expression: `COUNT_BIG(*)` on SQL Server (whose `COUNT(*)` is an `int` that
/// overflows past 2,147,483,647 rows), `COUNT(*)` elsewhere.
fn count_all(d: Dialect) -> &'static str {
    match d {
        Dialect::MsSql => "COUNT_BIG(*)",
        _ => "COUNT(*)",
    }
}

/// `SELECT COUNT(*) FROM … WHERE filter AND c IS NULL`: rows a cursor would never see.
pub fn null_count_sql(d: Dialect, rel: &Relation, column: &str) -> Query {
    let mut c = Conds::new(d, rel);
    c.conds.push(format!("{} IS NULL", d.quote_ident(column)));
    c.finish(format!(
        "SELECT {} FROM {}",
        count_all(d),
        from_clause(d, rel)
    ))
}

/// `SELECT COUNT(*) FROM …` within the filter and the window.
pub fn count_sql(d: Dialect, rel: &Relation, window: Option<&Window>) -> Query {
    let mut c = Conds::new(d, rel);
    c.window(window);
    c.finish(format!(
        "SELECT {} FROM {}",
        count_all(d),
        from_clause(d, rel)
    ))
}
