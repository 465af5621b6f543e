use super::*;
use proptest::prelude::*;

#[test]
fn plain_text_is_read_without_the_general_path() {
    let p = plain(b"-12345678901234.5678", 18, 4).expect("plain");
    assert_eq!(p.to_i128(), Some(-123_456_789_012_345_678));
    assert_eq!(
        parse_decimal("-12345678901234.5678", 18, 4),
        Ok(-123_456_789_012_345_678)
    );
    // Zeros beyond the scale carry no value; a missing fraction is padded.
    assert_eq!(parse_decimal("1.500000", 10, 2), Ok(150));
    assert_eq!(parse_decimal("7", 12, 2), Ok(700));
    assert_eq!(parse_decimal(".5", 3, 2), Ok(50));
    assert_eq!(parse_decimal("-0", 3, 2), Ok(0));
    assert_eq!(parse_decimal("0.00000", 3, 2), Ok(0));
    assert_eq!(
        parse_decimal("0.000", 3, 2),
        parse_decimal_general("0.000", 3, 2)
    );
    // Not plain: left to the general path, which reads or rejects it.
    for t in [
        "", "-", ".", "1e3", " 1", "1 ", "1.2.3", "--1", "+-1", "1,5", "١",
    ] {
        assert!(plain(t.as_bytes(), 10, 2).is_none(), "{t:?}");
    }
    assert_eq!(parse_decimal(" 1.5E3 ", 12, 2), Ok(150_000));
}

#[test]
fn what_does_not_fit_fails_with_the_general_message() {
    assert!(plain(b"1.005", 12, 2).is_none());
    let e = parse_decimal("1.005", 12, 2).unwrap_err();
    assert_eq!(
        e,
        "does not fit DECIMAL(12,2) exactly: too many fractional digits"
    );
    let e = parse_decimal("123456", 5, 2).unwrap_err();
    assert_eq!(e, "does not fit DECIMAL(5,2) exactly: too many digits");
    let e = parse_decimal("abc", 5, 2).unwrap_err();
    assert_eq!(e, "does not fit DECIMAL(5,2) exactly: not a number");
    // 39 nines do not fit an i128 at precision 40: an error, not an overflow.
    let nines = "9".repeat(39);
    assert!(parse_decimal(&nines, 40, 0).is_err());
    assert!(parse_decimal256(&nines, 40, 0).is_ok());
    // A huge exponent is rejected before any zero is written.
    assert!(parse_decimal("1e2000000000", 38, 0).is_err());
    assert_eq!(parse_decimal("0e2000000000", 38, 0), Ok(0));
}

#[test]
fn decimal256_takes_the_fast_path_for_small_values() {
    assert_eq!(
        parse_decimal256("-1.5", 65, 30),
        Ok(i256::from_i128(-15 * 10i128.pow(29)))
    );
    let max65 = format!("{}.{}", "9".repeat(35), "9".repeat(30));
    assert_eq!(
        parse_decimal256(&max65, 65, 30),
        parse_decimal256_general(&max65, 65, 30)
    );
    assert!(parse_decimal256(&max65, 65, 30).is_ok());
}

/// Decimal-looking text, sometimes with an exponent or stray characters.
fn decimal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?[0-9]{0,42}(\\.[0-9]{0,42})?",
        "[-+]?0{0,5}[0-9]{0,3}\\.[0-9]{0,3}0{0,8}",
        "[-+]?[0-9]{0,6}(\\.[0-9]{0,6})?([eE][-+]?[0-9]{1,2})?",
        "[ -+.0-9eE]{0,10}",
        "\\PC{0,8}",
    ]
}

proptest! {
    #[test]
    fn the_fast_path_agrees_with_the_general_one(
        text in decimal_text(),
        precision in 1u8..=40,
        scale in -2i8..=40,
    ) {
        prop_assert_eq!(
            parse_decimal(&text, precision, scale),
            parse_decimal_general(&text, precision, scale)
        );
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_one_for_decimal256(
        text in decimal_text(),
        precision in 1u8..=76,
        scale in 0i8..=76,
    ) {
        prop_assert_eq!(
            parse_decimal256(&text, precision, scale),
            parse_decimal256_general(&text, precision, scale)
        );
    }
}
