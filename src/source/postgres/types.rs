//! PostgreSQL catalog types → Arrow: the exact mapping, per-source options, typmods.

use arrow::datatypes::{DataType, Field, TimeUnit};
use std::collections::HashMap;
use std::sync::Arc;

/// Field metadata key naming an Arrow extension type.
pub const EXTENSION_KEY: &str = "ARROW:extension:name";
/// The canonical Arrow UUID extension (Parquet writes the UUID logical type for it).
pub const UUID_EXTENSION: &str = "arrow.uuid";

/// What to do with `infinity` / `-infinity` dates and timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Infinity {
    /// Fail the job, naming the column (default).
    #[default]
    Error,
    /// Write NULL.
    Null,
    /// Write the type's limit (PostgreSQL's for dates, Arrow's for timestamps).
    Clamp,
}

/// Per-source options from the secrets section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgOptions {
    /// Precision and scale for `numeric` columns declared without them.
    pub numeric_default: (u8, i8),
    /// Handling of infinite dates and timestamps.
    pub infinity: Infinity,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            numeric_default: crate::source::arrow::DEFAULT_DECIMAL,
            infinity: Infinity::Error,
        }
    }
}

impl PgOptions {
    /// Parse `numeric_default = "p,s"` and `infinity = "error|null|clamp"`; errors name the key.
    pub fn parse(numeric_default: Option<&str>, infinity: Option<&str>) -> Result<Self, String> {
        let mut o = PgOptions::default();
        if let Some(text) = numeric_default {
            let bad = || {
                format!(
                    "`numeric_default` must be \"precision,scale\" with precision 1..=76 and 0 <= scale <= precision, not `{text}`"
                )
            };
            let (p, s) = text.split_once(',').ok_or_else(bad)?;
            let p: u8 = p.trim().parse().map_err(|_| bad())?;
            let s: i8 = s.trim().parse().map_err(|_| bad())?;
            if p == 0 || p > 76 || s < 0 || s as u8 > p {
                return Err(bad());
            }
            o.numeric_default = (p, s);
        }
        if let Some(text) = infinity {
            o.infinity = match text.trim().to_ascii_lowercase().as_str() {
                "error" => Infinity::Error,
                "null" => Infinity::Null,
                "clamp" => Infinity::Clamp,
                _ => {
                    return Err(format!(
                        "`infinity` must be \"error\", \"null\" or \"clamp\", not `{text}`"
                    ));
                }
            };
        }
        Ok(o)
    }
}

/// How one column's binary COPY value is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgKind {
    /// bool.
    Bool,
    /// int2.
    I16,
    /// int4.
    I32,
    /// int8.
    I64,
    /// oid (unsigned 32-bit).
    Oid,
    /// float4.
    F32,
    /// float8.
    F64,
    /// numeric as Decimal128 (p <= 38) or Decimal256.
    Numeric {
        /// Precision.
        p: u8,
        /// Scale (may be negative).
        s: i8,
    },
    /// Text in the client encoding (UTF-8), including values cast to text in the query.
    Text,
    /// jsonb: a version byte, then the JSON text.
    Jsonb,
    /// bytea.
    Bytea,
    /// uuid, 16 bytes.
    Uuid,
    /// date: days since 2000-01-01.
    Date,
    /// time: µs since midnight.
    Time,
    /// timestamp: µs since 2000-01-01.
    Timestamp,
    /// timestamptz: µs since 2000-01-01 UTC.
    TimestampTz,
    /// interval: µs, days, months (a struct of the three).
    Interval,
    /// A one-dimensional array.
    List(Box<PgKind>),
}

impl PgKind {
    /// The Arrow type this kind is decoded into.
    pub fn data_type(&self) -> DataType {
        match self {
            PgKind::Bool => DataType::Boolean,
            PgKind::I16 => DataType::Int16,
            PgKind::I32 => DataType::Int32,
            PgKind::I64 => DataType::Int64,
            PgKind::Oid => DataType::UInt32,
            PgKind::F32 => DataType::Float32,
            PgKind::F64 => DataType::Float64,
            PgKind::Numeric { p, s } if *p <= 38 => DataType::Decimal128(*p, *s),
            PgKind::Numeric { p, s } => DataType::Decimal256(*p, *s),
            PgKind::Text | PgKind::Jsonb => DataType::Utf8,
            PgKind::Bytea => DataType::Binary,
            PgKind::Uuid => DataType::FixedSizeBinary(16),
            PgKind::Date => DataType::Date32,
            PgKind::Time => DataType::Time64(TimeUnit::Microsecond),
            PgKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            PgKind::TimestampTz => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            PgKind::Interval => DataType::Struct(interval_fields()),
            PgKind::List(inner) => DataType::List(Arc::new(inner.field("item"))),
        }
    }

