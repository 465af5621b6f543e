//! Tests of the MySQL type mapping and binary value decoding.

use super::*;

#[test]
fn column_types_map_exactly() {
    let utc = || {
        Some(DataType::Timestamp(
            TimeUnit::Microsecond,
            Some("UTC".into()),
        ))
    };
    let cases: &[(&str, Option<DataType>)] = &[
        ("tinyint(1)", Some(DataType::Boolean)),
        ("bool", Some(DataType::Boolean)),
        ("tinyint(4)", Some(DataType::Int8)),
        ("tinyint(3) unsigned", Some(DataType::UInt8)),
        ("smallint(6)", Some(DataType::Int16)),
        ("smallint unsigned", Some(DataType::UInt16)),
        ("mediumint(9)", Some(DataType::Int32)),
        ("mediumint(8) unsigned", Some(DataType::UInt32)),
        ("int(11)", Some(DataType::Int32)),
        ("int unsigned", Some(DataType::UInt32)),
        ("bigint(20)", Some(DataType::Int64)),
        ("bigint(20) unsigned", Some(DataType::UInt64)),
        ("bigint unsigned zerofill", Some(DataType::UInt64)),
        ("decimal(12,2)", Some(DataType::Decimal128(12, 2))),
        ("decimal(38,0)", Some(DataType::Decimal128(38, 0))),
        ("decimal(65,30)", Some(DataType::Decimal256(65, 30))),
        ("decimal(10,2) unsigned", Some(DataType::Decimal128(10, 2))),
        ("decimal", Some(DataType::Decimal128(10, 0))),
        ("float", Some(DataType::Float32)),
        ("double", Some(DataType::Float64)),
        ("varchar(20)", Some(DataType::Utf8)),
        ("char(3)", Some(DataType::Utf8)),
        ("longtext", Some(DataType::Utf8)),
        ("enum('a','b')", Some(DataType::Utf8)),
        ("set('x','y')", Some(DataType::Utf8)),
        ("json", Some(DataType::Utf8)),
        ("binary(4)", Some(DataType::Binary)),
        ("varbinary(10)", Some(DataType::Binary)),
        ("blob", Some(DataType::Binary)),
        ("bit(1)", Some(DataType::UInt64)),
        ("bit(64)", Some(DataType::UInt64)),
        ("date", Some(DataType::Date32)),
        ("time(6)", Some(DataType::Duration(TimeUnit::Microsecond))),
        (
            "datetime(6)",
            Some(DataType::Timestamp(TimeUnit::Microsecond, None)),
        ),
        ("timestamp", utc()),
        ("timestamp(3)", utc()),
        ("year(4)", Some(DataType::Int16)),
        ("year", Some(DataType::Int16)),
        ("mystery", None),
    ];
    for (ty, expected) in cases {
        assert_eq!(&map_column_type(ty), expected, "{ty}");
    }
}

#[test]
fn wire_types_map() {
    assert_eq!(map_wire_type("BIGINT UNSIGNED"), Some(DataType::UInt64));
    assert_eq!(map_wire_type("BOOLEAN"), Some(DataType::Boolean));
    assert_eq!(map_wire_type("INT"), Some(DataType::Int32));
    assert_eq!(map_wire_type("DECIMAL"), Some(DataType::Decimal256(65, 30)));
    assert_eq!(map_wire_type("VARBINARY"), Some(DataType::Binary));
    assert_eq!(map_wire_type("NULL"), Some(DataType::Utf8));
    assert_eq!(
        map_wire_type("TIME"),
        Some(DataType::Duration(TimeUnit::Microsecond))
    );
    assert_eq!(
        Wire::of("BIGINT UNSIGNED"),
        Wire::Int {
            bytes: 8,
            unsigned: true
        }
    );
    assert_eq!(
        Wire::of("YEAR"),
        Wire::Int {
            bytes: 2,
            unsigned: false
        }
    );
    assert_eq!(Wire::of("DECIMAL"), Wire::Bytes);
}

