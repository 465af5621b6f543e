//! `[sources.x]` sections checked and typed for their kind once, by validation: what a source
//! connects with. Connecting never re-checks a key.

use super::{api, mssql, mysql, oracle, postgres, sqlite};
use crate::config::SourceType;
use crate::config::secrets::SourceSecret;

/// A source section, typed for its kind.
#[derive(Debug, Clone)]
pub enum SourceSettings {
    /// PostgreSQL.
    Postgres(postgres::PgSettings),
    /// MySQL or MariaDB.
    MySql(mysql::MySqlSettings),
    /// SQL Server.
    MsSql(mssql::MsSqlSettings),
    /// Oracle.
    Oracle(oracle::OracleSettings),
    /// SQLite.
    Sqlite(sqlite::SqliteSettings),
    /// A REST API.
    Api(api::settings::ApiSettings),
}

impl SourceSettings {
    /// Check a section for a source of type `ty` and type it; the error says what is missing
    /// or wrong, without the section name (e.g. "has no `host` (or `url`)").
    pub fn of(ty: SourceType, secret: &SourceSecret) -> Result<SourceSettings, String> {
        Ok(match ty {
            SourceType::PostgreSql => SourceSettings::Postgres(postgres::PgSettings::of(secret)?),
            SourceType::MySql => SourceSettings::MySql(mysql::MySqlSettings::of(secret)?),
            SourceType::MsSql => SourceSettings::MsSql(mssql::MsSqlSettings::of(secret)?),
            SourceType::Oracle => SourceSettings::Oracle(oracle::OracleSettings::of(secret)?),
            SourceType::Sqlite => SourceSettings::Sqlite(sqlite::SqliteSettings::of(secret)?),
            SourceType::Api => SourceSettings::Api(api::settings::ApiSettings::of(secret)?),
        })
    }

    /// The kind of source these settings connect to.
    pub fn source_type(&self) -> SourceType {
        match self {
            SourceSettings::Postgres(_) => SourceType::PostgreSql,
            SourceSettings::MySql(_) => SourceType::MySql,
            SourceSettings::MsSql(_) => SourceType::MsSql,
            SourceSettings::Oracle(_) => SourceType::Oracle,
            SourceSettings::Sqlite(_) => SourceType::Sqlite,
            SourceSettings::Api(_) => SourceType::Api,
        }
    }
}
