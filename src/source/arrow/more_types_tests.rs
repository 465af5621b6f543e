use super::*;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DurationMicrosecondType, UInt64Type};

#[test]
fn integers_fit_or_fail() {
    let mut b = MoreBuilder::new(&DataType::UInt64, 4).unwrap();
    b.append_int(u64::MAX as i128).unwrap();
    assert!(b.append_int(-1).is_err());
    b.append(Cell::Text("42")).unwrap();
    b.append_null();
    let a = b.finish();
    let a = a.as_primitive::<UInt64Type>();
    assert_eq!(a.value(0), u64::MAX);
    assert_eq!(a.value(1), 42);
    assert!(a.is_null(2));
    let mut i8b = MoreBuilder::new(&DataType::Int8, 2).unwrap();
    assert!(i8b.append_int(-128).is_ok());
    assert!(i8b.append_int(128).is_err());
    assert!(MoreBuilder::new(&DataType::Utf8, 1).is_none());
}

#[test]
fn durations_parse_signed_and_long() {
    assert_eq!(parse_duration_micros("838:59:59"), Ok(3_020_399_000_000));
    assert_eq!(parse_duration_micros("-00:00:01.5"), Ok(-1_500_000));
    assert_eq!(parse_duration_micros("01:02:03.000001"), Ok(3_723_000_001));
    assert!(parse_duration_micros("1:60:00").is_err());
    assert!(parse_duration_micros("1:00").is_err());
    assert!(parse_duration_micros("00:00:00.0000001").is_err());
    let mut c = ColumnBuilder::new(&DataType::Duration(TimeUnit::Microsecond), 1).unwrap();
    c.append_micros(-5).unwrap();
    let a = c.finish();
    assert_eq!(a.as_primitive::<DurationMicrosecondType>().value(0), -5);
}

#[test]
fn decimal256_is_exact() {
    let max65 = format!("{}.{}", "9".repeat(35), "9".repeat(30));
    let v = parse_decimal256(&max65, 65, 30).unwrap();
    assert_eq!(v.to_string(), "9".repeat(65));
    let neg = parse_decimal256("-0.5", 65, 30).unwrap();
    assert_eq!(neg.to_string(), format!("-5{}", "0".repeat(29)));
    assert!(parse_decimal256("1.0000000000000000000000000000001", 65, 30).is_err());
    let mut c = ColumnBuilder::new(&DataType::Decimal256(65, 30), 1).unwrap();
    c.append_int(-7).unwrap();
    assert_eq!(c.finish().len(), 1);
}

#[test]
fn typed_appends_check_the_column() {
    let mut t = ColumnBuilder::new(&DataType::Time64(TimeUnit::Microsecond), 1).unwrap();
    assert!(t.append_micros(86_400_000_000).is_err());
    let mut d = ColumnBuilder::new(&DataType::Date32, 1).unwrap();
    assert!(d.append_micros(1).is_err());
    assert!(d.append_days(1).is_ok());
    let mut f = ColumnBuilder::new(&DataType::Float32, 1).unwrap();
    assert!(f.append_f64(0.1).is_err());
    assert!(f.append_f64(0.1f32 as f64).is_ok());
    let mut i = ColumnBuilder::new(&DataType::Int64, 1).unwrap();
    assert!(i.append_int(i64::MAX as i128 + 1).is_err());
    let mut b = ColumnBuilder::new(&DataType::Boolean, 1).unwrap();
    assert!(b.append_int(1).is_ok());
    assert!(b.append_int(2).is_err());
}

#[test]
fn extra_builders_convert_cells() {
    let mut u = ColumnBuilder::new(&DataType::UInt8, 2).unwrap();
    assert!(u.append(Cell::Int(255)).is_ok());
    assert!(u.append(Cell::Int(256)).is_err());
    let mut f = ColumnBuilder::new(&DataType::Float32, 2).unwrap();
    assert!(f.append(Cell::Float(0.5)).is_ok());
    assert!(f.append(Cell::Float(0.1)).is_err());
    let mut g = ColumnBuilder::new(&DataType::FixedSizeBinary(16), 2).unwrap();
    assert!(
        g.append(Cell::Text("00112233-4455-6677-8899-aabbccddeeff"))
            .is_ok()
    );
    assert!(g.append(Cell::Bytes(&[1, 2])).is_err());
    assert_eq!(g.finish().len(), 1);
    assert_eq!(
        parse_timestamp_nanos("1970-01-01 00:00:00.0000001", false),
        Ok(100)
    );
}
