//! Decimal text parsed exactly into the unscaled integer of DECIMAL(p, s) (Decimal128 or
//! Decimal256); never rounds. Plain text (`[-+]digits[.digits]`, what databases send) is read
//! digit by digit without allocating; anything else (exponents, spaces, errors) takes the
//! general path, which gives the same values and the error messages.

use arrow::datatypes::i256;

/// Parse decimal text exactly into the unscaled i128 of DECIMAL(p, s); never rounds.
pub fn parse_decimal(text: &str, precision: u8, scale: i8) -> Result<i128, String> {
    if let Some(v) = plain(text.as_bytes(), precision, scale).and_then(|p| p.to_i128()) {
        return Ok(v);
    }
    parse_decimal_general(text, precision, scale)
}

/// Parse decimal text exactly into the unscaled i256 of DECIMAL(p, s) (p up to 76); never rounds.
pub fn parse_decimal256(text: &str, precision: u8, scale: i8) -> Result<i256, String> {
    if let Some(v) = plain(text.as_bytes(), precision, scale).and_then(|p| p.to_i128()) {
        return Ok(i256::from_i128(v));
    }
    parse_decimal256_general(text, precision, scale)
}

/// Plain decimal text that fits DECIMAL(p, s): its sign and digits, cut to the scale.
struct Plain<'a> {
    neg: bool,
    /// Digits before the point.
    int: &'a [u8],
    /// Digits after the point, at most `scale` of them (the rest were zeros).
    frac: &'a [u8],
    /// Zeros to append so that the fraction has `scale` digits.
    pad: u32,
}

impl Plain<'_> {
    /// The unscaled value, `None` when it does not fit an i128.
    fn to_i128(&self) -> Option<i128> {
        let mut v: i128 = 0;
        for &d in self.int.iter().chain(self.frac) {
            v = v.checked_mul(10)?.checked_add((d - b'0') as i128)?;
        }
        v = v.checked_mul(10i128.checked_pow(self.pad)?)?;
        Some(if self.neg { -v } else { v })
    }
}

/// `text` as plain decimal text that fits DECIMAL(p, s) exactly, or `None` (not plain, or it
/// does not fit: the general path then says why).
fn plain(text: &[u8], precision: u8, scale: i8) -> Option<Plain<'_>> {
    let scale = usize::try_from(scale).ok()?;
    let (neg, rest) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let int_len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (int, after) = rest.split_at(int_len);
    let frac = match after.split_first() {
        None => &after[..0],
        Some((b'.', f)) if f.iter().all(u8::is_ascii_digit) => f,
        _ => return None,
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    // Fraction digits beyond the scale must be zeros (they carry no value).
    let (frac, extra) = frac.split_at(frac.len().min(scale));
    if extra.iter().any(|&b| b != b'0') {
        return None;
    }
    let pad = scale - frac.len();
    let leading = int.iter().chain(frac).take_while(|&&b| b == b'0').count();
    let significant = int.len() + frac.len() - leading;
    let digits = if significant == 0 {
        0
    } else {
        significant + pad
    };
    if digits > precision as usize {
        return None;
    }
    Some(Plain {
        neg,
        int,
        frac,
        pad: u32::try_from(pad).ok()?,
    })
}

/// [`parse_decimal`] for any text: exponents, surrounding spaces, and the error messages.
fn parse_decimal_general(text: &str, precision: u8, scale: i8) -> Result<i128, String> {
    let err = |why: &str| format!("does not fit DECIMAL({precision},{scale}) exactly: {why}");
    let (neg, unscaled) = decimal_digits(text, precision, scale)?;
    let v: i128 = if unscaled.is_empty() {
        0
    } else {
        unscaled.parse().map_err(|_| err("too many digits"))?
    };
    Ok(if neg { -v } else { v })
}

/// [`parse_decimal256`] for any text.
fn parse_decimal256_general(text: &str, precision: u8, scale: i8) -> Result<i256, String> {
    let (neg, digits) = decimal_digits(text, precision, scale)?;
    let v = if digits.is_empty() {
        i256::ZERO
    } else {
        i256::from_string(&digits).ok_or_else(|| {
            format!("does not fit DECIMAL({precision},{scale}) exactly: too many digits")
        })?
    };
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The sign and the unscaled digits (no leading zeros) of decimal text for DECIMAL(p, s).
fn decimal_digits(text: &str, precision: u8, scale: i8) -> Result<(bool, String), String> {
    let err = |why: &str| format!("does not fit DECIMAL({precision},{scale}) exactly: {why}");
    let t = text.trim();
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (
            &t[..i],
            t[i + 1..].parse::<i32>().map_err(|_| err("not a number"))?,
        ),
        None => (t, 0),
    };
    let (neg, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(err("not a number"));
    }
    let mut all: String = format!("{int_part}{frac_part}");
    let mut frac_digits = frac_part.len() as i64 - exp as i64;
    // Drop trailing zeros beyond the scale: they carry no value (`0.000` fits DECIMAL(p, 2)).
    while frac_digits > scale as i64 && all.ends_with('0') {
        all.pop();
        frac_digits -= 1;
    }
    if frac_digits > scale as i64 {
        return Err(err("too many fractional digits"));
    }
    let all = all.trim_start_matches('0');
    if all.is_empty() {
        return Ok((neg, String::new()));
    }
    // Checked before the zeros are written: `1e2000000000` must not allocate 2 GB.
    let pad = usize::try_from(scale as i64 - frac_digits).map_err(|_| err("not a number"))?;
    if all.len().saturating_add(pad) > precision as usize {
        return Err(err("too many digits"));
    }
    Ok((neg, format!("{all}{}", "0".repeat(pad))))
}

#[cfg(test)]
#[path = "decimal_tests.rs"]
mod tests;
