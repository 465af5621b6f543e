//! Splitting a partition column's `[min, max]` into parallel chunks. Pure.
//!
//! Every kind is mapped to an integer domain (`Int` as is, `Date` as days since CE,
//! timestamps as microseconds since the Unix epoch, floored), split there, and mapped back.
//! Split points always lie inside `(min, max]` of the integer domain, so mapping them back
//! always gives a valid value of the kind.

use super::CursorValue;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// One chunk: `from ≤ column < to`; an open end is unbounded; the first chunk also takes NULLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// 0-based chunk number (names files and log lines).
    pub index: usize,
    /// Partition column as written in the workbook.
    pub column: String,
    /// Inclusive lower bound; `None` for the first chunk.
    pub from: Option<CursorValue>,
    /// Exclusive upper bound; `None` for the last chunk.
    pub to: Option<CursorValue>,
    /// Whether rows with a NULL partition value belong to this chunk (the first one only).
    pub nulls: bool,
}

impl Chunk {
    /// Whether a (non-NULL) value falls in this chunk: `from ≤ v < to`, open ends unbounded.
    pub fn contains(&self, v: &CursorValue) -> bool {
        let above = self.from.as_ref().is_none_or(|f| f <= v);
        let below = self.to.as_ref().is_none_or(|t| v < t);
        above && below
    }
}

/// Split `[min, max]` into at most `n` chunks that cover the whole domain: no gap, no overlap,
/// each holding at least one value of `[min, max]`, no overflow at the type's limits.
/// `min` and `max` have the same kind; `n ≥ 1`.
pub fn split(column: &str, min: &CursorValue, max: &CursorValue, n: usize) -> Vec<Chunk> {
    let points = split_points(min, max, n).unwrap_or_default();
    let k = points.len() + 1;
    (0..k)
        .map(|i| Chunk {
            index: i,
            column: column.to_string(),
            from: if i == 0 {
                None
            } else {
                points.get(i - 1).copied()
            },
            to: points.get(i).copied(),
            nulls: i == 0,
        })
        .collect()
}

/// The `k - 1` inner split points, in increasing order; `None` means "one open chunk".
fn split_points(min: &CursorValue, max: &CursorValue, n: usize) -> Option<Vec<CursorValue>> {
    let (lo, hi) = (to_domain(min)?, to_domain(max)?);
    if min.kind() != max.kind() || lo >= hi || n <= 1 {
        return None;
    }
    integer_points(lo, hi, n)
        .into_iter()
        .map(|p| from_domain(min, p))
        .collect()
}

/// Map a value to its integer domain.
fn to_domain(v: &CursorValue) -> Option<i128> {
    Some(match v {
        CursorValue::Int(i) => *i,
        CursorValue::Date(d) => i128::from(d.num_days_from_ce()),
        CursorValue::Timestamp(t) => i128::from(t.and_utc().timestamp_micros()),
        CursorValue::TimestampTz(t) => i128::from(t.timestamp_micros()),
        // Decimals split on their integer range: points are whole numbers (the first chunk is
        // open below and the last open above, so fractions at either end are covered).
        CursorValue::Decimal(d) => {
            let f = d.floor();
            f.mantissa() / 10i128.checked_pow(f.scale())?
        }
    })
}

/// Map a split point back to a value of the same kind as `like` (timestamps with time zone in UTC).
fn from_domain(like: &CursorValue, p: i128) -> Option<CursorValue> {
    Some(match like {
        CursorValue::Int(_) => CursorValue::Int(p),
        CursorValue::Date(_) => CursorValue::Date(NaiveDate::from_num_days_from_ce_opt(
            i32::try_from(p).ok()?,
        )?),
        CursorValue::Timestamp(_) => CursorValue::Timestamp(micros(p)?.naive_utc()),
        CursorValue::TimestampTz(_) => CursorValue::TimestampTz(micros(p)?.fixed_offset()),
        CursorValue::Decimal(_) => {
            CursorValue::Decimal(rust_decimal::Decimal::try_from_i128_with_scale(p, 0).ok()?)
        }
    })
}

