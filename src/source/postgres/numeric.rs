//! PostgreSQL binary `numeric` → exact Arrow decimals (never rounded), and its text for errors.

use arrow::datatypes::i256;

/// An integer wide enough for a decimal's unscaled value.
pub trait Acc: Copy {
    /// Zero.
    const ZERO: Self;
    /// From a small value.
    fn from_i64(v: i64) -> Self;
    /// 10^n, or `None` when it overflows.
    fn pow10(n: u32) -> Option<Self>;
    /// Checked multiplication.
    fn mul(self, o: Self) -> Option<Self>;
    /// Checked addition.
    fn add(self, o: Self) -> Option<Self>;
    /// Negation (values are below 10^p, so it cannot overflow).
    fn neg(self) -> Self;
    /// `self < o` for non-negative values.
    fn lt(self, o: Self) -> bool;
}

const POW10_128: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

impl Acc for i128 {
    const ZERO: Self = 0;
    fn from_i64(v: i64) -> Self {
        v as i128
    }
    fn pow10(n: u32) -> Option<Self> {
        POW10_128.get(n as usize).copied()
    }
    fn mul(self, o: Self) -> Option<Self> {
        self.checked_mul(o)
    }
    fn add(self, o: Self) -> Option<Self> {
        self.checked_add(o)
    }
    fn neg(self) -> Self {
        -self
    }
    fn lt(self, o: Self) -> bool {
        self < o
    }
}

impl Acc for i256 {
    const ZERO: Self = i256::ZERO;
    fn from_i64(v: i64) -> Self {
        i256::from_i128(v as i128)
    }
    fn pow10(n: u32) -> Option<Self> {
        i256::from_i128(10).checked_pow(n)
    }
    fn mul(self, o: Self) -> Option<Self> {
        self.checked_mul(o)
    }
    fn add(self, o: Self) -> Option<Self> {
        self.checked_add(o)
    }
    fn neg(self) -> Self {
        self.wrapping_neg()
    }
    fn lt(self, o: Self) -> bool {
        self < o
    }
}

fn header(v: &[u8]) -> Result<(usize, i32, u16), String> {
    if v.len() < 8 {
        return Err("is a truncated numeric".into());
    }
    let ndigits = u16::from_be_bytes([v[0], v[1]]) as usize;
    let weight = i16::from_be_bytes([v[2], v[3]]) as i32;
    let sign = u16::from_be_bytes([v[4], v[5]]);
    if v.len() != 8 + 2 * ndigits {
        return Err("is a malformed numeric".into());
    }
    Ok((ndigits, weight, sign))
}

fn digit(v: &[u8], i: usize) -> i64 {
    i16::from_be_bytes([v[8 + 2 * i], v[9 + 2 * i]]) as i64
}

/// Decode a binary numeric into the unscaled integer of `Decimal(p, s)`, exactly.
pub fn decode_numeric<T: Acc>(v: &[u8], p: u8, s: i8) -> Result<T, String> {
    let (ndigits, weight, sign) = header(v)?;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Err(format!("is NaN, which numeric({p},{s}) cannot hold")),
        0xD000 | 0xF000 => return Err(format!("is infinite, which numeric({p},{s}) cannot hold")),
        _ => return Err("is a malformed numeric".into()),
    }
    let too_big = || format!("does not fit numeric({p},{s})");
    let mut acc = T::ZERO;
    for i in 0..ndigits {
        let d = digit(v, i);
        if d == 0 {
            continue;
        }
        let exp = 4 * (weight - i as i32) + s as i32;
        if exp >= 0 {
            let term = T::pow10(exp as u32)
                .and_then(|m| T::from_i64(d).mul(m))
                .ok_or_else(too_big)?;
            acc = acc.add(term).ok_or_else(too_big)?;
        } else {
            let k = (-exp) as u32;
            let div = if k < 4 { 10i64.pow(k) } else { i64::MAX };
            if d % div != 0 {
                return Err(format!(
                    "has more than {s} decimal places and would be rounded in numeric({p},{s})"
                ));
            }
            acc = acc.add(T::from_i64(d / div)).ok_or_else(too_big)?;
        }
    }
    let limit = T::pow10(u32::from(p)).ok_or_else(too_big)?;
    if !acc.lt(limit) {
        return Err(too_big());
    }
    Ok(if sign == 0x4000 { acc.neg() } else { acc })
}