    /// A nullable Arrow field of this kind (UUIDs carry the `arrow.uuid` extension).
    pub fn field(&self, name: &str) -> Field {
        let f = Field::new(name, self.data_type(), true);
        if *self == PgKind::Uuid {
            f.with_metadata(HashMap::from([(
                EXTENSION_KEY.to_string(),
                UUID_EXTENSION.to_string(),
            )]))
        } else {
            f
        }
    }

    /// Best-effort kind for an Arrow type (used when a schema was not described by this source).
    pub fn from_data_type(dt: &DataType) -> Option<PgKind> {
        Some(match dt {
            DataType::Boolean => PgKind::Bool,
            DataType::Int16 => PgKind::I16,
            DataType::Int32 => PgKind::I32,
            DataType::Int64 => PgKind::I64,
            DataType::UInt32 => PgKind::Oid,
            DataType::Float32 => PgKind::F32,
            DataType::Float64 => PgKind::F64,
            DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
                PgKind::Numeric { p: *p, s: *s }
            }
            DataType::Utf8 => PgKind::Text,
            DataType::Binary => PgKind::Bytea,
            DataType::FixedSizeBinary(16) => PgKind::Uuid,
            DataType::Date32 => PgKind::Date,
            DataType::Time64(TimeUnit::Microsecond) => PgKind::Time,
            DataType::Timestamp(TimeUnit::Microsecond, None) => PgKind::Timestamp,
            DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => PgKind::TimestampTz,
            DataType::Struct(f) if *f == interval_fields() => PgKind::Interval,
            DataType::List(f) => PgKind::List(Box::new(PgKind::from_data_type(f.data_type())?)),
            _ => return None,
        })
    }
}

/// The struct an interval loads as: exact (Parquet has no signed µs interval type).
pub fn interval_fields() -> arrow::datatypes::Fields {
    arrow::datatypes::Fields::from(vec![
        Field::new("months", DataType::Int32, false),
        Field::new("days", DataType::Int32, false),
        Field::new("microseconds", DataType::Int64, false),
    ])
}

/// A base (non-domain, non-array) type as the catalog names it.
#[derive(Debug, Clone, Copy)]
pub struct BaseType<'a> {
    /// pg_type.oid.
    pub oid: u32,
    /// pg_type.typname.
    pub name: &'a str,
    /// pg_type.typtype (`b`, `e`, `r`, …).
    pub typtype: &'a str,
    /// The column's typmod (-1 when none).
    pub typmod: i32,
}

/// Map a base type: the decoding kind and whether the query must cast it to text first.
/// `None` when ingest has no mapping.
pub fn map_base(t: BaseType<'_>, opts: &PgOptions) -> Option<(PgKind, bool)> {
    if t.typtype == "e" {
        return Some((PgKind::Text, false));
    }
    Some(match t.oid {
        16 => (PgKind::Bool, false),
        17 => (PgKind::Bytea, false),
        20 => (PgKind::I64, false),
        21 => (PgKind::I16, false),
        23 => (PgKind::I32, false),
        26 => (PgKind::Oid, false),
        700 => (PgKind::F32, false),
        701 => (PgKind::F64, false),
        1700 => {
            let (p, s) = match numeric_typmod(t.typmod) {
                // Parquet has no negative scales and no scale above the precision: widen to
                // an exact decimal that holds every value of numeric(p,s).
                Some((p, s)) if s < 0 => (u8::try_from(p - s).ok()?, 0),
                Some((p, s)) if s > p => (u8::try_from(s).ok()?, i8::try_from(s).ok()?),
                Some((p, s)) => (u8::try_from(p).ok()?, i8::try_from(s).ok()?),
                None => opts.numeric_default,
            };
            if p == 0 || p > 76 {
                return None;
            }
            (PgKind::Numeric { p, s }, false)
        }
        19 | 25 | 1042 | 1043 | 114 => (PgKind::Text, false),
        3802 => (PgKind::Jsonb, false),
        // "char", xml, inet, cidr, macaddr, macaddr8, timetz: their text form.
        18 | 142 | 869 | 650 | 829 | 774 | 1266 => (PgKind::Text, true),
        2950 => (PgKind::Uuid, false),
        1082 => (PgKind::Date, false),
        1083 => (PgKind::Time, false),
        1114 => (PgKind::Timestamp, false),
        1184 => (PgKind::TimestampTz, false),
        1186 => (PgKind::Interval, false),
        _ if t.name == "citext" => (PgKind::Text, false),
        _ => return None,
    })
}

/// Precision and scale of a `numeric(p,s)` typmod; `None` when unconstrained.
pub fn numeric_typmod(typmod: i32) -> Option<(i32, i32)> {
    if typmod < 4 {
        return None;
    }
    let t = typmod - 4;
    // The scale is an 11-bit two's complement number (negative scales since PostgreSQL 15).
    Some(((t >> 16) & 0xffff, ((t & 0x7ff) ^ 1024) - 1024))
}

#[cfg(test)]
#[path = "types_tests.rs"]
mod tests;
