//! FLOAT_EXT (tag 99): a float as 31 bytes of `"%.20e"` text, NUL padded (minor_version 0).
//! Parsing is as strict as OTP's `sys_chars_to_double`: `[+-]d+[.,]d+([eE][+-]?d+)?`, then NULs.

/// The size of a FLOAT_EXT body.
pub(super) const FLOAT_EXT_LEN: usize = 31;

/// Parses a FLOAT_EXT body; `None` when OTP would refuse it (bad syntax, overflow).
pub(super) fn parse(body: &[u8]) -> Option<f64> {
    let text = match body.iter().position(|&b| b == 0) {
        Some(end) => body.get(..end)?,
        None => body,
    };
    let mut normalized = Vec::with_capacity(text.len());
    let mut rest = text;
    let take = |pred: &dyn Fn(u8) -> bool, rest: &mut &[u8], normalized: &mut Vec<u8>| {
        let mut n = 0;
        while let Some((&b, tail)) = rest.split_first() {
            if !pred(b) {
                break;
            }
            normalized.push(b);
            *rest = tail;
            n += 1;
        }
        n
    };
    let sign = |b: u8| b == b'+' || b == b'-';
    let digit = |b: u8| b.is_ascii_digit();
    if let Some((&b, tail)) = rest.split_first() {
        if sign(b) {
            normalized.push(b);
            rest = tail;
        }
    }
    if take(&digit, &mut rest, &mut normalized) == 0 {
        return None;
    }
    match rest.split_first() {
        Some((b'.' | b',', tail)) => {
            normalized.push(b'.');
            rest = tail;
        }
        _ => return None,
    }
    if take(&digit, &mut rest, &mut normalized) == 0 {
        return None;
    }
    if let Some((b'e' | b'E', tail)) = rest.split_first() {
        normalized.push(b'e');
        rest = tail;
        if let Some((&b, tail)) = rest.split_first() {
            if sign(b) {
                normalized.push(b);
                rest = tail;
            }
        }
        if take(&digit, &mut rest, &mut normalized) == 0 {
            return None;
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let value: f64 = std::str::from_utf8(&normalized).ok()?.parse().ok()?;
    value.is_finite().then_some(value)
}

/// Formats `value` as C's `printf("%.20e")` does, NUL padded to 31 bytes.
pub(super) fn format(value: f64) -> [u8; FLOAT_EXT_LEN] {
    let text = format!("{value:.20e}");
    // Rust writes the exponent as `e5`/`e-5`; C writes at least two digits and always a sign.
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    let c_text = format!("{mantissa}e{sign}{digits:0>2}");
    let mut out = [0u8; FLOAT_EXT_LEN];
    for (slot, b) in out.iter_mut().zip(c_text.bytes()) {
        *slot = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Vec<u8> {
        let mut b = text.as_bytes().to_vec();
        b.resize(FLOAT_EXT_LEN, 0);
        b
    }

    #[test]
    fn accepts_what_otp_accepts() {
        for (text, value) in [
            ("1.5", 1.5),
            ("1,5", 1.5),
            ("+1.5", 1.5),
            ("1.0E5", 1e5),
            ("1.0e-400", 0.0),
        ] {
            assert_eq!(parse(&body(text)), Some(value), "{text}");
        }
        for text in [
            "15", " 1.5", "1.5 ", ".5", "1.", "1.0e400", "1e5", "1.5e", "0x1.0",
        ] {
            assert_eq!(parse(&body(text)), None, "{text}");
        }
    }

    #[test]
    fn formats_as_c() {
        assert_eq!(&format(1.5)[..26], b"1.50000000000000000000e+00");
        assert_eq!(&format(-0.0)[..27], b"-0.00000000000000000000e+00");
        assert_eq!(&format(1.0e300)[..27], b"1.00000000000000005250e+300");
        assert_eq!(&format(5.0e-324)[..27], b"4.94065645841246544177e-324");
    }
}
