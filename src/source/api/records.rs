//! JSON records to Arrow: the schema is inferred from the first pages (arrow-json) and then
//! fixed; later values are converted only where the change is exact, otherwise the load fails
//! naming the field, the page and the value.

use super::pagination::kind;
use super::settings::Nested;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use arrow::json::ReaderBuilder;
use arrow::json::reader::infer_json_schema_from_iterator;
use arrow::record_batch::RecordBatch;
use serde_json::{Map, Number, Value};
use std::collections::HashSet;
use std::sync::Arc;

/// Largest integer a float holds exactly (2^53).
const EXACT_FLOAT_INT: i64 = 1 << 53;

/// Infer the fixed schema from sample records: nulls-only fields become text, nested values
/// become text under [`Nested::Json`], and the `cursor` field (an INCREMENTAL job's
/// `watermark_column`) becomes a timestamp or date when all its sampled strings are ones.
pub fn infer(records: &[Value], nested: Nested, cursor: Option<&str>) -> Result<SchemaRef, String> {
    for (i, r) in records.iter().enumerate() {
        if !r.is_object() {
            return Err(format!("record {} is {}, not an object", i + 1, kind(r)));
        }
    }
    let schema = infer_json_schema_from_iterator(records.iter().map(Ok))
        .map_err(|e| format!("cannot infer the records' types: {e}"))?;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut ty = settle(f.data_type(), nested);
            if ty == DataType::Utf8
                && cursor.is_some_and(|c| c.eq_ignore_ascii_case(f.name()))
                && let Some(t) = time_type(records, f.name())
            {
                ty = t;
            }
            Field::new(f.name(), ty, true)
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Null → Utf8 everywhere; Struct/List → Utf8 (JSON text) under [`Nested::Json`].
fn settle(ty: &DataType, nested: Nested) -> DataType {
    match ty {
        DataType::Null => DataType::Utf8,
        DataType::Struct(_) | DataType::List(_) if nested == Nested::Json => DataType::Utf8,
        // Parquet has no struct without fields: an object that was always `{}` is JSON text.
        DataType::Struct(fields) if fields.is_empty() => DataType::Utf8,
        DataType::Struct(fields) => DataType::Struct(Fields::from(
            fields
                .iter()
                .map(|f| Field::new(f.name(), settle(f.data_type(), nested), true))
                .collect::<Vec<_>>(),
        )),
        DataType::List(item) => DataType::List(Arc::new(Field::new(
            item.name(),
            settle(item.data_type(), nested),
            true,
        ))),
        other => other.clone(),
    }
}

/// The time type of a text field whose sampled values all parse: RFC 3339 with an offset →
/// Timestamp(µs, UTC); without one → Timestamp(µs); `YYYY-MM-DD` → Date32.
fn time_type(records: &[Value], name: &str) -> Option<DataType> {
    let values: Vec<&str> = records
        .iter()
        .filter_map(|r| r.get(name).and_then(Value::as_str))
        .collect();
    if values.is_empty() {
        return None;
    }
    let all = |f: fn(&str) -> bool| values.iter().all(|v| f(v));
    if all(|v| chrono::DateTime::parse_from_rfc3339(v).is_ok()) {
        return Some(DataType::Timestamp(
            TimeUnit::Microsecond,
            Some("UTC".into()),
        ));
    }
    if all(|v| naive_timestamp(v).is_some()) {
        return Some(DataType::Timestamp(TimeUnit::Microsecond, None));
    }
    if all(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()) {
        return Some(DataType::Date32);
    }
    None
}

fn naive_timestamp(v: &str) -> Option<chrono::NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(v, f).ok())
}

/// Turns the records of each page into a batch of the fixed schema.
pub struct Converter {
    schema: SchemaRef,
    nested: Nested,
    known: HashSet<String>,
    warned: HashSet<String>,
}

impl Converter {
    /// A converter to `schema`.
    pub fn new(schema: SchemaRef, nested: Nested) -> Converter {
        let known = schema.fields().iter().map(|f| f.name().clone()).collect();
        Converter {
            schema,
            nested,
            known,
            warned: HashSet::new(),
        }
    }

