//! Catalog queries per dialect: tables and views with columns, types, keys, nullability,
//! identity and row estimates from catalog statistics (never `COUNT(*)`, except on SQLite).
//!
//! Every query returns ten text columns, ordered by schema, table and column position:
//! schema, table, kind (`TABLE`/`VIEW`), row estimate, column, position, type, nullable
//! (`Y`/`N`), primary-key position, identity (`Y`/`N`).

use crate::plan::sql::Dialect;
use crate::source::{Source, SourceError};
use std::collections::HashMap;

/// Table or view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A base table (also a foreign table).
    Table,
    /// A view or materialized view.
    View,
}

/// One column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnInfo {
    /// Name exactly as the catalog spells it.
    pub name: String,
    /// Type as the catalog names it (`timestamp without time zone`, `int(11)`, `NUMBER(10,0)`).
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// 1-based position in the primary key.
    pub pk_position: Option<u32>,
    /// Identity, sequence default, auto_increment or SQLite rowid alias.
    pub identity: bool,
}

/// One table or view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableInfo {
    /// Schema / owner / database; `None` on SQLite.
    pub schema: Option<String>,
    /// Name exactly as the catalog spells it.
    pub name: String,
    /// Table or view.
    pub kind: Kind,
    /// Row estimate from catalog statistics; `None` when unknown (never analyzed, a view).
    pub rows: Option<u64>,
    /// Columns in position order.
    pub columns: Vec<ColumnInfo>,
}

impl TableInfo {
    /// The primary-key columns in key order.
    pub fn primary_key(&self) -> Vec<&ColumnInfo> {
        let mut pk: Vec<&ColumnInfo> = self
            .columns
            .iter()
            .filter(|c| c.pk_position.is_some())
            .collect();
        pk.sort_by_key(|c| c.pk_position);
        pk
    }
}

const POSTGRES: &str = "SELECT n.nspname::text, c.relname::text, \
CASE WHEN c.relkind IN ('v', 'm') THEN 'VIEW' ELSE 'TABLE' END, \
CASE WHEN c.relkind IN ('r', 'p', 'm') AND c.reltuples >= 0 THEN c.reltuples::bigint::text END, \
a.attname::text, a.attnum::text, format_type(a.atttypid, a.atttypmod), \
CASE WHEN a.attnotnull THEN 'N' ELSE 'Y' END, \
(SELECT k.ord::text FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
WHERE i.indrelid = c.oid AND i.indisprimary AND k.attnum = a.attnum), \
CASE WHEN a.attidentity IN ('a', 'd') OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%' \
THEN 'Y' ELSE 'N' END \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition \
AND (($1::text IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
AND n.nspname NOT LIKE 'pg\\_%') OR lower(n.nspname) = lower($1::text)) \
ORDER BY 1, 2, a.attnum";

const MYSQL: &str = "SELECT CAST(c.TABLE_SCHEMA AS CHAR), CAST(c.TABLE_NAME AS CHAR), \
CASE WHEN t.TABLE_TYPE = 'VIEW' THEN 'VIEW' ELSE 'TABLE' END, \
CASE WHEN t.TABLE_TYPE <> 'VIEW' THEN CAST(t.TABLE_ROWS AS CHAR) END, \
CAST(c.COLUMN_NAME AS CHAR), CAST(c.ORDINAL_POSITION AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), \
CASE WHEN c.IS_NULLABLE = 'YES' THEN 'Y' ELSE 'N' END, CAST(k.ORDINAL_POSITION AS CHAR), \
CASE WHEN c.EXTRA LIKE '%auto_increment%' THEN 'Y' ELSE 'N' END \
FROM information_schema.columns c JOIN information_schema.tables t \
ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
LEFT JOIN information_schema.key_column_usage k ON k.TABLE_SCHEMA = c.TABLE_SCHEMA \
AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY' \
WHERE c.TABLE_SCHEMA = COALESCE(?, DATABASE()) \
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION";

const SQLITE: &str = "SELECT NULL, m.name, upper(m.type), NULL, p.name, CAST(p.cid + 1 AS TEXT), \
p.type, CASE WHEN p.\"notnull\" THEN 'N' ELSE 'Y' END, \
CASE WHEN p.pk > 0 THEN CAST(p.pk AS TEXT) END, 'N' \
FROM sqlite_master m JOIN pragma_table_info(m.name) p \
WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
ORDER BY m.name, p.cid";

const MSSQL: &str = "SELECT s.name, o.name, CASE o.type WHEN 'V' THEN 'VIEW' ELSE 'TABLE' END, \
CAST((SELECT SUM(ps.row_count) FROM sys.dm_db_partition_stats ps \
WHERE ps.object_id = o.object_id AND ps.index_id IN (0, 1)) AS nvarchar(20)), \
c.name, CAST(c.column_id AS nvarchar(10)), \
TYPE_NAME(c.system_type_id) + CASE WHEN TYPE_NAME(c.system_type_id) IN ('decimal', 'numeric') \
THEN '(' + CAST(c.precision AS nvarchar(3)) + ',' + CAST(c.scale AS nvarchar(3)) + ')' ELSE '' END, \
CASE WHEN c.is_nullable = 1 THEN 'Y' ELSE 'N' END, CAST(ic.key_ordinal AS nvarchar(10)), \
CASE WHEN c.is_identity = 1 THEN 'Y' ELSE 'N' END \
FROM sys.objects o JOIN sys.schemas s ON s.schema_id = o.schema_id \
JOIN sys.columns c ON c.object_id = o.object_id \
LEFT JOIN sys.indexes i ON i.object_id = o.object_id AND i.is_primary_key = 1 \
LEFT JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id \
AND ic.column_id = c.column_id \
WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND s.name NOT IN ('sys', 'INFORMATION_SCHEMA') \
AND (@P1 IS NULL OR s.name = @P1) \
ORDER BY s.name, o.name, c.column_id";

