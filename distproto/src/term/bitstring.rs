//! Bitstrings whose length is not a whole number of bytes (`<<1:3>>`).
//! Whole-byte values are `Term::Binary`; this type never holds one when built by the constructors.

use bytes::Bytes;

/// A bitstring whose length is not a whole number of bytes: `bits` (1..=7) of the last byte are
/// used, most significant first; the unused low bits are zero.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BitString {
    pub data: Bytes,
    pub bits: u8,
}

impl BitString {
    /// The length in bits.
    pub fn bit_len(&self) -> usize {
        self.data.len().saturating_sub(1) * 8 + usize::from(self.bits.min(8))
    }
}
