//! Building binaries from bit-syntax segments (`<<1,2:3,"ab"/utf8,1.5/float>>`): a bit buffer and
//! the encodings of integer, float and UTF segments, as the BEAM constructs them.

use bytes::Bytes;
use num_bigint::{BigInt, Sign};

use crate::term::{BitString, Term};

/// The largest binary a literal may build (bits; 16 MiB), so `<<0:99999999999>>` cannot exhaust
/// memory or time.
pub const MAX_BITS: u64 = 1 << 27;

/// Bits appended most significant first.
#[derive(Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    bits: u64,
}

impl BitWriter {
    pub fn bit_len(&self) -> u64 {
        self.bits
    }

    fn push_bit(&mut self, bit: bool) {
        let offset = (self.bits % 8) as u8;
        if offset == 0 {
            self.bytes.push(0);
        }
        if bit {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> offset;
            }
        }
        self.bits += 1;
    }

    /// Appends `n` copies of `bit`, a whole byte at a time where possible.
    fn push_fill(&mut self, bit: bool, mut n: u64) {
        while n > 0 && self.bits & 7 != 0 {
            self.push_bit(bit);
            n -= 1;
        }
        let whole = n / 8;
        let byte = if bit { 0xff } else { 0 };
        self.bytes.resize(self.bytes.len() + whole as usize, byte);
        self.bits += whole * 8;
        for _ in 0..n % 8 {
            self.push_bit(bit);
        }
    }

    /// Appends the low `size` bits of `value` (two's complement), big-endian.
    pub fn push_int_big(&mut self, value: &BigInt, size: u64) {
        // Bits above the value's own width (with its sign bit) are all copies of the sign.
        let width = value.bits() + 1;
        if size > width {
            self.push_fill(value.sign() == Sign::Minus, size - width);
        }
        for i in (0..size.min(width)).rev() {
            self.push_bit(value.bit(i));
        }
    }

    /// Appends the low `size` bits of `value` little-endian: whole bytes from the least significant
    /// up, then the remaining high bits (`<<16#ABC:12/little>>` is `<<16#BC,16#A:4>>`).
    pub fn push_int_little(&mut self, value: &BigInt, size: u64) {
        let width = value.bits() + 1;
        let negative = value.sign() == Sign::Minus;
        let whole = size / 8;
        for byte in 0..whole {
            if byte * 8 >= width {
                self.push_fill(negative, 8);
                continue;
            }
            for i in (0..8).rev() {
                self.push_bit(value.bit(byte * 8 + i));
            }
        }
        for i in (0..size % 8).rev() {
            self.push_bit(value.bit(whole * 8 + i));
        }
    }

    /// Appends the first `bits` bits of `data` (a binary or bitstring).
    pub fn push_bits(&mut self, data: &[u8], bits: u64) {
        let whole = (bits / 8) as usize;
        if self.bits & 7 == 0 {
            if let Some(bytes) = data.get(..whole) {
                self.bytes.extend_from_slice(bytes);
                self.bits += whole as u64 * 8;
                for i in whole as u64 * 8..bits {
                    let byte = data.get((i / 8) as usize).copied().unwrap_or(0);
                    self.push_bit(byte & (0x80 >> (i % 8)) != 0);
                }
                return;
            }
        }
        for i in 0..bits {
            let byte = data.get((i / 8) as usize).copied().unwrap_or(0);
            self.push_bit(byte & (0x80 >> (i % 8)) != 0);
        }
    }

    /// The finished term: a binary when the length is whole bytes, else a bitstring.
    pub fn into_term(self) -> Term {
        let rest = (self.bits % 8) as u8;
        if rest == 0 {
            Term::Binary(Bytes::from(self.bytes))
        } else {
            Term::BitString(Box::new(BitString {
                data: Bytes::from(self.bytes),
                bits: rest,
            }))
        }
    }
}

/// A bitstring's bytes and length in bits, from a `Binary` or `BitString` term.
pub fn bits_of(term: &Term) -> Option<(&[u8], u64)> {
    match term {
        Term::Binary(data) => Some((data, data.len() as u64 * 8)),
        Term::BitString(bits) => Some((&bits.data, bits.bit_len() as u64)),
        _ => None,
    }
}