/// The numeric as PostgreSQL prints it (for error messages).
pub fn numeric_text(v: &[u8]) -> String {
    let Ok((ndigits, weight, sign)) = header(v) else {
        return format!("<{} bytes>", v.len());
    };
    match sign {
        0xC000 => return "NaN".into(),
        0xD000 => return "Infinity".into(),
        0xF000 => return "-Infinity".into(),
        _ => {}
    }
    let dscale = u16::from_be_bytes([v[6], v[7]]) as usize;
    let get = |e: i32| -> i64 {
        let i = weight - e;
        if i >= 0 && (i as usize) < ndigits {
            digit(v, i as usize)
        } else {
            0
        }
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        out.push_str(&get(weight).to_string());
        for e in (0..weight).rev() {
            out.push_str(&format!("{:04}", get(e)));
        }
    }
    if dscale > 0 {
        let mut frac = String::new();
        let mut e = -1;
        while frac.len() < dscale {
            frac.push_str(&format!("{:04}", get(e)));
            e -= 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    out
}

#[cfg(test)]
/// Encode a decimal text the way PostgreSQL's numeric_send does.
pub(crate) fn tests_encode(text: &str) -> Vec<u8> {
    let (neg, t) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let dscale = frac.len();
    let int = int.trim_start_matches('0');
    let pad_int = (4 - int.len() % 4) % 4;
    let pad_frac = (4 - frac.len() % 4) % 4;
    let all = format!("{}{int}{frac}{}", "0".repeat(pad_int), "0".repeat(pad_frac));
    let mut groups: Vec<i16> = all
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
        .collect();
    let mut weight = ((int.len() + pad_int) / 4) as i16 - 1;
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let mut v = Vec::new();
    v.extend((groups.len() as i16).to_be_bytes());
    v.extend(weight.to_be_bytes());
    v.extend((if neg { 0x4000u16 } else { 0 }).to_be_bytes());
    v.extend((dscale as u16).to_be_bytes());
    for g in groups {
        v.extend(g.to_be_bytes());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exactly_or_fails() {
        let ok: &[(&str, u8, i8, i128)] = &[
            ("0", 10, 2, 0),
            ("123.45", 10, 2, 12345),
            ("-123.45", 10, 2, -12345),
            ("0.0001", 18, 4, 1),
            ("12345678901234.5678", 18, 4, 123456789012345678),
            (
                "99999999999999999999999999999999999999",
                38,
                0,
                99999999999999999999999999999999999999,
            ),
            ("12300", 5, -2, 123),
            ("1.5", 10, 3, 1500),
            ("10000", 10, 0, 10000),
        ];
        for (text, p, s, want) in ok {
            let got = decode_numeric::<i128>(&tests_encode(text), *p, *s);
            assert_eq!(got, Ok(*want), "{text} as ({p},{s})");
            assert_eq!(numeric_text(&tests_encode(text)), *text);
        }
        let bad: &[(&str, u8, i8)] = &[
            ("123.456", 10, 2),
            ("1000", 3, 0),
            ("12345", 5, -2),
            ("1e", 3, 0),
        ];
        for (text, p, s) in bad.iter().filter(|b| b.0 != "1e") {
            assert!(
                decode_numeric::<i128>(&tests_encode(text), *p, *s).is_err(),
                "{text}"
            );
        }
        let big = "1".repeat(60);
        let x = decode_numeric::<i256>(&tests_encode(&big), 76, 10).unwrap();
        assert_eq!(x.to_string(), format!("{big}{}", "0".repeat(10)));
        assert!(decode_numeric::<i128>(&tests_encode(&big), 38, 0).is_err());
        let nan = [0, 0, 0, 0, 0xC0, 0, 0, 0];
        assert!(
            decode_numeric::<i128>(&nan, 10, 0)
                .unwrap_err()
                .contains("NaN")
        );
        assert_eq!(numeric_text(&nan), "NaN");
    }
}
