//! Typing of single workbook cells: text, whole numbers, booleans and watermark values.
//!
//! Every helper returns `Ok(None)` for an empty (or blank text) cell and `Err(message)` with a
//! short lower-case sentence for a value of the wrong kind; the caller turns it into an `Issue`.

use calamine::{Data, ExcelDateTime};
use chrono::{NaiveDateTime, Timelike};

/// The message for a cell holding an Excel error value such as `#N/A`.
fn excel_error(e: &calamine::CellErrorType) -> String {
    format!("cell holds the Excel error {e}")
}

/// True when a float holds a whole number that fits in an `i64` exactly.
fn whole_i64(f: f64) -> Option<i64> {
    // 2^63 as f64; every whole float strictly below it in magnitude converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

/// Render a float the way a person typed it: whole numbers without `.0`.
fn float_text(f: f64) -> String {
    match whole_i64(f) {
        Some(i) => i.to_string(),
        None => f.to_string(),
    }
}

/// A date-formatted cell as `YYYY-MM-DD` (no time part) or `YYYY-MM-DDTHH:MM:SS[.fff]`.
fn datetime_text(dt: &ExcelDateTime) -> Result<String, String> {
    if dt.is_duration() {
        return Err("holds a duration, not a date".to_string());
    }
    let Some(v) = dt.as_datetime() else {
        return Err("holds a date Excel cannot represent".to_string());
    };
    Ok(naive_text(&v))
}

/// `YYYY-MM-DD` at midnight, else ISO 8601 with milliseconds when there are any.
fn naive_text(v: &NaiveDateTime) -> String {
    if v.time().num_seconds_from_midnight() == 0 && v.time().nanosecond() == 0 {
        v.format("%Y-%m-%d").to_string()
    } else {
        v.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
    }
}

/// Trimmed text of a cell. Whole numbers render without `.0` (a table named `2024`),
/// booleans as `true`/`false`, dates as ISO 8601.
pub fn text(value: &Data) -> Result<Option<String>, String> {
    let s = match value {
        Data::Empty => return Ok(None),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => float_text(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => datetime_text(dt)?,
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Error(e) => return Err(excel_error(e)),
    };
    Ok((!s.is_empty()).then_some(s))
}

/// A whole number: `50000`, `50000.0` (how Excel stores every number) or the text `"50000"`.
pub fn integer(value: &Data) -> Result<Option<i64>, String> {
    const WHOLE: &str = "must be a whole number";
    match value {
        Data::Empty => Ok(None),
        Data::Int(i) => Ok(Some(*i)),
        Data::Float(f) => whole_i64(*f).map(Some).ok_or_else(|| WHOLE.to_string()),
        Data::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(i));
            }
            match t.parse::<f64>().ok().and_then(whole_i64) {
                Some(i) => Ok(Some(i)),
                None => Err(WHOLE.to_string()),
            }
        }
        Data::Error(e) => Err(excel_error(e)),
        Data::Bool(_) | Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => {
            Err(WHOLE.to_string())
        }
    }
}

/// A yes/no value: `Y`/`N`, yes/no, true/false, 1/0 (any case), Excel booleans, numbers 1/0.
pub fn boolean(value: &Data) -> Result<Option<bool>, String> {
    const YES_NO: &str = "must be Y or N";
    match value {
        Data::Empty => Ok(None),
        Data::Bool(b) => Ok(Some(*b)),
        Data::Int(1) => Ok(Some(true)),
        Data::Int(0) => Ok(Some(false)),
        Data::Float(f) if *f == 1.0 => Ok(Some(true)),
        Data::Float(f) if *f == 0.0 => Ok(Some(false)),
        Data::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "y" | "yes" | "true" | "1" => Ok(Some(true)),
            "n" | "no" | "false" | "0" => Ok(Some(false)),
            _ => Err(YES_NO.to_string()),
        },
        Data::Error(e) => Err(excel_error(e)),
        _ => Err(YES_NO.to_string()),
    }
}

