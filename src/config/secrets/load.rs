//! Reading secrets.toml: parse to a table, apply `INGEST__…` overrides, check the structure
//! key by key (collecting every problem as an [`Issue`]), then deserialize section by section.

use super::Secrets;
use super::checks::{check_destination, check_source};
use super::env::apply_env;
use crate::config::{Issue, Location, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// A secrets file that cannot be read at all (structure problems are [`Issue`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The file does not exist.
    #[error(
        "secrets file {} does not exist; `ingest generate-sample` writes a template",
        path.display()
    )]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read secrets file {}: {source}", path.display())]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("secrets file {} is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not valid TOML; the offending line is never quoted (it may hold a password).
    #[error("secrets file {} is not valid TOML at line {line}, column {column}: {message}", path.display())]
    Malformed {
        /// The path given.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The parser's message, without the input text.
        message: String,
    },
}

/// What a key holds, for type checks and for converting environment values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    /// A string.
    Str,
    /// A boolean.
    Bool,
    /// An integer in `0..=max`.
    Int(u64),
    /// A non-negative number, integer or not.
    Number,
    /// A table of strings (`headers = { X-Tenant = "acme" }`).
    Table,
}

pub(super) const SOURCE_KEYS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("host", Kind::Str),
    ("port", Kind::Int(u16::MAX as u64)),
    ("database", Kind::Str),
    ("username", Kind::Str),
    ("password", Kind::Str),
    ("url", Kind::Str),
    ("path", Kind::Str),
    ("sslmode", Kind::Str),
    ("instance", Kind::Str),
    ("encrypt", Kind::Bool),
    ("trust_server_certificate", Kind::Bool),
    ("service_name", Kind::Str),
    ("sid", Kind::Str),
    ("connect_string", Kind::Str),
    ("number_scale", Kind::Int(38)),
    ("numeric_default", Kind::Str),
    ("infinity", Kind::Str),
    ("query_timeout_secs", Kind::Int(MAX_QUERY_TIMEOUT_SECS)),
    // API sources (crate::source::api::settings).
    ("base_url", Kind::Str),
    ("headers", Kind::Table),
    ("bearer_token", Kind::Str),
    ("api_key", Kind::Str),
    ("api_key_header", Kind::Str),
    ("api_key_param", Kind::Str),
    ("token_url", Kind::Str),
    ("client_id", Kind::Str),
    ("client_secret", Kind::Str),
    ("scope", Kind::Str),
    ("timeout_secs", Kind::Int(86_400)),
    ("max_requests_per_second", Kind::Number),
    ("pagination", Kind::Str),
    (
        "page_size",
        Kind::Int(crate::source::api::settings::MAX_PAGE_SIZE),
    ),
    ("records_path", Kind::Str),
    ("limit_param", Kind::Str),
    ("offset_param", Kind::Str),
    ("page_param", Kind::Str),
    ("start_page", Kind::Int(u32::MAX as u64)),
    ("cursor_param", Kind::Str),
    ("next_cursor_path", Kind::Str),
    ("next_url_path", Kind::Str),
    ("total_path", Kind::Str),
    ("incremental_param", Kind::Str),
    ("nested", Kind::Str),
];

/// Largest `query_timeout_secs`: PostgreSQL's `statement_timeout` (milliseconds in an i32) and
/// Oracle's call timeout (milliseconds in a u32) must hold it.
pub const MAX_QUERY_TIMEOUT_SECS: u64 = 2_147_483;

