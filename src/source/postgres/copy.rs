//! Binary COPY (`FORMAT binary`) decoded straight into Arrow builders, across stream chunks.

use super::col::{Col, be_i16, be_i32, be_i64};
#[cfg(test)]
use super::col::{DATE_MAX, EPOCH_DAYS, EPOCH_MICROS};
use super::types::{Infinity, PgKind};
use crate::source::SourceError;
use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Where a row ends, if the buffer holds all of it; `Err` on a malformed row header.
fn row_end(buf: &[u8], ncols: usize) -> Result<Option<usize>, String> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let n = be_i16(buf);
    if n == -1 {
        return Ok(Some(2));
    }
    if n as usize != ncols || n < 0 {
        return Err(format!("a row has {n} fields where {ncols} were expected"));
    }
    let mut at = 2;
    for _ in 0..ncols {
        let Some(len) = buf.get(at..at + 4).map(be_i32) else {
            return Ok(None);
        };
        at += 4;
        if len > 0 {
            at += len as usize;
        }
    }
    Ok((at <= buf.len()).then_some(at))
}

/// Decodes a binary COPY byte stream into record batches of `batch_rows` rows.
pub struct CopyDecoder {
    schema: SchemaRef,
    cols: Vec<Col>,
    batch_rows: usize,
    rows: usize,
    buf: Vec<u8>,
    pos: usize,
    header_done: bool,
    ended: bool,
    infinity: Infinity,
    key_columns: Vec<usize>,
}

impl CopyDecoder {
    /// A decoder for `kinds` (one per field of `schema`).
    pub fn new(
        schema: SchemaRef,
        kinds: &[PgKind],
        batch_rows: usize,
        infinity: Infinity,
        key_columns: Vec<usize>,
    ) -> CopyDecoder {
        let batch_rows = batch_rows.max(1);
        CopyDecoder {
            schema,
            cols: kinds.iter().map(|k| Col::new(k, batch_rows)).collect(),
            batch_rows,
            rows: 0,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            header_done: false,
            ended: false,
            infinity,
            key_columns,
        }
    }

    /// Feed one chunk of the stream; full batches are pushed onto `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<RecordBatch>) -> Result<(), SourceError> {
        if self.pos > 0 && (self.pos == self.buf.len() || self.pos >= (1 << 16)) {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
        if !self.header_done {
            let Some(rest) = self.buf.get(..SIGNATURE.len() + 8) else {
                return Ok(());
            };
            if &rest[..SIGNATURE.len()] != SIGNATURE {
                return Err(other(
                    "the COPY stream does not start with the binary signature",
                ));
            }
            let ext = be_i32(&rest[SIGNATURE.len() + 4..]);
            let start = SIGNATURE.len() + 8 + usize::try_from(ext).unwrap_or(0);
            if self.buf.len() < start {
                return Ok(());
            }
            self.pos = start;
            self.header_done = true;
        }
        let ncols = self.cols.len();
        while !self.ended {
            let tail = &self.buf[self.pos..];
            let Some(end) = row_end(tail, ncols).map_err(|e| other(&e))? else {
                break;
            };
            if end == 2 {
                self.ended = true;
                self.pos += 2;
                break;
            }
            self.decode_row(self.pos, end)?;
            self.pos += end;
            self.rows += 1;
            if self.rows >= self.batch_rows {
                out.push(self.take()?);
            }
        }
        Ok(())
    }

    fn decode_row(&mut self, start: usize, end: usize) -> Result<(), SourceError> {
        let row = &self.buf[start..start + end];
        let mut at = 2;
        for (i, col) in self.cols.iter_mut().enumerate() {
            let len = be_i32(&row[at..]);
            at += 4;
            if len < 0 {
                col.append_null();
                continue;
            }
            let v = &row[at..at + len as usize];
            at += len as usize;
            if let Err(reason) = col.append(v, self.infinity) {
                return Err(SourceError::BadValue {
                    column: self.schema.field(i).name().clone(),
                    key: row_key(row, &self.key_columns, &self.schema),
                    value: show(v, self.schema.field(i).data_type()),
                    reason,
                });
            }
        }
        Ok(())
    }

    fn take(&mut self) -> Result<RecordBatch, SourceError> {
        self.rows = 0;
        let arrays: Vec<ArrayRef> = self.cols.iter_mut().map(Col::finish).collect();
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| other(&e.to_string()))
    }

    /// End of stream: the last partial batch; an error if the stream stopped mid-row.
    pub fn finish(mut self) -> Result<Option<RecordBatch>, SourceError> {
        if !self.header_done || !self.ended || self.pos != self.buf.len() {
            return Err(other("the COPY stream ended in the middle of a row"));
        }
        Ok(if self.rows > 0 {
            Some(self.take()?)
        } else {
            None
        })
    }
}

fn other(m: &str) -> SourceError {
    SourceError::Other(format!("binary COPY: {m}"))
}

/// A value shown in an error: numbers decoded when possible, else text or a byte count.
fn show(v: &[u8], dt: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType as D;
    match dt {
        D::Decimal128(..) | D::Decimal256(..) => super::numeric::numeric_text(v),
        D::Int16 if v.len() == 2 => be_i16(v).to_string(),
        D::Int32 if v.len() == 4 => be_i32(v).to_string(),
        D::Int64 if v.len() == 8 => be_i64(v).to_string(),
        D::Date32 | D::Timestamp(..)
            if v == [0x7f, 0xff, 0xff, 0xff]
                || v == [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] =>
        {
            "infinity".into()
        }
        D::Date32 | D::Timestamp(..)
            if v == [0x80, 0, 0, 0] || v == [0x80, 0, 0, 0, 0, 0, 0, 0] =>
        {
            "-infinity".into()
        }
        D::Timestamp(..) if v.len() == 8 => timestamp_text(be_i64(v)),
        D::FixedSizeBinary(16) if v.len() == 16 => uuid::Uuid::from_slice(v)
            .map(|u| u.to_string())
            .unwrap_or_default(),
        _ => match std::str::from_utf8(v) {
            Ok(s) if !matches!(dt, D::Binary) => s.chars().take(200).collect(),
            _ => format!("<{} bytes>", v.len()),
        },
    }
}

/// A PostgreSQL timestamp (µs since 2000-01-01) as `YYYY-MM-DD HH:MM:SS[.ffffff]`, for any
/// value (also beyond chrono's and Arrow's range), by the days-to-civil algorithm.
fn timestamp_text(micros: i64) -> String {
    const DAY: i64 = 86_400_000_000;
    let (days, rem) = (micros.div_euclid(DAY), micros.rem_euclid(DAY));
    let z = days + 10_957 + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let secs = rem / 1_000_000;
    let frac = rem % 1_000_000;
    let mut out = format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out
}

fn row_key(row: &[u8], keys: &[usize], schema: &SchemaRef) -> Option<String> {
    if keys.is_empty() {
        return None;
    }
    let mut fields = Vec::new();
    let mut at = 2;
    while at + 4 <= row.len() {
        let len = be_i32(&row[at..]);
        at += 4;
        if len < 0 {
            fields.push(None);
        } else {
            fields.push(row.get(at..at + len as usize));
            at += len as usize;
        }
    }
    let parts: Vec<String> = keys
        .iter()
        .map(|&k| match fields.get(k).copied().flatten() {
            Some(v) => show(v, schema.field(k).data_type()),
            None => "NULL".into(),
        })
        .collect();
    Some(parts.join(", "))
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
