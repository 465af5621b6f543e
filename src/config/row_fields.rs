//! One row's enumerated and list columns, read and checked (`source_type`, `schema_change`,
//! `target_format`, `write_disposition`, `last_watermark`, `primary_key`), and the secrets
//! sections it names resolved.

use crate::config::cell;
use crate::config::job::{LoadType, SchemaChange, SourceType, TargetFormat, WriteDisposition};
use crate::config::row::RowCtx;
use crate::config::rules::{self, Problem};
use crate::plan::cursor::{CursorKind, CursorValue};

impl RowCtx<'_> {
    /// `text` of column `key` parsed as one word of a fixed set; a word not in it is reported
    /// with `hint`.
    pub(super) fn word<T>(
        &mut self,
        key: &str,
        text: &str,
        parse: fn(&str) -> Option<T>,
        hint: &str,
    ) -> Option<T> {
        let parsed = parse(text);
        if parsed.is_none() {
            let p = Problem::new(format!("`{}` is not a {key}", rules::shown(text))).hint(hint);
            self.error(key, p);
        }
        parsed
    }

    /// `schema_change`: evolve (also when empty) or fail.
    pub(super) fn schema_change(&mut self) -> SchemaChange {
        let Some(t) = self.text("schema_change") else {
            return SchemaChange::default();
        };
        let hint = "use evolve (the default) or fail";
        self.word("schema_change", &t, SchemaChange::parse, hint)
            .unwrap_or_default()
    }

    /// `target_format`: parquet (also when empty) or delta.
    pub(super) fn target_format(&mut self) -> TargetFormat {
        let text = self.text("target_format");
        let hint = "use parquet or delta";
        text.and_then(|t| self.word("target_format", &t, TargetFormat::parse, hint))
            .unwrap_or_default()
    }

    /// `write_disposition`, checked against the load type, format and key.
    pub(super) fn write_disposition(
        &mut self,
        load_type: Option<LoadType>,
        format: TargetFormat,
        primary_key: &[String],
    ) -> Option<WriteDisposition> {
        let text = self.text("write_disposition");
        let hint = "use append, replace or merge";
        let chosen = match text {
            None => None,
            Some(t) => Some(self.word("write_disposition", &t, WriteDisposition::parse, hint)?),
        };
        match rules::write_disposition(load_type?, format, chosen, !primary_key.is_empty()) {
            Ok(d) => Some(d),
            Err(p) => {
                self.error("write_disposition", p);
                None
            }
        }
    }

    /// `source_type`: required, one of the supported kinds.
    pub(super) fn source_type(&mut self) -> Option<SourceType> {
        let text = self.text("source_type");
        let hint = "use PostgreSQL, MSSQL, Oracle, MySQL, SQLite or API";
        let parsed = text.and_then(|t| self.word("source_type", &t, SourceType::parse, hint));
        self.require("source_type", parsed, "required")
    }

    /// `last_watermark`: a number, date or timestamp, as text (the column's kind comes later).
    pub(super) fn last_watermark(&mut self) -> Option<String> {
        let text = self.typed("last_watermark", cell::watermark_text)?;
        let kinds = [
            CursorKind::Int,
            CursorKind::Date,
            CursorKind::Timestamp,
            CursorKind::TimestampTz,
            CursorKind::Decimal,
        ];
        if kinds.iter().any(|k| CursorValue::parse(*k, &text).is_ok()) {
            return Some(text);
        }
        let text = rules::shown(&text);
        let p = Problem::new(format!("`{text}` is not a number, date or timestamp"))
            .hint("e.g. 12345, 2024-01-15 or 2024-01-15T08:30:00");
        self.error("last_watermark", p);
        None
    }

    /// `primary_key`: a list of plain or quoted names.
    pub(super) fn primary_key(&mut self) -> Vec<String> {
        let Some(text) = self.text("primary_key") else {
            return Vec::new();
        };
        let names = match rules::split_names(&text) {
            Ok(n) => n,
            Err(p) => {
                self.error("primary_key", p);
                return Vec::new();
            }
        };
        for name in &names {
            if let Err(p) = rules::identifier(name) {
                self.error("primary_key", p);
            }
        }
        names
    }

    /// Resolve the row's source and destination sections in the secrets.
    pub(super) fn resolve_secrets(
        &mut self,
        name: Option<&str>,
        ty: Option<SourceType>,
        dest: &str,
    ) {
        if let (Some(name), Some(ty)) = (name, ty) {
            match rules::source_section(self.secrets, name, ty) {
                Ok((section, settings)) => {
                    self.sources.insert(section, settings);
                }
                Err(p) => self.error("source_name", p),
            }
        }
        if let Err(p) = rules::destination_section(self.secrets, dest) {
            self.error("destination", p);
        }
    }
}