/// The IEEE half-precision bits of `value`, rounded to nearest even as the BEAM does for
/// `<<F:16/float>>`; values too large become infinity, as in OTP 25.
pub fn f16_bits(value: f64) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 63) as u16) << 15;
    let raw_exponent = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    if raw_exponent == 0 {
        return sign; // zero, or a double subnormal: far below half precision
    }
    let exponent = raw_exponent - 1023;
    if exponent > 15 {
        return sign | 0x7c00;
    }
    // The significand with its implicit 1, and how many of its 53 bits half precision drops.
    let significand = u128::from(fraction | (1u64 << 52));
    let (biased, shift) = if exponent >= -14 {
        ((exponent + 15) as u16, 42u32)
    } else {
        (0, (42 + (-14 - exponent)) as u32)
    };
    let rounded = if shift >= 64 {
        0
    } else {
        let kept = significand >> shift;
        let rest = significand & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        if rest > half || (rest == half && kept & 1 == 1) {
            kept + 1
        } else {
            kept
        }
    };
    // For normal numbers `rounded` includes the implicit bit (1024..=2048); adding the exponent
    // field carries into it naturally, and a carry past 30 gives infinity (0x7c00).
    let encoded = if biased == 0 {
        rounded as u16
    } else {
        ((u32::from(biased - 1) << 10) + rounded as u32).min(0x7c00) as u16
    };
    sign | encoded
}

/// UTF-8/16/32 encodings of one code point; `None` for surrogates and values above 10FFFF.
pub fn utf_units(code: &BigInt, width: u8, little: bool) -> Option<Vec<u8>> {
    let code = u32::try_from(code).ok()?;
    let c = char::from_u32(code)?;
    let mut out = Vec::new();
    match width {
        8 => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        16 => {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let b = if little {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                };
                out.extend_from_slice(&b);
            }
        }
        _ => {
            let b = if little {
                code.to_le_bytes()
            } else {
                code.to_be_bytes()
            };
            out.extend_from_slice(&b);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_partial_bytes_match_the_beam() {
        let mut w = BitWriter::default();
        w.push_int_little(&BigInt::from(0xabc), 12);
        let term = w.into_term();
        assert_eq!(
            term,
            Term::BitString(Box::new(BitString {
                data: Bytes::from(vec![0xbc, 0xa0]),
                bits: 4
            }))
        );
    }

    #[test]
    fn half_floats_round_as_the_beam() {
        // From OTP 25: <<F:16/float>> for each F.
        let cases: &[(f64, u16)] = &[
            (1.5, 0x3e00),
            (65504.0, 0x7bff),
            (65519.0, 0x7bff),
            (65520.0, 0x7c00),
            (1.0e10, 0x7c00),
            (1.0e-8, 0),
            (5.960464477539063e-8, 1),
            (2.980_232_238_769_531_2e-8, 0),
            (3.0e-8, 1),
            (-0.0, 0x8000),
            (1.00048828125, 0x3c00),
            (1.00146484375, 0x3c02),
            (6.1e-5, 0x03ff),
        ];
        for &(value, bits) in cases {
            assert_eq!(f16_bits(value), bits, "{value}");
        }
    }

    #[test]
    fn wide_fields_sign_extend() {
        let mut w = BitWriter::default();
        w.push_int_big(&BigInt::from(1), 3);
        w.push_int_big(&BigInt::from(-2), 21);
        w.push_int_little(&BigInt::from(-2), 24);
        w.push_int_big(&BigInt::from(0x1234), 16);
        w.push_bits(&[0xab, 0xc0], 12);
        w.push_bits(&[0xff], 4);
        let want = vec![
            0b0011_1111,
            0xff,
            0xfe,
            0xfe,
            0xff,
            0xff,
            0x12,
            0x34,
            0xab,
            0xcf,
        ];
        assert_eq!(w.into_term(), Term::Binary(Bytes::from(want)));
    }
}