/// A `last_watermark` cell as normalised text: a whole number → `12345`; a date cell →
/// `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM:SS[.f]` with a time part); ISO text as is; text trimmed.
pub fn watermark_text(value: &Data) -> Result<Option<String>, String> {
    match value {
        Data::Float(f) => match whole_i64(*f) {
            Some(i) => Ok(Some(i.to_string())),
            None => Err(format!(
                "{f} is not a whole number; format the cell as text or as a date"
            )),
        },
        Data::Bool(_) => Err("must be a number, a date or a timestamp".to_string()),
        Data::DurationIso(_) => Err("holds a duration, not a date".to_string()),
        other => text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTimeType};

    fn date(serial: f64) -> Data {
        Data::DateTime(ExcelDateTime::new(
            serial,
            ExcelDateTimeType::DateTime,
            false,
        ))
    }

    #[test]
    fn text_trims_and_renders_whole_numbers_without_fraction() {
        assert_eq!(
            text(&Data::String("  orders ".into())),
            Ok(Some("orders".into()))
        );
        assert_eq!(text(&Data::String("   ".into())), Ok(None));
        assert_eq!(text(&Data::Empty), Ok(None));
        assert_eq!(text(&Data::Float(2024.0)), Ok(Some("2024".into())));
        assert_eq!(text(&Data::Float(3.25)), Ok(Some("3.25".into())));
        assert_eq!(text(&Data::Float(-0.0)), Ok(Some("0".into())));
        assert_eq!(text(&Data::Int(7)), Ok(Some("7".into())));
        assert_eq!(text(&Data::Bool(true)), Ok(Some("true".into())));
        assert_eq!(
            text(&Data::Error(CellErrorType::NA)),
            Err("cell holds the Excel error #N/A".into())
        );
    }

    #[test]
    fn integer_accepts_whole_floats_and_text() {
        assert_eq!(integer(&Data::Float(50000.0)), Ok(Some(50000)));
        assert_eq!(integer(&Data::String(" 50000 ".into())), Ok(Some(50000)));
        assert_eq!(integer(&Data::String("5e4".into())), Ok(Some(50000)));
        assert_eq!(integer(&Data::Int(-3)), Ok(Some(-3)));
        assert_eq!(integer(&Data::Empty), Ok(None));
        assert_eq!(integer(&Data::String(" ".into())), Ok(None));
    }

    #[test]
    fn integer_rejects_fractions_and_non_numbers() {
        let whole = Err("must be a whole number".to_string());
        assert_eq!(integer(&Data::Float(3.25)), whole);
        assert_eq!(integer(&Data::Float(f64::NAN)), whole);
        assert_eq!(integer(&Data::Float(f64::INFINITY)), whole);
        assert_eq!(integer(&Data::Float(1e300)), whole);
        assert_eq!(integer(&Data::String("3.25".into())), whole);
        assert_eq!(integer(&Data::String("lots".into())), whole);
        assert_eq!(integer(&Data::Bool(true)), whole);
        assert_eq!(
            integer(&Data::Error(CellErrorType::Div0)),
            Err("cell holds the Excel error #DIV/0!".into())
        );
    }

    #[test]
    fn boolean_accepts_every_documented_spelling() {
        for yes in ["Y", "y", "Yes", "TRUE", "true", "1", " y "] {
            assert_eq!(boolean(&Data::String(yes.into())), Ok(Some(true)), "{yes}");
        }
        for no in ["N", "n", "NO", "False", "0"] {
            assert_eq!(boolean(&Data::String(no.into())), Ok(Some(false)), "{no}");
        }
        assert_eq!(boolean(&Data::Bool(true)), Ok(Some(true)));
        assert_eq!(boolean(&Data::Bool(false)), Ok(Some(false)));
        assert_eq!(boolean(&Data::Float(1.0)), Ok(Some(true)));
        assert_eq!(boolean(&Data::Float(0.0)), Ok(Some(false)));
        assert_eq!(boolean(&Data::Empty), Ok(None));
        assert_eq!(
            boolean(&Data::String("maybe".into())),
            Err("must be Y or N".into())
        );
        assert_eq!(boolean(&Data::Float(2.0)), Err("must be Y or N".into()));
    }

    #[test]
    fn watermark_text_normalises_numbers_and_dates() {
        assert_eq!(
            watermark_text(&Data::Float(12345.0)),
            Ok(Some("12345".into()))
        );
        // 45306 = 2024-01-15 in the 1900 date system.
        assert_eq!(
            watermark_text(&date(45306.0)),
            Ok(Some("2024-01-15".into()))
        );
        assert_eq!(
            watermark_text(&date(45306.5)),
            Ok(Some("2024-01-15T12:00:00".into()))
        );
        assert_eq!(
            watermark_text(&date(45306.0 + 0.123 / 86400.0)),
            Ok(Some("2024-01-15T00:00:00.123".into()))
        );
        assert_eq!(
            watermark_text(&Data::DateTimeIso("2024-01-15T08:00:00".into())),
            Ok(Some("2024-01-15T08:00:00".into()))
        );
        assert_eq!(
            watermark_text(&Data::String(" 2024-01-15 ".into())),
            Ok(Some("2024-01-15".into()))
        );
        assert_eq!(watermark_text(&Data::Empty), Ok(None));
    }

    #[test]
    fn watermark_text_rejects_fractions_errors_and_durations() {
        assert!(watermark_text(&Data::Float(3.25)).is_err());
        assert!(watermark_text(&Data::Bool(true)).is_err());
        assert_eq!(
            watermark_text(&Data::Error(CellErrorType::NA)),
            Err("cell holds the Excel error #N/A".into())
        );
        let duration = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(
            watermark_text(&duration),
            Err("holds a duration, not a date".into())
        );
    }

    proptest::proptest! {
        #[test]
        fn whole_floats_round_trip_through_integer(i in -(1i64 << 52)..(1i64 << 52)) {
            proptest::prop_assert_eq!(integer(&Data::Float(i as f64)), Ok(Some(i)));
            proptest::prop_assert_eq!(text(&Data::Float(i as f64)), Ok(Some(i.to_string())));
        }
    }
}
