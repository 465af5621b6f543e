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
            Some("use postgresql, mssql, oracle, mysql, sqlite or api".into()),
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
    // The rules live with the destination, which refuses the same section when it is built.
    for p in crate::sink::azure::destination_problems(name, d) {
        let at = match p.key {
            "" => format!("destinations.{name}"),
            key => format!("destinations.{name}.{key}"),
        };
        ctx.push(Severity::Error, &at, p.key, p.message, p.hint);
    }
}