fn micros(p: i128) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(i64::try_from(p).ok()?)
}

/// Inner split points of `[lo, hi]` (`lo < hi`) into `k = min(n, hi - lo + 1)` ranges of
/// near-equal width: `s_i = lo + ⌊span · i / k⌋` for `i` in `1..k`, computed without overflow.
fn integer_points(lo: i128, hi: i128, n: usize) -> Vec<i128> {
    // hi - lo fits in u128 because hi > lo; the span saturates only for the full i128 range,
    // which still yields strictly increasing points inside (lo, hi].
    let diff = hi.wrapping_sub(lo) as u128;
    let span = diff.saturating_add(1);
    let k = (n as u128).min(span);
    let (q, r) = (span / k, span % k);
    (1..k)
        .map(|i| {
            // ⌊(q·k + r)·i / k⌋ = q·i + ⌊r·i / k⌋; both terms stay ≤ span.
            let offset = q * i + r * i / k;
            (lo as u128).wrapping_add(offset) as i128
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CursorKind;
    use chrono::{FixedOffset, NaiveDateTime};
    use proptest::prelude::*;

    fn int(v: i128) -> CursorValue {
        CursorValue::Int(v)
    }

    /// The invariants every split must satisfy, checked for the given sample values.
    fn check(
        chunks: &[Chunk],
        min: &CursorValue,
        max: &CursorValue,
        n: usize,
        samples: &[CursorValue],
    ) {
        assert!(!chunks.is_empty());
        assert!(
            chunks.len() <= n.max(1),
            "{} chunks for n = {n}",
            chunks.len()
        );
        assert!(chunks[0].from.is_none());
        assert!(chunks[chunks.len() - 1].to.is_none());
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.index, i);
            assert_eq!(c.nulls, i == 0);
            if let (Some(f), Some(t)) = (&c.from, &c.to) {
                assert!(f < t, "empty chunk {f} .. {t}");
            }
            for bound in c.from.iter().chain(c.to.iter()) {
                assert_eq!(bound.kind(), min.kind());
                assert!(
                    min < bound && bound <= max,
                    "bound {bound} outside ({min}, {max}]"
                );
                if let CursorValue::TimestampTz(t) = bound {
                    assert_eq!(t.offset().local_minus_utc(), 0);
                }
            }
        }
        for w in chunks.windows(2) {
            assert_eq!(w[0].to, w[1].from, "chunks not contiguous");
        }
        // Each chunk holds at least one value of [min, max]: the first holds min, others their `from`.
        assert!(chunks[0].contains(min));
        for c in &chunks[1..] {
            let f = c.from.as_ref().unwrap();
            assert!(c.contains(f) && f <= max);
        }
        for v in samples.iter().chain([min, max]) {
            let hits = chunks.iter().filter(|c| c.contains(v)).count();
            assert_eq!(hits, 1, "{v} is in {hits} chunks");
        }
    }

    #[test]
    fn one_chunk_cases() {
        for (min, max, n) in [(1, 100, 1), (5, 5, 8), (9, 3, 4), (0, 10, 0)] {
            let c = split("id", &int(min), &int(max), n);
            assert_eq!(c.len(), 1, "{min}..{max} n={n}");
            assert_eq!((c[0].from, c[0].to, c[0].nulls), (None, None, true));
        }
        // Mixed kinds: one open chunk rather than a panic.
        let d = CursorValue::Date(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!(split("x", &int(1), &d, 4).len(), 1);
    }

    #[test]
    fn decimals_split_on_their_integer_range() {
        let d = |s: &str| CursorValue::parse(CursorKind::Decimal, s).unwrap();
        let (min, max) = (d("0.5"), d("100.75"));
        let c = split("ID", &min, &max, 4);
        let bounds: Vec<_> = c.iter().map(|c| (c.from, c.to)).collect();
        assert_eq!(
            bounds,
            vec![
                (None, Some(d("25"))),
                (Some(d("25")), Some(d("50"))),
                (Some(d("50")), Some(d("75"))),
                (Some(d("75")), None)
            ],
            "points on the integer range ⌊0.5⌋ = 0 … ⌊100.75⌋ = 100"
        );
        let samples: Vec<_> = ["0.5", "24.999", "25", "50.1", "75", "100.75"]
            .iter()
            .map(|s| d(s))
            .collect();
        check(&c, &min, &max, 4, &samples);
        // Fractions inside one integer: one chunk, never an empty or out-of-range one.
        assert_eq!(split("ID", &d("3.1"), &d("3.9"), 4).len(), 1);
        let big = (d("1e20"), d("100000000000000000400"));
        check(&split("ID", &big.0, &big.1, 3), &big.0, &big.1, 3, &[]);
    }

    #[test]
    fn even_int_split() {
        let c = split("id", &int(1), &int(100), 4);
        let bounds: Vec<_> = c.iter().map(|c| (c.from, c.to)).collect();
        assert_eq!(
            bounds,
            vec![
                (None, Some(int(26))),
                (Some(int(26)), Some(int(51))),
                (Some(int(51)), Some(int(76))),
                (Some(int(76)), None)
            ]
        );
        assert_eq!(c[2].column, "id");
    }

    #[test]
    fn fewer_values_than_chunks() {
        let c = split("id", &int(10), &int(12), 8);
        assert_eq!(c.len(), 3);
        assert_eq!(c[1].from, Some(int(11)));
        assert_eq!(c[2].from, Some(int(12)));
        check(&c, &int(10), &int(12), 8, &[int(11)]);
    }

    #[test]
    fn extreme_ints() {
        let (lo, hi) = (int(i64::MIN as i128), int(u64::MAX as i128));
        check(
            &split("id", &lo, &hi, 64),
            &lo,
            &hi,
            64,
            &[int(0), int(i64::MAX as i128)],
        );
        let (lo, hi) = (int(i64::MIN as i128), int(i64::MAX as i128));
        check(
            &split("id", &lo, &hi, 7),
            &lo,
            &hi,
            7,
            &[int(-1), int(0), int(1)],
        );
        let (lo, hi) = (int(i128::MIN), int(i128::MAX));
        check(&split("id", &lo, &hi, 64), &lo, &hi, 64, &[int(0)]);
        let (lo, hi) = (int(i128::MAX - 1), int(i128::MAX));
        check(&split("id", &lo, &hi, 64), &lo, &hi, 64, &[]);
    }

    #[test]
    fn dates_at_chrono_limits() {
        let (lo, hi) = (
            CursorValue::Date(NaiveDate::MIN),
            CursorValue::Date(NaiveDate::MAX),
        );
        let c = split("d", &lo, &hi, 64);
        assert_eq!(c.len(), 64);
        check(&c, &lo, &hi, 64, &[]);
    }

    #[test]
    fn timestamps_closer_than_n_micros() {
        let t0 =
            NaiveDateTime::parse_from_str("2024-01-01 00:00:00.000000100", "%Y-%m-%d %H:%M:%S%.f")
                .unwrap();
        let t1 = t0 + chrono::Duration::nanoseconds(800);
        let c = split(
            "ts",
            &CursorValue::Timestamp(t0),
            &CursorValue::Timestamp(t1),
            8,
        );
        assert_eq!(c.len(), 1);
        let t2 = t0 + chrono::Duration::microseconds(2);
        let (lo, hi) = (CursorValue::Timestamp(t0), CursorValue::Timestamp(t2));
        let c = split("ts", &lo, &hi, 8);
        assert_eq!(c.len(), 3);
        check(&c, &lo, &hi, 8, &[]);
        let (lo, hi) = (
            CursorValue::Timestamp(DateTime::<Utc>::MIN_UTC.naive_utc()),
            CursorValue::Timestamp(DateTime::<Utc>::MAX_UTC.naive_utc()),
        );
        check(&split("ts", &lo, &hi, 64), &lo, &hi, 64, &[]);
    }

    #[test]
    fn timestamp_tz_bounds_are_utc() {
        let off = FixedOffset::east_opt(5 * 3600).unwrap();
        let lo = CursorValue::TimestampTz(
            DateTime::from_timestamp(1_700_000_000, 0)
                .unwrap()
                .with_timezone(&off),
        );
        let hi = CursorValue::TimestampTz(
            DateTime::from_timestamp(1_700_000_100, 0)
                .unwrap()
                .with_timezone(&off),
        );
        let c = split("ts", &lo, &hi, 4);
        assert_eq!(c.len(), 4);
        assert_eq!(c[1].from.unwrap().to_text(), "2023-11-14T22:13:45Z");
        check(&c, &lo, &hi, 4, &[]);
    }

    /// A few values of `[lo, hi]`: interior points spread over the range.
    fn samples(lo: i128, hi: i128, picks: &[u64]) -> Vec<i128> {
        let diff = hi.wrapping_sub(lo) as u128;
        picks
            .iter()
            .map(|p| {
                (lo as u128).wrapping_add(u128::from(*p) % diff.saturating_add(1).max(1)) as i128
            })
            .chain([
                lo,
                hi,
                lo.saturating_add(1).min(hi),
                hi.saturating_sub(1).max(lo),
            ])
            .collect()
    }

    fn edge_i128() -> impl Strategy<Value = i128> {
        prop_oneof![
            Just(i64::MIN as i128),
            Just(i64::MAX as i128),
            Just(u64::MAX as i128),
            Just(0i128),
            any::<i64>().prop_map(i128::from),
            (-1000i128..1000),
        ]
    }

    proptest! {
        #[test]
        fn int_split_invariants(a in edge_i128(), b in edge_i128(), n in 1usize..=64, picks in proptest::collection::vec(any::<u64>(), 4)) {
            let (lo, hi) = (a.min(b), a.max(b));
            let c = split("id", &int(lo), &int(hi), n);
            let s: Vec<_> = samples(lo, hi, &picks).into_iter().map(int).collect();
            check(&c, &int(lo), &int(hi), n, &s);
            let span = (hi - lo) as u128 + 1;
            prop_assert_eq!(c.len() as u128, span.min(n as u128));
        }

        #[test]
        fn date_split_invariants(a in -3_000_000i32..3_000_000, b in -3_000_000i32..3_000_000, n in 1usize..=64, picks in proptest::collection::vec(any::<u64>(), 4)) {
            let d = |x: i128| CursorValue::Date(NaiveDate::from_num_days_from_ce_opt(x as i32).unwrap());
            let (lo, hi) = (a.min(b) as i128, a.max(b) as i128);
            let c = split("d", &d(lo), &d(hi), n);
            let s: Vec<_> = samples(lo, hi, &picks).into_iter().map(d).collect();
            check(&c, &d(lo), &d(hi), n, &s);
        }

        #[test]
        fn timestamp_split_invariants(a in -8_000_000_000_000_000_000i64..8_000_000_000_000_000_000, w in prop_oneof![0i64..100, 0i64..1_000_000_000_000], nanos in 0u32..1000, n in 1usize..=64, tz in any::<bool>(), picks in proptest::collection::vec(any::<u64>(), 4)) {
            let ts = |m: i128| {
                let t = DateTime::from_timestamp_micros(m as i64).unwrap() + chrono::Duration::nanoseconds(i64::from(nanos));
                if tz {
                    let off = FixedOffset::east_opt(-3 * 3600).unwrap();
                    CursorValue::TimestampTz(t.with_timezone(&off))
                } else {
                    CursorValue::Timestamp(t.naive_utc())
                }
            };
            let (lo, hi) = (a as i128, a as i128 + w as i128);
            let c = split("ts", &ts(lo), &ts(hi), n);
            let s: Vec<_> = samples(lo, hi, &picks).into_iter().map(ts).collect();
            check(&c, &ts(lo), &ts(hi), n, &s);
        }
    }
}
