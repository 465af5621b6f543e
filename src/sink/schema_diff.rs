//! Schema drift between two loads: which columns were added, dropped or changed type, and
//! whether a type change only widens (every old value reads unchanged as the new type).

use super::manifest::FieldInfo;
use arrow::datatypes::DataType;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the columns of a load differ from the previous load's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDiff {
    /// Columns the previous load did not have.
    #[serde(default)]
    pub added: Vec<FieldInfo>,
    /// Columns of the previous load that are gone.
    #[serde(default)]
    pub dropped: Vec<FieldInfo>,
    /// Columns whose Arrow type changed.
    #[serde(default)]
    pub changed: Vec<TypeChange>,
    /// Columns that only changed whether they may hold NULLs.
    #[serde(default)]
    pub nullability: Vec<NullabilityChange>,
}

/// One column whose type changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeChange {
    /// Column name.
    pub column: String,
    /// Arrow type of the previous load.
    pub from: String,
    /// Arrow type now.
    pub to: String,
    /// Whether every old value is exactly representable in the new type.
    pub widening: bool,
}

/// One column whose nullability changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NullabilityChange {
    /// Column name.
    pub column: String,
    /// Whether it may hold NULLs now.
    pub nullable: bool,
}

impl SchemaDiff {
    /// The difference from `old` to `new` (columns matched by exact name, in `new`'s order).
    pub fn between(old: &[FieldInfo], new: &[FieldInfo]) -> SchemaDiff {
        let find = |list: &[FieldInfo], name: &str| list.iter().find(|f| f.name == name).cloned();
        let mut diff = SchemaDiff::default();
        for f in new {
            match find(old, &f.name) {
                None => diff.added.push(f.clone()),
                Some(o) => {
                    if o.data_type != f.data_type {
                        diff.changed.push(TypeChange {
                            column: f.name.clone(),
                            widening: widens_text(&o.data_type, &f.data_type),
                            from: o.data_type,
                            to: f.data_type.clone(),
                        });
                    } else if o.nullable != f.nullable {
                        diff.nullability.push(NullabilityChange {
                            column: f.name.clone(),
                            nullable: f.nullable,
                        });
                    }
                }
            }
        }
        diff.dropped = old
            .iter()
            .filter(|o| find(new, &o.name).is_none())
            .cloned()
            .collect();
        diff
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.dropped.is_empty()
            && self.changed.is_empty()
            && self.nullability.is_empty()
    }

    /// Columns were added or dropped or changed type (nullability alone does not count).
    pub fn columns_changed(&self) -> bool {
        !(self.added.is_empty() && self.dropped.is_empty() && self.changed.is_empty())
    }

    /// The first type change that is not a widening.
    pub fn first_narrowing(&self) -> Option<&TypeChange> {
        self.changed.iter().find(|c| !c.widening)
    }
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        for a in &self.added {
            parts.push(format!("added `{}` ({})", a.name, a.data_type));
        }
        for d in &self.dropped {
            parts.push(format!("dropped `{}` ({})", d.name, d.data_type));
        }
        for c in &self.changed {
            let how = if c.widening { "widened" } else { "changed" };
            parts.push(format!("{how} `{}` from {} to {}", c.column, c.from, c.to));
        }
        for n in &self.nullability {
            let now = if n.nullable { "nullable" } else { "NOT NULL" };
            parts.push(format!("`{}` is now {now}", n.column));
        }
        f.write_str(&parts.join("; "))
    }
}

/// Whether Arrow type `from` (as a manifest shows it) widens to `to`; an unreadable type
/// never widens.
pub fn widens_text(from: &str, to: &str) -> bool {
    match (DataType::from_str(from), DataType::from_str(to)) {
        (Ok(a), Ok(b)) => widens(&a, &b),
        _ => false,
    }
}

/// Whether every value of type `from` is exactly a value of type `to` (and `from != to`):
/// integers to wider integers (unsigned also to a wider signed), Float32 → Float64, decimals
/// keeping at least their integer digits and scale, Utf8 → LargeUtf8, Binary → LargeBinary.
pub fn widens(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to {
        return false;
    }
    let int_bits = |t: &DataType| match t {
        Int8 => Some((true, 8)),
        Int16 => Some((true, 16)),
        Int32 => Some((true, 32)),
        Int64 => Some((true, 64)),
        UInt8 => Some((false, 8)),
        UInt16 => Some((false, 16)),
        UInt32 => Some((false, 32)),
        UInt64 => Some((false, 64)),
        _ => None,
    };
    let decimal = |t: &DataType| match t {
        Decimal128(p, s) => Some((128, *p as i16, *s as i16)),
        Decimal256(p, s) => Some((256, *p as i16, *s as i16)),
        _ => None,
    };
    if let (Some((fs, fb)), Some((ts, tb))) = (int_bits(from), int_bits(to)) {
        // A signed type never fits an unsigned one (negative values).
        return (ts || !fs) && tb > fb;
    }
    if let (Some((fw, fp, fsc)), Some((tw, tp, tsc))) = (decimal(from), decimal(to)) {
        return tw >= fw && tp - tsc >= fp - fsc && tsc >= fsc;
    }
    matches!(
        (from, to),
        (Float32, Float64) | (Utf8, LargeUtf8) | (Binary, LargeBinary)
    )
}

#[cfg(test)]
#[path = "schema_diff_tests.rs"]
mod tests;
