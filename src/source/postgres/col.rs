//! Arrow column builders fed with binary COPY field values (one per PostgreSQL type).

use super::numeric::decode_numeric;
use super::types::{Infinity, PgKind};
use arrow::array::NullBufferBuilder;
use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Decimal256Builder,
    FixedSizeBinaryBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, ListArray, StringBuilder, StructArray, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder, UInt32Builder,
};
use arrow::buffer::{OffsetBuffer, ScalarBuffer};
use std::sync::Arc;

/// Days from 1970-01-01 to 2000-01-01.
pub(super) const EPOCH_DAYS: i32 = 10_957;
/// µs from 1970-01-01 to 2000-01-01.
pub(super) const EPOCH_MICROS: i64 = 946_684_800_000_000;
/// PostgreSQL's first and last finite dates, in days since 2000-01-01.
pub(super) const DATE_MIN: i32 = -2_451_545;
pub(super) const DATE_MAX: i32 = 2_147_483_494 - 2_451_545 - 1;
/// PostgreSQL's first finite timestamp, µs since 2000-01-01.
pub(super) const TS_MIN: i64 = -211_813_488_000_000_000;

/// One column's builder.
pub(super) enum Col {
    Bool(BooleanBuilder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    Oid(UInt32Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Dec128(Decimal128Builder, u8, i8),
    Dec256(Decimal256Builder, u8, i8),
    Text(StringBuilder, bool),
    Bytea(BinaryBuilder),
    Uuid(FixedSizeBinaryBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    Ts(TimestampMicrosecondBuilder),
    Interval(Box<IntervalCol>),
    List(Box<ListCol>),
}

pub(super) struct IntervalCol {
    months: Int32Builder,
    days: Int32Builder,
    micros: Int64Builder,
    nulls: NullBufferBuilder,
}

pub(super) struct ListCol {
    field: arrow::datatypes::FieldRef,
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    child: Col,
}

pub(super) fn be_i16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}
pub(super) fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
pub(super) fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

fn need(v: &[u8], n: usize) -> Result<(), String> {
    if v.len() == n {
        Ok(())
    } else {
        Err(format!("has {} bytes where {n} were expected", v.len()))
    }
}

impl Col {
    pub(super) fn new(kind: &PgKind, cap: usize) -> Col {
        match kind {
            PgKind::Bool => Col::Bool(BooleanBuilder::with_capacity(cap)),
            PgKind::I16 => Col::I16(Int16Builder::with_capacity(cap)),
            PgKind::I32 => Col::I32(Int32Builder::with_capacity(cap)),
            PgKind::I64 => Col::I64(Int64Builder::with_capacity(cap)),
            PgKind::Oid => Col::Oid(UInt32Builder::with_capacity(cap)),
            PgKind::F32 => Col::F32(Float32Builder::with_capacity(cap)),
            PgKind::F64 => Col::F64(Float64Builder::with_capacity(cap)),
            PgKind::Numeric { p, s } if *p <= 38 => Col::Dec128(
                Decimal128Builder::with_capacity(cap).with_data_type(kind.data_type()),
                *p,
                *s,
            ),
            PgKind::Numeric { p, s } => Col::Dec256(
                Decimal256Builder::with_capacity(cap).with_data_type(kind.data_type()),
                *p,
                *s,
            ),
            PgKind::Text => Col::Text(StringBuilder::with_capacity(cap, cap * 16), false),
            PgKind::Jsonb => Col::Text(StringBuilder::with_capacity(cap, cap * 16), true),
            PgKind::Bytea => Col::Bytea(BinaryBuilder::with_capacity(cap, cap * 16)),
            PgKind::Uuid => Col::Uuid(FixedSizeBinaryBuilder::with_capacity(cap, 16)),
            PgKind::Date => Col::Date(Date32Builder::with_capacity(cap)),
            PgKind::Time => Col::Time(Time64MicrosecondBuilder::with_capacity(cap)),
            PgKind::Timestamp => Col::Ts(TimestampMicrosecondBuilder::with_capacity(cap)),
            PgKind::TimestampTz => {
                Col::Ts(TimestampMicrosecondBuilder::with_capacity(cap).with_timezone("UTC"))
            }
            PgKind::Interval => Col::Interval(Box::new(IntervalCol {
                months: Int32Builder::with_capacity(cap),
                days: Int32Builder::with_capacity(cap),
                micros: Int64Builder::with_capacity(cap),
                nulls: NullBufferBuilder::new(cap),
            })),
            PgKind::List(inner) => Col::List(Box::new(ListCol {
                field: Arc::new(inner.field("item")),
                offsets: vec![0],
                nulls: NullBufferBuilder::new(cap),
                child: Col::new(inner, cap),
            })),
        }
    }

    pub(super) fn append_null(&mut self) {
        match self {
            Col::Bool(b) => b.append_null(),
            Col::I16(b) => b.append_null(),
            Col::I32(b) => b.append_null(),
            Col::I64(b) => b.append_null(),
            Col::Oid(b) => b.append_null(),
            Col::F32(b) => b.append_null(),
            Col::F64(b) => b.append_null(),
            Col::Dec128(b, ..) => b.append_null(),
            Col::Dec256(b, ..) => b.append_null(),
            Col::Text(b, _) => b.append_null(),
            Col::Bytea(b) => b.append_null(),
            Col::Uuid(b) => b.append_null(),
            Col::Date(b) => b.append_null(),
            Col::Time(b) => b.append_null(),
            Col::Ts(b) => b.append_null(),
            Col::Interval(b) => {
                b.months.append_value(0);
                b.days.append_value(0);
                b.micros.append_value(0);
                b.nulls.append_null();
            }
            Col::List(l) => {
                let last = l.offsets.last().copied().unwrap_or(0);
                l.offsets.push(last);
                l.nulls.append_null();
            }
        }
    }

    /// Append one non-NULL value; the error is a reason ("does not fit …").
    pub(super) fn append(&mut self, v: &[u8], inf: Infinity) -> Result<(), String> {
        match self {
            Col::Bool(b) => {
                need(v, 1)?;
                b.append_value(v[0] != 0);
            }
            Col::I16(b) => {
                need(v, 2)?;
                b.append_value(be_i16(v));
            }
            Col::I32(b) => {
                need(v, 4)?;
                b.append_value(be_i32(v));
            }
            Col::I64(b) => {
                need(v, 8)?;
                b.append_value(be_i64(v));
            }
            Col::Oid(b) => {
                need(v, 4)?;
                b.append_value(be_i32(v) as u32);
            }
            Col::F32(b) => {
                need(v, 4)?;
                b.append_value(f32::from_bits(be_i32(v) as u32));
            }
            Col::F64(b) => {
                need(v, 8)?;
                b.append_value(f64::from_bits(be_i64(v) as u64));
            }
            Col::Dec128(b, p, s) => {
                let x = decode_numeric::<i128>(v, *p, *s)?;
                b.append_value(x);
            }
            Col::Dec256(b, p, s) => {
                let x = decode_numeric::<arrow::datatypes::i256>(v, *p, *s)?;
                b.append_value(x);
            }
            Col::Text(b, jsonb) => {
                let v = if *jsonb {
                    match v.split_first() {
                        Some((1, rest)) => rest,
                        _ => return Err("is not jsonb version 1".into()),
                    }
                } else {
                    v
                };
                let s = std::str::from_utf8(v).map_err(|_| "is not valid UTF-8".to_string())?;
                b.append_value(s);
            }
            Col::Bytea(b) => b.append_value(v),
            Col::Uuid(b) => {
                need(v, 16)?;
                b.append_value(v).map_err(|e| e.to_string())?;
            }
            Col::Date(b) => {
                need(v, 4)?;
                let d = be_i32(v);
                let d = match (d, inf) {
                    (i32::MAX | i32::MIN, Infinity::Error) => {
                        return Err("is an infinite date (set `infinity = \"null\"` or \"clamp\" in the source's secrets to load it)".into());
                    }
                    (i32::MAX | i32::MIN, Infinity::Null) => {
                        b.append_null();
                        return Ok(());
                    }
                    (i32::MAX, Infinity::Clamp) => DATE_MAX,
                    (i32::MIN, Infinity::Clamp) => DATE_MIN,
                    (d, _) => d,
                };
                let d = d
                    .checked_add(EPOCH_DAYS)
                    .ok_or_else(|| "does not fit a 32-bit date".to_string())?;
                b.append_value(d);
            }
            Col::Time(b) => {
                need(v, 8)?;
                b.append_value(be_i64(v));
            }
            Col::Ts(b) => {
                need(v, 8)?;
                let t = match (be_i64(v), inf) {
                    (i64::MAX | i64::MIN, Infinity::Error) => {
                        return Err("is an infinite timestamp (set `infinity = \"null\"` or \"clamp\" in the source's secrets to load it)".into());
                    }
                    (i64::MAX | i64::MIN, Infinity::Null) => {
                        b.append_null();
                        return Ok(());
                    }
                    (i64::MAX, Infinity::Clamp) => {
                        b.append_value(i64::MAX);
                        return Ok(());
                    }
                    (i64::MIN, Infinity::Clamp) => TS_MIN,
                    (t, _) => t,
                };
                let t = t.checked_add(EPOCH_MICROS).ok_or_else(|| {
                    "is later than the last µs timestamp Arrow can hold".to_string()
                })?;
                b.append_value(t);
            }
            Col::Interval(b) => {
                need(v, 16)?;
                b.micros.append_value(be_i64(v));
                b.days.append_value(be_i32(&v[8..]));
                b.months.append_value(be_i32(&v[12..]));
                b.nulls.append_non_null();
            }
            Col::List(l) => l.append_array(v, inf)?,
        }
        Ok(())
    }

    pub(super) fn finish(&mut self) -> ArrayRef {
        match self {
            Col::Bool(b) => Arc::new(b.finish()),
            Col::I16(b) => Arc::new(b.finish()),
            Col::I32(b) => Arc::new(b.finish()),
            Col::I64(b) => Arc::new(b.finish()),
            Col::Oid(b) => Arc::new(b.finish()),
            Col::F32(b) => Arc::new(b.finish()),
            Col::F64(b) => Arc::new(b.finish()),
            Col::Dec128(b, ..) => Arc::new(b.finish()),
            Col::Dec256(b, ..) => Arc::new(b.finish()),
            Col::Text(b, _) => Arc::new(b.finish()),
            Col::Bytea(b) => Arc::new(b.finish()),
            Col::Uuid(b) => Arc::new(b.finish()),
            Col::Date(b) => Arc::new(b.finish()),
            Col::Time(b) => Arc::new(b.finish()),
            Col::Ts(b) => Arc::new(b.finish()),
            Col::Interval(b) => {
                let arrays: Vec<ArrayRef> = vec![
                    Arc::new(b.months.finish()),
                    Arc::new(b.days.finish()),
                    Arc::new(b.micros.finish()),
                ];
                Arc::new(StructArray::new(
                    super::types::interval_fields(),
                    arrays,
                    b.nulls.finish(),
                ))
            }
            Col::List(l) => {
                let offsets = std::mem::replace(&mut l.offsets, vec![0]);
                let child = l.child.finish();
                let nulls = l.nulls.finish();
                Arc::new(ListArray::new(
                    l.field.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    child,
                    nulls,
                ))
            }
        }
    }
}

impl ListCol {
    /// Array wire format: ndim, has-null flag, element oid, (size, lbound) per dim, elements.
    fn append_array(&mut self, v: &[u8], inf: Infinity) -> Result<(), String> {
        if v.len() < 12 {
            return Err("is a truncated array".into());
        }
        let ndim = be_i32(v);
        let mut n = 0usize;
        let mut at = 12;
        match ndim {
            0 => {}
            1 => {
                if v.len() < 20 {
                    return Err("is a truncated array".into());
                }
                n = usize::try_from(be_i32(&v[12..])).map_err(|_| "has a negative size")?;
                at = 20;
            }
            _ => {
                return Err(format!(
                    "is a {ndim}-dimensional array (only 1-D arrays load)"
                ));
            }
        }
        let start_len = self.offsets.last().copied().unwrap_or(0);
        for _ in 0..n {
            let len = v
                .get(at..at + 4)
                .map(be_i32)
                .ok_or("is a truncated array")?;
            at += 4;
            if len < 0 {
                self.child.append_null();
                continue;
            }
            let end = at + len as usize;
            let elem = v.get(at..end).ok_or("is a truncated array")?;
            self.child
                .append(elem, inf)
                .map_err(|r| format!("has an element that {r}"))?;
            at = end;
        }
        let count = i32::try_from(n).map_err(|_| "has too many elements")?;
        self.offsets.push(start_len + count);
        self.nulls.append_non_null();
        Ok(())
    }
}
