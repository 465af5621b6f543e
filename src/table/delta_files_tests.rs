use super::*;
use crate::plan::CursorKind;
use serde_json::json;

fn at(kind: CursorKind, text: &str) -> CursorValue {
    CursorValue::parse(kind, text).unwrap()
}

#[test]
fn integers_compare_exactly() {
    let five = at(CursorKind::Int, "5");
    assert!(misses(Some(&json!(1)), Some(&json!(4)), &five));
    assert!(misses(Some(&json!(6)), Some(&json!(9)), &five));
    assert!(!misses(Some(&json!(1)), Some(&json!(5)), &five));
    assert!(!misses(Some(&json!(5)), Some(&json!(9)), &five));
    assert!(
        !misses(None, None, &five),
        "no statistics: the file is read"
    );
    assert!(
        !misses(Some(&json!("x")), Some(&json!([1])), &five),
        "unreadable bounds"
    );
    let big = at(CursorKind::Int, "18446744073709551615");
    assert!(!misses(None, Some(&json!(u64::MAX)), &big));
    assert!(misses(None, Some(&json!(u64::MAX - 1)), &big));
}

#[test]
fn doubles_keep_a_margin() {
    // A decimal(20,0) cursor whose maximum a writer stored as a rounded double.
    let lo = at(CursorKind::Int, "12345678901234567");
    assert!(!misses(None, Some(&json!(12345678901234566.0_f64)), &lo));
    assert!(misses(None, Some(&json!(12345678000000000.0_f64)), &lo));
    let d = at(CursorKind::Decimal, "12.35");
    assert!(!misses(Some(&json!(12.35)), Some(&json!(12.35)), &d));
    assert!(misses(Some(&json!(1.0)), Some(&json!(12.34)), &d));
    assert!(misses(Some(&json!(12.36)), Some(&json!(20.0)), &d));
    assert!(!misses(Some(&json!(12)), Some(&json!(13)), &d));
    assert!(misses(Some(&json!(13)), None, &d));
    assert!(!misses(None, Some(&json!("12.350")), &d), "exact text form");
    assert!(misses(None, Some(&json!("12.349")), &d));
}

#[test]
fn dates_and_timestamps_allow_a_millisecond() {
    let day = at(CursorKind::Date, "2024-01-31");
    assert!(misses(None, Some(&json!("2024-01-30")), &day));
    assert!(!misses(
        Some(&json!("2024-01-31")),
        Some(&json!("2024-02-01")),
        &day
    ));
    let t = at(CursorKind::Timestamp, "2024-01-31T12:00:00.1234");
    // Writers cut the maximum to milliseconds: .123 may stand for .1234.
    assert!(!misses(None, Some(&json!("2024-01-31 12:00:00.123")), &t));
    assert!(!misses(None, Some(&json!("2024-01-31T12:00:00.123Z")), &t));
    assert!(misses(None, Some(&json!("2024-01-31 12:00:00.122")), &t));
    assert!(misses(Some(&json!("2024-01-31 12:00:00.126")), None, &t));
    assert!(!misses(Some(&json!("2024-01-31 12:00:00.124")), None, &t));
    let tz = at(CursorKind::TimestampTz, "2024-01-31T13:00:00.5+01:00");
    assert!(!misses(None, Some(&json!("2024-01-31T12:00:00.500Z")), &tz));
    assert!(misses(None, Some(&json!("2024-01-31T11:59:59.000Z")), &tz));
    assert!(misses(Some(&json!("2024-01-31T12:00:01.000Z")), None, &tz));
}
