//! `INGEST__SOURCES__<NAME>__<KEY>` / `INGEST__DESTINATIONS__<NAME>__<KEY>` overrides, applied to
//! the parsed table before it is checked and deserialized.

use super::load::{Ctx, DESTINATION_KEYS, Kind, SOURCE_KEYS, kind_name, suggest};
use crate::config::Severity;
use toml::{Table, Value};

pub(super) fn apply_env(
    table: &mut Table,
    env: impl IntoIterator<Item = (String, String)>,
    ctx: &mut Ctx,
) {
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.len() >= 8 && k[..8].eq_ignore_ascii_case("INGEST__"))
        .collect();
    vars.sort();
    for (var, raw) in vars {
        let parts: Vec<&str> = var.split("__").collect();
        let group = parts.get(1).map(|g| g.to_ascii_lowercase());
        let keys = match group.as_deref() {
            Some("sources") => SOURCE_KEYS,
            Some("destinations") => DESTINATION_KEYS,
            _ => &[],
        };
        let (Some(group), [_, _, name, key]) = (group, parts.as_slice()) else {
            unknown_var(ctx, &var);
            continue;
        };
        if keys.is_empty() || name.is_empty() || key.is_empty() {
            unknown_var(ctx, &var);
            continue;
        }
        let key = key.to_ascii_lowercase();
        let dotted = format!("{group}.{}.{key}", name.to_ascii_lowercase());
        let Some((_, kind)) = keys.iter().find(|(k, _)| *k == key) else {
            let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
            ctx.push(
                Severity::Error,
                &dotted,
                &key,
                format!("environment variable {var} sets unknown key `{key}`"),
                suggest(&key, &names),
            );
            continue;
        };
        let value = match kind {
            Kind::Str => Some(Value::String(raw)),
            Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" => Some(Value::Boolean(true)),
                "false" | "0" | "no" | "n" => Some(Value::Boolean(false)),
                _ => None,
            },
            Kind::Int(max) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|i| i <= max)
                .and_then(|i| i64::try_from(i).ok())
                .map(Value::Integer),
            Kind::Number => raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(Value::Float),
            // A table (API `headers`) is written in secrets.toml, not in one variable.
            Kind::Table => None,
        };
        let Some(value) = value else {
            ctx.error(
                &dotted,
                &key,
                format!("environment variable {var} must be {}", kind_name(*kind)),
            );
            continue;
        };
        let Value::Table(groups) = table
            .entry(group.clone())
            .or_insert_with(|| Value::Table(Table::new()))
        else {
            continue; // reported by the structure check
        };
        let existing = groups
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned();
        let section = existing.unwrap_or_else(|| name.to_ascii_lowercase());
        if let Value::Table(s) = groups
            .entry(section)
            .or_insert_with(|| Value::Table(Table::new()))
        {
            s.insert(key, value);
        }
    }
}

fn unknown_var(ctx: &mut Ctx, var: &str) {
    ctx.push(
        Severity::Warning,
        "",
        var,
        format!("environment variable {var} is ignored: it does not name a secrets key"),
        Some("use INGEST__SOURCES__<NAME>__<KEY> or INGEST__DESTINATIONS__<NAME>__<KEY>".into()),
    );
}
