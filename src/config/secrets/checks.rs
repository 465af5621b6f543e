//! Meaning checks on deserialized sections: source types and destination auth.

use super::load::Ctx;
use super::{DestinationSecret, SourceSecret};
use crate::config::{Severity, SourceType};

pub(super) fn check_source(ctx: &mut Ctx, name: &str, s: &SourceSecret) {
    if let Some(kind) = &s.kind
        && SourceType::parse(kind).is_none()
    {
        ctx.push(
            Severity::Error,
            &format!("sources.{name}.type"),
            "type",
            format!(
                "[sources.{name}] has an unknown type `{}`",
                crate::config::rules::shown(kind)
            ),
            Some("use postgresql, mssql, oracle, mysql or sqlite".into()),
        );
    }
    if s.query_timeout_secs == Some(0) {
        ctx.push(
            Severity::Error,
            &format!("sources.{name}.query_timeout_secs"),
            "query_timeout_secs",
            format!(
                "`sources.{name}.query_timeout_secs` must be a positive whole number of seconds"
            ),
            Some("leave it out for no limit".into()),
        );
    }
}

pub(super) fn check_destination(ctx: &mut Ctx, name: &str, d: &DestinationSecret) {
    let section = format!("destinations.{name}");
    if d.path.is_some() {
        if d.storage_account_name.is_some() {
            ctx.error(
                &format!("{section}.path"),
                "path",
                format!("[{section}] has both `path` (local folder) and `storage_account_name` (ADLS); keep one"),
            );
        }
        return;
    }
    let emulator = d.use_emulator == Some(true);
    if d.storage_account_name.is_none() && !emulator {
        ctx.push(
            Severity::Error,
            &format!("{section}.storage_account_name"),
            "storage_account_name",
            format!("[{section}] needs `storage_account_name` (ADLS) or `path` (local folder)"),
            None,
        );
    }
    let mut kinds = Vec::new();
    if d.storage_account_key.is_some() {
        kinds.push("storage_account_key");
    }
    if d.sas_token.is_some() {
        kinds.push("sas_token");
    }
    if d.client_secret.is_some() {
        kinds.push("client_secret (service principal)");
    }
    if d.use_managed_identity == Some(true) {
        kinds.push("use_managed_identity");
    }
    if d.use_azure_cli == Some(true) {
        kinds.push("use_azure_cli");
    }
    if d.federated_token_file.is_some() {
        kinds.push("federated_token_file (workload identity)");
    }
    if emulator {
        kinds.push("use_emulator");
    }
    let hint = "set exactly one of storage_account_key, sas_token, tenant_id+client_id+client_secret, \
                use_managed_identity, use_azure_cli, federated_token_file, use_emulator";
    match kinds.len() {
        0 => ctx.push(
            Severity::Error,
            &section,
            "",
            format!("[{section}] has no authentication"),
            Some(hint.into()),
        ),
        1 => {}
        _ => ctx.push(
            Severity::Error,
            &section,
            "",
            format!(
                "[{section}] has several authentication kinds: {}",
                kinds.join(", ")
            ),
            Some(hint.into()),
        ),
    }
    if d.client_secret.is_some() || d.federated_token_file.is_some() {
        for (key, v) in [("tenant_id", &d.tenant_id), ("client_id", &d.client_id)] {
            if v.is_none() {
                ctx.error(
                    &format!("{section}.{key}"),
                    key,
                    format!(
                        "[{section}] needs `{key}` for service principal or workload identity auth"
                    ),
                );
            }
        }
    }
}
