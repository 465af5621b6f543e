//! Cursor values: typed, lossless, with a stable text form for state files.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a cursor (watermark or partition) column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CursorKind {
    /// Any integer column.
    Int,
    /// A calendar date.
    Date,
    /// A timestamp without time zone.
    Timestamp,
    /// A timestamp with time zone.
    TimestampTz,
    /// An exact decimal (a `NUMBER` without precision, `numeric(p,s)`), compared numerically.
    Decimal,
}

impl fmt::Display for CursorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CursorKind::Int => "int",
            CursorKind::Date => "date",
            CursorKind::Timestamp => "timestamp",
            CursorKind::TimestampTz => "timestamp_tz",
            CursorKind::Decimal => "decimal",
        })
    }
}

/// A typed cursor value. Timestamps keep nanoseconds, so no source digit is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CursorValue {
    /// Integer cursor (i128 holds every signed and unsigned 64-bit value).
    Int(i128),
    /// Date cursor.
    Date(NaiveDate),
    /// Timestamp without time zone.
    Timestamp(NaiveDateTime),
    /// Timestamp with time zone, kept with its offset.
    TimestampTz(DateTime<FixedOffset>),
    /// An exact decimal of up to 28 significant digits, kept normalized (`1.50` is `1.5`), so
    /// equal numbers are equal values and the derived order is numeric.
    Decimal(rust_decimal::Decimal),
}

/// A cursor text that does not parse for its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind} value{}", expected(*kind))]
pub struct ParseCursorError {
    /// The kind expected.
    pub kind: CursorKind,
    /// The text given.
    pub value: String,
}

fn expected(kind: CursorKind) -> &'static str {
    match kind {
        CursorKind::Int => " (expected a whole number)",
        CursorKind::Date => " (expected YYYY-MM-DD)",
        CursorKind::Timestamp => " (expected YYYY-MM-DDTHH:MM:SS[.ffffff])",
        CursorKind::TimestampTz => " (expected YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM)",
        CursorKind::Decimal => " (expected a decimal number of at most 28 significant digits)",
    }
}

impl CursorValue {
    /// The kind of this value.
    pub fn kind(&self) -> CursorKind {
        match self {
            CursorValue::Int(_) => CursorKind::Int,
            CursorValue::Date(_) => CursorKind::Date,
            CursorValue::Timestamp(_) => CursorKind::Timestamp,
            CursorValue::TimestampTz(_) => CursorKind::TimestampTz,
            CursorValue::Decimal(_) => CursorKind::Decimal,
        }
    }

    /// Parse the text form for a kind. Accepts what [`CursorValue::to_text`] writes, plus the
    /// forms people type: a space instead of `T`, a date alone for a timestamp (midnight),
    /// `Z` for UTC; a timestamp without offset for `timestamp_tz` is taken as UTC.
    pub fn parse(kind: CursorKind, text: &str) -> Result<CursorValue, ParseCursorError> {
        let t = text.trim();
        let err = || ParseCursorError {
            kind,
            value: text.to_string(),
        };
        match kind {
            CursorKind::Int => t.parse::<i128>().map(CursorValue::Int).map_err(|_| err()),
            CursorKind::Decimal => parse_decimal(t).map(CursorValue::Decimal).ok_or_else(err),
            CursorKind::Date => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(CursorValue::Date)
                .map_err(|_| err()),
            CursorKind::Timestamp => parse_naive(t).map(CursorValue::Timestamp).ok_or_else(err),
            CursorKind::TimestampTz => {
                let s = t.replacen(' ', "T", 1);
                if let Ok(v) = DateTime::parse_from_rfc3339(&s) {
                    return Ok(CursorValue::TimestampTz(v));
                }
                if let Ok(v) = DateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f%#z") {
                    return Ok(CursorValue::TimestampTz(v));
                }
                parse_naive(t)
                    .map(|n| CursorValue::TimestampTz(n.and_utc().fixed_offset()))
                    .ok_or_else(err)
            }
        }
    }

    /// The lossless text form stored in state: a decimal integer, `YYYY-MM-DD`, or ISO 8601
    /// with every fractional digit that is not zero (and the offset for `timestamp_tz`).
    pub fn to_text(&self) -> String {
        match self {
            CursorValue::Int(v) => v.to_string(),
            CursorValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            CursorValue::Timestamp(t) => t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            CursorValue::TimestampTz(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            CursorValue::Decimal(d) => d.to_string(),
        }
    }
}

impl fmt::Display for CursorValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// An exact decimal from text (`12`, `-0.5`, `1.5E+3`), normalized; `None` when it is not a
/// number or needs more than 28 significant digits (never rounded).
pub fn parse_decimal(t: &str) -> Option<rust_decimal::Decimal> {
    let d = if t.contains(['e', 'E']) {
        rust_decimal::Decimal::from_scientific(t).ok()?
    } else {
        rust_decimal::Decimal::from_str_exact(t).ok()?
    };
    Some(d.normalize())
}