#[test]
fn integers_decode_at_their_limits() {
    let w = |bytes, unsigned| Wire::Int { bytes, unsigned };
    assert_eq!(decode(w(1, false), &[0x80]), Ok(Value::Int(-128)));
    assert_eq!(decode(w(1, true), &[0xff]), Ok(Value::Int(255)));
    assert_eq!(decode(w(2, false), &[0x00, 0x80]), Ok(Value::Int(-32768)));
    assert_eq!(
        decode(w(4, true), &[0xff; 4]),
        Ok(Value::Int(u32::MAX as i128))
    );
    assert_eq!(
        decode(w(8, true), &[0xff; 8]),
        Ok(Value::Int(u64::MAX as i128))
    );
    assert_eq!(decode(w(8, false), &[0xff; 8]), Ok(Value::Int(-1)));
    assert!(decode(w(8, false), &[0xff; 3]).is_err());
    assert_eq!(
        decode(Wire::Float, &0.1f32.to_le_bytes()),
        Ok(Value::Float(0.1f32 as f64))
    );
    assert_eq!(
        decode(Wire::Double, &1.5f64.to_le_bytes()),
        Ok(Value::Float(1.5))
    );
}

#[test]
fn dates_and_times_decode() {
    assert_eq!(decode(Wire::DateTime, &[0]), Ok(Value::ZeroDate));
    assert_eq!(
        decode(Wire::DateTime, &[4, 0, 0, 0, 0]),
        Ok(Value::ZeroDate)
    );
    assert_eq!(
        decode(Wire::DateTime, &[4, 0xb2, 0x07, 1, 2]),
        Ok(Value::Date(1))
    );
    // 2000-02-30 is no date
    assert!(decode(Wire::DateTime, &[4, 0xd0, 0x07, 2, 30]).is_err());
    assert_eq!(
        decode(Wire::DateTime, &[7, 0xb2, 0x07, 1, 1, 0, 0, 1]),
        Ok(Value::DateTime(1_000_000))
    );
    let mut dt6 = vec![11, 0xb2, 0x07, 1, 1, 0, 0, 0];
    dt6.extend_from_slice(&999_999u32.to_le_bytes());
    assert_eq!(decode(Wire::DateTime, &dt6), Ok(Value::DateTime(999_999)));
    assert!(decode(Wire::DateTime, &[7, 1]).is_err());
    assert!(decode(Wire::DateTime, &[]).is_err());
    // TIME '838:59:59' = 34 days 22:59:59, and '-00:00:01.5'
    let mut t = vec![8, 0];
    t.extend_from_slice(&34u32.to_le_bytes());
    t.extend_from_slice(&[22, 59, 59]);
    assert_eq!(decode(Wire::Time, &t), Ok(Value::Time(3_020_399_000_000)));
    let mut n = vec![12, 1];
    n.extend_from_slice(&0u32.to_le_bytes());
    n.extend_from_slice(&[0, 0, 1]);
    n.extend_from_slice(&500_000u32.to_le_bytes());
    assert_eq!(decode(Wire::Time, &n), Ok(Value::Time(-1_500_000)));
    assert_eq!(decode(Wire::Time, &[0]), Ok(Value::Time(0)));
    // A corrupt day count is an error, not an overflow.
    let mut huge = vec![8, 0];
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    huge.extend_from_slice(&[23, 59, 59]);
    assert!(decode(Wire::Time, &huge).is_err());
}

