//! The columns of a Delta table: Arrow → Delta types (refusing what Delta cannot hold
//! exactly) and the job's `schema_change` policy between the table and a load.
//!
//! `evolve`: added columns join the table schema (a Metadata action in the load's commit; the
//! files already in the table read them as NULL); dropped columns stay in the table schema and
//! the new files carry none (read as NULL); any type change is refused, widening included
//! (Delta's type widening is a table feature most readers do not support yet). `fail`: any
//! added, dropped or retyped column fails the job. A FULL load replaces the schema.

use super::delta::DeltaError;
use crate::config::SchemaChange;
use crate::sink::manifest::FieldInfo;
use crate::sink::schema_diff::{SchemaDiff, TypeChange};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::{StructField, StructType};

/// The Delta schema of the files we write, refusing types Delta cannot hold exactly.
pub fn delta_schema(schema: &Schema) -> Result<StructType, DeltaError> {
    for f in schema.fields() {
        check_type(f, f.data_type())?;
    }
    let converted: Result<StructType, _> = (&plain(schema)).try_into_kernel();
    converted.map_err(|e| DeltaError::Delta {
        table: String::new(),
        operation: "mapping the columns to Delta types",
        message: e.to_string(),
    })
}

/// `schema` without field metadata: an Arrow extension type (`arrow.uuid`) recorded in the
/// Delta schema over a Delta type (`binary`) makes readers build an invalid type.
pub fn plain(schema: &Schema) -> Schema {
    Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_metadata(Default::default()))
            .collect::<Vec<_>>(),
    )
}

fn check_type(field: &Field, t: &DataType) -> Result<(), DeltaError> {
    let refuse = |why| {
        Err(DeltaError::Type {
            column: field.name().clone(),
            data_type: t.to_string(),
            why,
        })
    };
    match t {
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            refuse("Delta has signed integers only")
        }
        DataType::Time32(_) | DataType::Time64(_) => refuse("Delta has no time-of-day type"),
        DataType::Duration(_) | DataType::Interval(_) => refuse("Delta has no interval type"),
        DataType::Decimal256(..) => refuse("Delta decimals have at most 38 digits"),
        // A UUID column's files hold FIXED_LEN_BYTE_ARRAY(16) with the UUID logical type,
        // which readers refuse to read as the `binary` the Delta schema would say.
        DataType::FixedSizeBinary(_) => refuse("Delta has no UUID or fixed-size binary type"),
        DataType::Timestamp(unit, _) if *unit != TimeUnit::Microsecond => {
            refuse("Delta timestamps have microsecond precision")
        }
        DataType::Struct(fields) => fields.iter().try_for_each(|f| check_type(f, f.data_type())),
        DataType::List(f) | DataType::LargeList(f) => check_type(f, f.data_type()),
        _ => Ok(()),
    }
}

/// What a load does to the table's columns.
#[derive(Debug, Clone, Default)]
pub struct SchemaPlan {
    /// The table schema after the load, when it changes (a Metadata action in the commit).
    pub new_schema: Option<StructType>,
    /// How the load's columns differ from the table's (nullability aside), for the report.
    pub diff: Option<SchemaDiff>,
}

impl SchemaPlan {
    /// Whether the load adds columns to the table.
    pub fn adds_columns(&self) -> bool {
        self.diff.as_ref().is_some_and(|d| !d.added.is_empty())
    }
}

/// Apply `policy` to a load of `load` columns into a table of `current` columns (`replace`:
/// a FULL load; `forced`: `--full-refresh`). `keys` are the job's primary_key columns as the
/// workbook names them.
pub fn plan_schema(
    table: &str,
    current: &StructType,
    load: &StructType,
    policy: SchemaChange,
    replace: bool,
    forced: bool,
    keys: &[String],
) -> Result<SchemaPlan, DeltaError> {
    let diff = SchemaDiff::between(&fields(current), &fields(load));
    if !diff.columns_changed() {
        return Ok(SchemaPlan::default());
    }
    let refused = |detail: String| DeltaError::SchemaChanged {
        table: table.to_string(),
        detail,
    };
    if policy == SchemaChange::Fail && !forced {
        return Err(refused(format!(
            "schema_change = fail and {diff}; run once with --full-refresh to replace the table, or set schema_change = evolve"
        )));
    }
    if replace {
        return Ok(SchemaPlan {
            new_schema: Some(load.clone()),
            diff: Some(diff),
        });
    }
    if let Some(d) = diff
        .dropped
        .iter()
        .find(|d| keys.iter().any(|k| same_name(&d.name, k)))
    {
        return Err(refused(format!(
            "primary_key column `{}` was dropped; change primary_key, or run once with --full-refresh",
            d.name
        )));
    }
    if let Some(TypeChange {
        column, from, to, ..
    }) = diff.changed.first()
    {
        return Err(DeltaError::TypeChanged {
            table: table.to_string(),
            column: column.clone(),
            from: from.clone(),
            to: to.clone(),
        });
    }
    if diff.added.is_empty() {
        // Only dropped columns: they stay in the table schema, the new files lack them.
        return Ok(SchemaPlan {
            new_schema: None,
            diff: Some(diff),
        });
    }
    let added = load
        .fields()
        .filter(|f| diff.added.iter().any(|a| a.name == *f.name()))
        .map(|f| StructField::new(f.name().clone(), f.data_type().clone(), true));
    let merged = StructType::try_new(current.fields().cloned().chain(added)).map_err(|e| {
        DeltaError::Delta {
            table: table.to_string(),
            operation: "adding the new columns to the table schema",
            message: e.to_string(),
        }
    })?;
    Ok(SchemaPlan {
        new_schema: Some(merged),
        diff: Some(diff),
    })
}

/// A Delta schema as the field list a [`SchemaDiff`] compares (types as Delta names them).
fn fields(s: &StructType) -> Vec<FieldInfo> {
    s.fields()
        .map(|f| FieldInfo {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
            nullable: f.is_nullable(),
        })
        .collect()
}

/// A workbook name matches a column: a quoted name exactly, a plain one ignoring case.
fn same_name(column: &str, name: &str) -> bool {
    match crate::plan::sql::unwrap_quoted(name) {
        Some(inner) => column == inner,
        None => column.eq_ignore_ascii_case(name),
    }
}

#[cfg(test)]
#[path = "delta_schema_tests.rs"]
mod tests;
