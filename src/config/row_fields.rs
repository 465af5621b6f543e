//! One row's enumerated and list columns, read and checked (`source_type`, `schema_change`,
//! `target_format`, `write_disposition`, `last_watermark`, `primary_key`), and the secrets
//! sections it names resolved.

use crate::config::cell;
use crate::config::job::{LoadType, SchemaChange, SourceType, TargetFormat, WriteDisposition};
use crate::config::row::RowCtx;
use crate::config::rules::{self, Problem};
use crate::plan::cursor::{CursorKind, CursorValue};

impl RowCtx<'_> {
    /// `schema_change`: evolve (also when empty) or fail.
    pub(super) fn schema_change(&mut self) -> SchemaChange {
        let Some(t) = self.text("schema_change") else {
            return SchemaChange::default();
        };
        SchemaChange::parse(&t).unwrap_or_else(|| {
            let p = Problem::new(format!("`{}` is not a schema_change", rules::shown(&t)))
                .hint("use evolve (the default) or fail");
            self.error("schema_change", p);
            SchemaChange::default()
        })
    }

    pub(super) fn target_format(&mut self) -> TargetFormat {
        let text = self.text("target_format");
        text.and_then(|t| match TargetFormat::parse(&t) {
            Some(f) => Some(f),
            None => {
                let p = Problem::new(format!("`{}` is not a target_format", rules::shown(&t)))
                    .hint("use parquet or delta");
                self.error("target_format", p);
                None
            }
        })
        .unwrap_or_default()
    }

    pub(super) fn write_disposition(
        &mut self,
        load_type: Option<LoadType>,
        format: TargetFormat,
        primary_key: &[String],
    ) -> Option<WriteDisposition> {
        let text = self.text("write_disposition");
        let chosen = match text.map(|t| (WriteDisposition::parse(&t), t)) {
            None => None,
            Some((Some(d), _)) => Some(d),
            Some((None, t)) => {
                let p = Problem::new(format!("`{}` is not a write_disposition", rules::shown(&t)))
                    .hint("use append, replace or merge");
                self.error("write_disposition", p);
                return None;
            }
        };
        match rules::write_disposition(load_type?, format, chosen, !primary_key.is_empty()) {
            Ok(d) => Some(d),
            Err(p) => {
                self.error("write_disposition", p);
                None
            }
        }
    }

    pub(super) fn source_type(&mut self) -> Option<SourceType> {
        let text = self.text("source_type");
        let parsed = text.and_then(|t| match SourceType::parse(&t) {
            Some(s) => Some(s),
            None => {
                let p = Problem::new(format!("`{}` is not a source_type", rules::shown(&t)))
                    .hint("use PostgreSQL, MSSQL, Oracle, MySQL, SQLite or API");
                self.error("source_type", p);
                None
            }
        });
        self.require("source_type", parsed, "required")
    }

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