#[test]
fn bits_are_big_endian() {
    assert_eq!(bit_value(&[0x01, 0x00]), Ok(256));
    assert_eq!(bit_value(&[0xff; 8]), Ok(u64::MAX));
    assert_eq!(
        bit_value(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        Ok(u64::MAX)
    );
    assert!(bit_value(&[1; 9]).is_err());
    assert_eq!(bit_value(&[]), Ok(0));
}

#[test]
fn cursors_from_values() {
    let d = cursor_of(Value::Date(1), CursorKind::Date, "d").unwrap();
    assert_eq!(d.to_text(), "1970-01-02");
    let t = cursor_of(Value::DateTime(1_500_000), CursorKind::Timestamp, "t").unwrap();
    assert_eq!(t.to_text(), "1970-01-01T00:00:01.500");
    let tz = cursor_of(Value::DateTime(0), CursorKind::TimestampTz, "t").unwrap();
    let midnight = cursor_of(Value::Date(1), CursorKind::Timestamp, "t").unwrap();
    assert_eq!(midnight.to_text(), "1970-01-02T00:00:00");
    assert_eq!(tz.to_text(), "1970-01-01T00:00:00Z");
    let big = cursor_of(Value::Int(u64::MAX as i128), CursorKind::Int, "i").unwrap();
    assert_eq!(big, CursorValue::Int(u64::MAX as i128));
    assert!(cursor_of(Value::ZeroDate, CursorKind::Date, "d").is_err());
    assert!(cursor_of(Value::Float(1.0), CursorKind::Int, "f").is_err());
}

#[test]
fn every_calendar_day_counts_as_chrono_counts_it() {
    let epoch = chrono::NaiveDate::default();
    for year in (1..=10_000).chain([65_535]) {
        for month in 0..=13 {
            for day in 0..=32 {
                let want = chrono::NaiveDate::from_ymd_opt(year, month, day)
                    .map(|d| (d - epoch).num_days() as i32);
                assert_eq!(
                    days_from_civil(year, month, day),
                    want,
                    "{year}-{month}-{day}"
                );
            }
        }
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn integers_decode_exactly(v in any::<i64>()) {
            let b = v.to_le_bytes();
            prop_assert_eq!(decode(Wire::Int { bytes: 8, unsigned: false }, &b), Ok(Value::Int(v as i128)));
            prop_assert_eq!(decode(Wire::Int { bytes: 8, unsigned: true }, &b), Ok(Value::Int(v as u64 as i128)));
        }

        #[test]
        fn times_decode_exactly(neg in any::<bool>(), days in 0u32..35, h in 0u8..24, m in 0u8..60, s in 0u8..60, us in 0u32..1_000_000) {
            let mut b = vec![12, neg as u8];
            b.extend_from_slice(&days.to_le_bytes());
            b.extend_from_slice(&[h, m, s]);
            b.extend_from_slice(&us.to_le_bytes());
            let total = ((days as i64 * 24 + h as i64) * 3600 + m as i64 * 60 + s as i64) * 1_000_000 + us as i64;
            prop_assert_eq!(decode(Wire::Time, &b), Ok(Value::Time(if neg { -total } else { total })));
        }

        #[test]
        fn datetimes_decode_exactly(secs in -30_000_000_000i64..253_402_300_799, us in 0u32..1_000_000) {
            let t = chrono::DateTime::from_timestamp(secs, us * 1000).unwrap().naive_utc();
            use chrono::{Datelike, Timelike};
            let mut b = vec![11];
            b.extend_from_slice(&(t.year() as u16).to_le_bytes());
            b.extend_from_slice(&[t.month() as u8, t.day() as u8, t.hour() as u8, t.minute() as u8, t.second() as u8]);
            b.extend_from_slice(&us.to_le_bytes());
            prop_assert_eq!(decode(Wire::DateTime, &b), Ok(Value::DateTime(t.and_utc().timestamp_micros())));
        }

        #[test]
        fn datetime_fields_decode_as_chrono_reads_them(
            year in 0u16..=u16::MAX, month in 0u8..14, day in 0u8..33, h in 0u8..25,
            m in 0u8..61, s in 0u8..61, us in 0u32..1_100_000, len in 0usize..4,
        ) {
            let mut b = vec![[4u8, 7, 11, 8][len]];
            b.extend_from_slice(&year.to_le_bytes());
            b.extend_from_slice(&[month, day, h, m, s]);
            b.extend_from_slice(&us.to_le_bytes());
            b.truncate(1 + b[0] as usize);
            let us = if len == 1 || len == 3 { 0 } else { us };
            let date = chrono::NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32);
            let want = match date {
                _ if year == 0 || month == 0 || day == 0 => Some(Value::ZeroDate),
                None => None,
                Some(d) if len == 0 => Some(Value::Date((d - chrono::NaiveDate::default()).num_days() as i32)),
                Some(_) if us > 999_999 => None,
                Some(d) => d
                    .and_hms_micro_opt(h as u32, m as u32, s as u32, us)
                    .map(|t| Value::DateTime(t.and_utc().timestamp_micros())),
            };
            prop_assert_eq!(decode(Wire::DateTime, &b).ok(), want);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16), which in 0usize..6) {
            let wire = [Wire::Int { bytes: 4, unsigned: false }, Wire::Float, Wire::Double, Wire::DateTime, Wire::Time, Wire::Bytes][which];
            let _ = decode(wire, &bytes);
        }
    }
}