const ORACLE: &str = "SELECT o.owner, o.object_name, o.object_type, TO_CHAR(t.num_rows), \
c.column_name, TO_CHAR(c.column_id), \
c.data_type || CASE WHEN c.data_type = 'NUMBER' AND c.data_precision IS NOT NULL \
THEN '(' || c.data_precision || ',' || NVL(c.data_scale, 0) || ')' END, \
c.nullable, TO_CHAR(pk.position), CASE WHEN c.identity_column = 'YES' THEN 'Y' ELSE 'N' END \
FROM all_objects o JOIN all_tab_columns c ON c.owner = o.owner AND c.table_name = o.object_name \
LEFT JOIN all_tables t ON t.owner = o.owner AND t.table_name = o.object_name \
LEFT JOIN (SELECT cc.owner, cc.table_name, cc.column_name, cc.position FROM all_constraints k \
JOIN all_cons_columns cc ON cc.owner = k.owner AND cc.constraint_name = k.constraint_name \
WHERE k.constraint_type = 'P') pk ON pk.owner = c.owner AND pk.table_name = c.table_name \
AND pk.column_name = c.column_name \
WHERE o.object_type IN ('TABLE', 'VIEW') AND o.owner = COALESCE(UPPER(:1), USER) \
ORDER BY o.owner, o.object_name, c.column_id";

/// The catalog query of a dialect and its parameters (the schema, or NULL for the default:
/// every user schema on PostgreSQL and SQL Server, the connection's database on MySQL, the
/// login's schema on Oracle; SQLite has one schema and no parameter).
pub fn catalog_query(d: Dialect, schema: Option<&str>) -> (&'static str, Vec<Option<String>>) {
    let s = schema.map(str::to_string);
    match d {
        Dialect::Postgres => (POSTGRES, vec![s]),
        Dialect::MySql => (MYSQL, vec![s]),
        Dialect::Sqlite => (SQLITE, Vec::new()),
        Dialect::MsSql => (MSSQL, vec![s]),
        Dialect::Oracle => (ORACLE, vec![s]),
    }
}

/// Group catalog rows (ten text columns) into tables, in first-seen order.
pub fn tables_from_rows(
    d: Dialect,
    rows: &[Vec<Option<String>>],
) -> Result<Vec<TableInfo>, String> {
    let mut tables: Vec<TableInfo> = Vec::new();
    let mut index: HashMap<(Option<String>, String), usize> = HashMap::new();
    for (n, row) in rows.iter().enumerate() {
        let get = |i: usize| row.get(i).cloned().flatten();
        let need = |i: usize, what: &str| {
            get(i).ok_or_else(|| format!("catalog row {} has no {what}", n + 1))
        };
        if row.len() != 10 {
            return Err(format!(
                "catalog row {} has {} columns, not 10",
                n + 1,
                row.len()
            ));
        }
        let schema = if d == Dialect::Sqlite { None } else { get(0) };
        let table = need(1, "table name")?;
        let column = ColumnInfo {
            name: need(4, "column name")?,
            data_type: get(6).unwrap_or_default(),
            nullable: get(7).is_none_or(|v| v.eq_ignore_ascii_case("Y")),
            pk_position: get(8)
                .and_then(|p| p.trim().parse().ok())
                .filter(|p| *p > 0),
            identity: get(9).is_some_and(|v| v.eq_ignore_ascii_case("Y")),
        };
        let key = (schema.clone(), table.clone());
        let i = match index.get(&key) {
            Some(i) => *i,
            None => {
                let kind = if get(2).is_some_and(|k| k.eq_ignore_ascii_case("VIEW")) {
                    Kind::View
                } else {
                    Kind::Table
                };
                let rows = get(3).and_then(|r| r.trim().parse::<f64>().ok());
                tables.push(TableInfo {
                    schema,
                    name: table,
                    kind,
                    rows: rows.filter(|r| *r >= 0.0).map(|r| r as u64),
                    columns: Vec::new(),
                });
                index.insert(key, tables.len() - 1);
                tables.len() - 1
            }
        };
        tables[i].columns.push(column);
    }
    if d == Dialect::Sqlite {
        for t in &mut tables {
            // A sole `INTEGER PRIMARY KEY` is the rowid: assigned by SQLite on insert.
            let pk: Vec<usize> = (0..t.columns.len())
                .filter(|i| t.columns[*i].pk_position.is_some())
                .collect();
            if let [only] = pk[..]
                && t.columns[only]
                    .data_type
                    .trim()
                    .eq_ignore_ascii_case("INTEGER")
            {
                t.columns[only].identity = true;
            }
        }
    }
    Ok(tables)
}

/// Read the catalog of a source: every table and view of `schema` (or the default).
/// SQLite tables get an exact `COUNT(*)` (cheap there, and it has no row statistics).
pub async fn read(
    source: &dyn Source,
    schema: Option<&str>,
) -> Result<Vec<TableInfo>, SourceError> {
    let d = source.dialect();
    let (sql, params) = catalog_query(d, schema);
    let rows = source.text_rows(sql, &params).await?;
    let mut tables = tables_from_rows(d, &rows).map_err(|message| SourceError::Query {
        message,
        sql: sql.to_string(),
    })?;
    if d == Dialect::Sqlite {
        for t in tables.iter_mut().filter(|t| t.kind == Kind::Table) {
            let count = format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM {}",
                d.quote_ident(&format!("\"{}\"", t.name.replace('"', "\"\"")))
            );
            let rows = source.text_rows(&count, &[]).await?;
            t.rows = rows
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .and_then(|n| n.parse().ok());
        }
    }
    Ok(tables)
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
