//! Floats as OTP 25 prints them with `~w` (`float_to_list(F, [short])`): the shortest digits that
//! read back to the same float, in plain or scientific notation, whichever is shorter.

use num_bigint::BigInt;

/// 2^53: from here on OTP always uses scientific notation for whole numbers.
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// Formats `value` as OTP 25's `float_to_list(Value, [short])` does, e.g. `0.1`, `1.0e3`,
/// `123456789.0`, `1.2345678901234568e17`, `-0.0`. `value` must be finite.
pub fn format_float(value: f64) -> String {
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exponent) = shortest_digits(value.abs());
    let scientific = scientific(&digits, exponent);
    let whole_number = exponent + 1 >= digits.len() as i32;
    let text = if whole_number && value.abs() >= TWO_POW_53 {
        scientific
    } else {
        let plain = plain(&digits, exponent);
        if plain.len() <= scientific.len() {
            plain
        } else {
            scientific
        }
    };
    format!("{sign}{text}")
}

/// The shortest round-trip decimal digits of a positive finite float, and the exponent of the
/// first digit: `1234.5` gives `("12345", 3)`.
fn shortest_digits(value: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest digits that round-trip, closest to the exact value, like
    // OTP's Ryu: "1.2345e3". They differ only on exact ties, fixed by `round_half_even`.
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    round_half_even(value, digits, exponent.parse().unwrap_or(0))
}

/// When the exact value of `value` lies exactly halfway between the digits Rust chose and a
/// neighbour with the same number of digits, Ryu takes the one ending in an even digit
/// (`1649176346400634.25` prints as `...634.2`); Rust rounds half up. Returns Ryu's choice.
fn round_half_even(value: f64, digits: String, exponent: i32) -> (String, i32) {
    let Ok(d) = digits.parse::<BigInt>() else {
        return (digits, exponent);
    };
    if !d.bit(0) {
        return (digits, exponent);
    }
    // value = mantissa * 2^binary_exponent exactly; candidate = d * 10^k.
    let bits = value.to_bits();
    let raw_exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, binary_exponent) = if raw_exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), raw_exponent - 1075)
    };
    let k = exponent - (digits.len() as i32 - 1);
    // Compare 2*value with (2d +- 1) * 10^k, both scaled to integers.
    let mut twice_value = BigInt::from(mantissa) * 2;
    let mut unit = BigInt::from(1);
    if binary_exponent >= 0 {
        twice_value <<= binary_exponent as usize;
    } else {
        unit <<= (-binary_exponent) as usize;
    }
    if k >= 0 {
        unit *= BigInt::from(10).pow(k as u32);
    } else {
        twice_value *= BigInt::from(10).pow((-k) as u32);
    }
    let twice_d: BigInt = &d * 2;
    let neighbour: BigInt = if twice_value == (&twice_d - 1) * &unit {
        &d - 1
    } else if twice_value == (&twice_d + 1) * &unit {
        &d + 1
    } else {
        return (digits, exponent);
    };
    let text = neighbour.to_string();
    let new_exponent = k + text.len() as i32 - 1;
    (text.trim_end_matches('0').to_string(), new_exponent)
}

/// `d.ddde±x`, with at least one digit after the point (`1.0e3`).
fn scientific(digits: &str, exponent: i32) -> String {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{first}.{rest}e{exponent}")
}

/// Plain notation with at least one digit on each side of the point (`0.001`, `100.0`).
fn plain(digits: &str, exponent: i32) -> String {
    let len = digits.len() as i32;
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        format!("0.{zeros}{digits}")
    } else if exponent + 1 >= len {
        let zeros = "0".repeat((exponent + 1 - len) as usize);
        format!("{digits}{zeros}.0")
    } else {
        let (int, frac) = digits.split_at((exponent + 1) as usize);
        format!("{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn matches_otp_25() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.0e20, "1.0e20"),
            (1.0e-10, "1.0e-10"),
            (123456789012345680.0, "1.2345678901234568e17"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (100.0, "100.0"),
            (1000.0, "1.0e3"),
            (123.456, "123.456"),
            (5.0e-324, "5.0e-324"),
            (1.7976931348623157e308, "1.7976931348623157e308"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-5"),
            (0.000123, "1.23e-4"),
            (12345678.9, "12345678.9"),
            (123456789.0, "123456789.0"),
            (9007199254740991.0, "9007199254740991.0"),
            (9007199254740992.0, "9.007199254740992e15"),
            (120000.0, "1.2e5"),
            (-2.5, "-2.5"),
            (1649176346400634.2, "1649176346400634.2"),
            (19993223966932.812, "19993223966932.812"),
            (82894214839.57812, "82894214839.57812"),
        ];
        for (value, text) in cases {
            assert_eq!(format_float(*value), *text, "{value:?}");
        }
    }
}