pub(super) const DESTINATION_KEYS: &[(&str, Kind)] = &[
    ("path", Kind::Str),
    ("storage_account_name", Kind::Str),
    ("container_name", Kind::Str),
    ("storage_account_key", Kind::Str),
    ("sas_token", Kind::Str),
    ("tenant_id", Kind::Str),
    ("client_id", Kind::Str),
    ("client_secret", Kind::Str),
    ("use_managed_identity", Kind::Bool),
    ("use_azure_cli", Kind::Bool),
    ("federated_token_file", Kind::Str),
    ("use_emulator", Kind::Bool),
    ("endpoint", Kind::Str),
    ("create_container", Kind::Bool),
    ("max_retries", Kind::Int(u32::MAX as u64)),
    ("retry_timeout_secs", Kind::Int(i64::MAX as u64)),
    ("part_size_mib", Kind::Int(i64::MAX as u64)),
    ("upload_concurrency", Kind::Int(u32::MAX as u64)),
    ("compression", Kind::Str),
];

/// Load secrets.toml with overrides from the process environment.
/// Variables that are not valid Unicode are ignored.
pub fn load(path: &Path) -> Result<(Secrets, Vec<Issue>), SecretsError> {
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    load_with_env(path, env)
}

/// Load secrets.toml, applying `INGEST__SOURCES__<NAME>__<KEY>` / `INGEST__DESTINATIONS__…`
/// overrides from `env`. Structure problems come back as issues; bad sections are left out.
pub fn load_with_env(
    path: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(Secrets, Vec<Issue>), SecretsError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SecretsError::Missing {
            path: path.to_path_buf(),
        },
        _ => SecretsError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    parse(path, bytes, env)
}

/// Parse the bytes of a secrets file named `path` (used in messages and to resolve relative
/// paths), applying `env` overrides. Never panics, whatever the bytes.
pub fn parse(
    path: &Path,
    bytes: Vec<u8>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(Secrets, Vec<Issue>), SecretsError> {
    let text = String::from_utf8(bytes).map_err(|_| SecretsError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    let mut table: Table = text.parse().map_err(|e: toml::de::Error| {
        let (line, column) = line_col(&text, e.span().map_or(0, |s| s.start));
        SecretsError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().replace('\n', "; "),
        }
    })?;
    let mut ctx = Ctx {
        file: path.display().to_string(),
        issues: Vec::new(),
    };
    apply_env(&mut table, env, &mut ctx);
    let mut secrets = Secrets {
        file: path.to_path_buf(),
        ..Secrets::default()
    };
    for (top, value) in table {
        match (top.as_str(), value) {
            ("sources", Value::Table(t)) => {
                secrets.sources = sections(&mut ctx, "sources", t, SOURCE_KEYS);
            }
            ("destinations", Value::Table(t)) => {
                secrets.destinations = sections(&mut ctx, "destinations", t, DESTINATION_KEYS);
            }
            ("variables", Value::Table(t)) => {
                secrets.variables = variables(&mut ctx, t);
            }
            ("notifications", Value::Table(t)) => {
                secrets.notifications = super::notify::parse(&mut ctx, t);
            }
            ("sources" | "destinations" | "variables" | "notifications", v) => {
                ctx.error(
                    &top,
                    &top,
                    format!("`{top}` must be a table, not {}", v.type_str()),
                );
            }
            _ => ctx.push(
                Severity::Error,
                &top,
                &top,
                format!("unknown top-level table `{top}`"),
                suggest(
                    &top,
                    &["sources", "destinations", "variables", "notifications"],
                ),
            ),
        }
    }
    let base = secrets.base_dir().to_path_buf();
    for (name, s) in &mut secrets.sources {
        check_source(&mut ctx, name, s);
        resolve(&base, &mut s.path);
    }
    for (name, d) in &mut secrets.destinations {
        check_destination(&mut ctx, name, d);
        resolve(&base, &mut d.path);
        resolve(&base, &mut d.federated_token_file);
    }
    Ok((secrets, ctx.issues))
}

/// `[variables]`: string values under variable names that are not built in. Messages never
/// quote a value.
fn variables(ctx: &mut Ctx, table: Table) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in table {
        let dotted = format!("variables.{name}");
        let checked = crate::config::vars::check_user_name(&name).and_then(|()| match &value {
            Value::String(v) => crate::config::vars::check_user_value(&name, v).map(|()| v),
            v => Err(format!("`{dotted}` must be a string, not {}", v.type_str())),
        });
        match checked {
            Ok(v) => {
                out.insert(name, v.clone());
            }
            Err(message) => ctx.error(&dotted, &name, message),
        }
    }
    out
}