fn parse_naive(t: &str) -> Option<NaiveDateTime> {
    let s = t.replacen(' ', "T", 1);
    NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

/// A stored watermark: `{column, kind, value}` with the value in its lossless text form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// Cursor column.
    pub column: String,
    /// Kind of the column.
    pub kind: CursorKind,
    /// [`CursorValue::to_text`] of the value.
    pub value: String,
}

impl Watermark {
    /// Build from a typed value.
    pub fn new(column: impl Into<String>, value: &CursorValue) -> Watermark {
        Watermark {
            column: column.into(),
            kind: value.kind(),
            value: value.to_text(),
        }
    }

    /// The typed value.
    pub fn cursor(&self) -> Result<CursorValue, ParseCursorError> {
        CursorValue::parse(self.kind, &self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_common_forms() {
        let ts = CursorValue::parse(CursorKind::Timestamp, "2024-01-15 10:30:00.1234567").unwrap();
        assert_eq!(ts.to_text(), "2024-01-15T10:30:00.123456700");
        let d = CursorValue::parse(CursorKind::Timestamp, "2024-01-15").unwrap();
        assert_eq!(d.to_text(), "2024-01-15T00:00:00");
        let tz = CursorValue::parse(CursorKind::TimestampTz, "2024-01-15T10:30:00+02:00").unwrap();
        assert_eq!(tz.to_text(), "2024-01-15T10:30:00+02:00");
        assert!(CursorValue::parse(CursorKind::Int, "3.5").is_err());
        assert!(CursorValue::parse(CursorKind::Date, "2024-02-30").is_err());
    }

    #[test]
    fn decimals_are_exact_normalized_and_ordered_numerically() {
        let d = |s: &str| CursorValue::parse(CursorKind::Decimal, s).unwrap();
        assert_eq!(d("12.50").to_text(), "12.5");
        assert_eq!(d("12.50"), d("12.5"), "equal numbers are equal values");
        assert_eq!(d(" 1.5E+3 ").to_text(), "1500");
        assert_eq!(d("-0.000000001").to_text(), "-0.000000001");
        let big = "1234567890123456789012345678";
        assert_eq!(d(big).to_text(), big, "28 digits, lossless");
        assert!(d("9") < d("10"), "numeric, not text, order");
        assert!(d("-2") < d("-1.5") && d("-1.5") < d("0.25"));
        assert!(d("0.1") < d("0.11"));
        for bad in [
            "123456789012345678901234567890",
            "0.12345678901234567890123456789",
            "1,5",
            "abc",
            "",
        ] {
            assert!(
                CursorValue::parse(CursorKind::Decimal, bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(d("7").kind(), CursorKind::Decimal);
        let w = Watermark::new("ID", &d("123456789012.000"));
        assert_eq!(
            (w.kind, w.value.as_str()),
            (CursorKind::Decimal, "123456789012")
        );
        assert_eq!(w.cursor().unwrap(), d("123456789012"));
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.contains("\"kind\":\"decimal\""), "{json}");
    }

    proptest! {
        #[test]
        fn decimal_round_trips(m in any::<i64>(), scale in 0u32..=18) {
            let v = CursorValue::Decimal(rust_decimal::Decimal::new(m, scale).normalize());
            prop_assert_eq!(CursorValue::parse(CursorKind::Decimal, &v.to_text()).unwrap(), v);
        }
        #[test]
        fn int_round_trips(v in any::<i64>()) {
            let c = CursorValue::Int(v as i128);
            prop_assert_eq!(CursorValue::parse(CursorKind::Int, &c.to_text()).unwrap(), c);
        }

        #[test]
        fn timestamp_round_trips(secs in -62_000_000_000i64..250_000_000_000, nanos in 0u32..1_000_000_000) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap().naive_utc();
            let c = CursorValue::Timestamp(t);
            prop_assert_eq!(CursorValue::parse(CursorKind::Timestamp, &c.to_text()).unwrap(), c);
            let w = Watermark::new("updated_at", &c);
            let back: Watermark = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
            prop_assert_eq!(back.cursor().unwrap(), c);
        }

        #[test]
        fn timestamp_tz_round_trips(secs in 0i64..250_000_000_000, nanos in 0u32..1_000_000_000, off in -50_400i32..50_400) {
            let off = FixedOffset::east_opt(off / 60 * 60).unwrap();
            let t = DateTime::from_timestamp(secs, nanos).unwrap().with_timezone(&off);
            let c = CursorValue::TimestampTz(t);
            let back = CursorValue::parse(CursorKind::TimestampTz, &c.to_text()).unwrap();
            prop_assert_eq!(back, c);
            prop_assert_eq!(back.to_text(), c.to_text());
        }
    }
}