    /// Convert one page's records; the error names the field, the page and the value.
    pub fn convert(&mut self, records: Vec<Value>, page: u64) -> Result<RecordBatch, String> {
        let mut rows = Vec::with_capacity(records.len());
        for (i, record) in records.into_iter().enumerate() {
            let Value::Object(mut map) = record else {
                return Err(format!(
                    "record {} of page {page} is {}, not an object",
                    i + 1,
                    kind(&record)
                ));
            };
            for key in map.keys() {
                if !self.known.contains(key) && self.warned.insert(key.clone()) {
                    tracing::warn!(
                        "field `{key}` first appears on page {page}; it is not loaded (the columns are fixed from the first pages)"
                    );
                }
            }
            let mut row = Map::with_capacity(self.schema.fields().len());
            for field in self.schema.fields() {
                let value = map.remove(field.name()).unwrap_or(Value::Null);
                let value = conform(field.data_type(), value, self.nested)
                    .map_err(|why| format!("field `{}` on page {page}: {why}", field.name()))?;
                row.insert(field.name().clone(), value);
            }
            rows.push(Value::Object(row));
        }
        let mut decoder = ReaderBuilder::new(self.schema.clone())
            .with_batch_size(rows.len().max(1))
            .build_decoder()
            .map_err(|e| e.to_string())?;
        decoder
            .serialize(&rows)
            .map_err(|e| format!("page {page}: {e}"))?;
        Ok(decoder
            .flush()
            .map_err(|e| format!("page {page}: {e}"))?
            .unwrap_or_else(|| RecordBatch::new_empty(self.schema.clone())))
    }
}

/// A value in a column of type `ty`: as it is, converted where the change is exact, or an
/// error that shows the value.
fn conform(ty: &DataType, value: Value, nested: Nested) -> Result<Value, String> {
    let refuse = |v: &Value, what: &str| {
        let mut text = v.to_string();
        if text.len() > 80 {
            text = format!("{}…", text.chars().take(80).collect::<String>());
        }
        Err(format!("value {text} ({}) does not fit {what}", kind(v)))
    };
    if value.is_null() {
        return Ok(value);
    }
    match ty {
        DataType::Int64 => match &value {
            Value::Number(n) if n.as_i64().is_some() => Ok(value),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() <= EXACT_FLOAT_INT as f64 => {
                    Ok(Value::Number(Number::from(f as i64)))
                }
                _ => refuse(&value, "the integer column (a fraction or out of range)"),
            },
            _ => refuse(&value, "the integer column"),
        },
        DataType::Float64 => match &value {
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) if i.abs() > EXACT_FLOAT_INT => {
                    refuse(&value, "the float column exactly")
                }
                (None, Some(u)) if u > EXACT_FLOAT_INT as u64 => {
                    refuse(&value, "the float column exactly")
                }
                _ => Ok(value),
            },
            _ => refuse(&value, "the float column"),
        },
        DataType::Boolean => match value {
            Value::Bool(_) => Ok(value),
            _ => refuse(&value, "the boolean column"),
        },
        DataType::Utf8 => match value {
            Value::String(_) => Ok(value),
            Value::Number(_) | Value::Bool(_) => Ok(Value::String(value.to_string())),
            Value::Array(_) | Value::Object(_) if nested == Nested::Json => {
                Ok(Value::String(value.to_string()))
            }
            // Empty ones hold nothing to lose (a field whose sampled objects were all `{}`).
            Value::Object(ref m) if m.is_empty() => Ok(Value::String(value.to_string())),
            Value::Array(ref a) if a.is_empty() => Ok(Value::String(value.to_string())),
            Value::Array(_) | Value::Object(_) => refuse(
                &value,
                "the text column (set nested = json to keep objects and lists as JSON text)",
            ),
            _ => refuse(&value, "the text column"),
        },
        DataType::Timestamp(_, tz) => match &value {
            Value::String(s)
                if (tz.is_some() && chrono::DateTime::parse_from_rfc3339(s).is_ok())
                    || (tz.is_none() && naive_timestamp(s).is_some()) =>
            {
                Ok(value)
            }
            _ => refuse(&value, "the timestamp column"),
        },
        DataType::Date32 => match &value {
            Value::String(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                Ok(value)
            }
            _ => refuse(&value, "the date column"),
        },
        DataType::Struct(fields) => match value {
            Value::Object(mut map) => {
                let mut out = Map::with_capacity(fields.len());
                for f in fields {
                    let v = map.remove(f.name()).unwrap_or(Value::Null);
                    let v = conform(f.data_type(), v, nested)
                        .map_err(|why| format!("in `{}`: {why}", f.name()))?;
                    out.insert(f.name().clone(), v);
                }
                Ok(Value::Object(out))
            }
            other => refuse(&other, "the object column"),
        },
        DataType::List(item) => match value {
            Value::Array(items) => items
                .into_iter()
                .map(|v| conform(item.data_type(), v, nested))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            // A scalar where the first pages had lists: a list of one, as arrow-json infers.
            other => conform(item.data_type(), other, nested).map(|v| Value::Array(vec![v])),
        },
        _ => Ok(value),
    }
}