pub(super) struct Ctx {
    file: String,
    issues: Vec<Issue>,
}

impl Ctx {
    pub(super) fn push(
        &mut self,
        sev: Severity,
        key: &str,
        col: &str,
        message: String,
        hint: Option<String>,
    ) {
        self.issues.push(Issue {
            severity: sev,
            at: Location::File {
                path: self.file.clone(),
                key: key.to_string(),
            },
            column: col.to_string(),
            message,
            hint,
        });
    }
    pub(super) fn error(&mut self, key: &str, col: &str, message: String) {
        self.push(Severity::Error, key, col, message, None);
    }
    pub(super) fn issue_count(&self) -> usize {
        self.issues.len()
    }
}

/// 1-based line and character column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn resolve(base: &Path, p: &mut Option<PathBuf>) {
    if let Some(path) = p
        && path.is_relative()
    {
        *path = base.join(&*path);
    }
}

/// The closest candidate within edit distance 2, as a hint.
pub(super) fn suggest(word: &str, candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_ascii_lowercase(), c), *c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(super) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Bool => "true or false",
        Kind::Int(_) => "a non-negative integer",
        Kind::Number => "a non-negative number",
        Kind::Table => "a table of strings",
    }
}

/// Check every key of every section, then deserialize the clean ones.
fn sections<T: serde::de::DeserializeOwned>(
    ctx: &mut Ctx,
    group: &str,
    table: Table,
    keys: &[(&str, Kind)],
) -> BTreeMap<String, T> {
    let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let mut out = BTreeMap::new();
    for (name, value) in table {
        let section_key = format!("{group}.{name}");
        let Value::Table(t) = value else {
            ctx.error(
                &section_key,
                &name,
                format!("`{section_key}` must be a table, not {}", value.type_str()),
            );
            continue;
        };
        let before = ctx.issues.len();
        for (key, v) in &t {
            let dotted = format!("{section_key}.{key}");
            match keys.iter().find(|(k, _)| k == key) {
                None => ctx.push(
                    Severity::Error,
                    &dotted,
                    key,
                    format!("unknown key `{key}` in [{section_key}]"),
                    suggest(key, &names),
                ),
                Some((_, kind)) if !fits(v, *kind) => {
                    let msg = match (kind, v) {
                        (Kind::Int(max), Value::Integer(_)) => {
                            format!("`{dotted}` must be an integer from 0 to {max}")
                        }
                        _ => format!(
                            "`{dotted}` must be {}, not {}",
                            kind_name(*kind),
                            v.type_str()
                        ),
                    };
                    ctx.error(&dotted, key, msg);
                }
                Some(_) => {}
            }
        }
        if ctx.issues.len() > before {
            continue;
        }
        match Value::Table(t).try_into::<T>() {
            Ok(section) => {
                out.insert(name, section);
            }
            // Never show serde's message: it may quote a value.
            Err(_) => ctx.error(
                &section_key,
                &name,
                format!("[{section_key}] cannot be read"),
            ),
        }
    }
    out
}

fn fits(v: &Value, kind: Kind) -> bool {
    match (kind, v) {
        (Kind::Str, Value::String(_)) | (Kind::Bool, Value::Boolean(_)) => true,
        (Kind::Int(max), Value::Integer(i)) => u64::try_from(*i).is_ok_and(|i| i <= max),
        (Kind::Number, Value::Integer(i)) => *i >= 0,
        (Kind::Number, Value::Float(f)) => f.is_finite() && *f >= 0.0,
        (Kind::Table, Value::Table(t)) => t.values().all(Value::is_str),
        _ => false,
    }
}
