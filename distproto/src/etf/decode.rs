//! The decoder: external term format bytes to [`Term`], with a cursor over a byte slice.
//! Total: every malformed input is a [`DecodeError`]; allocation is bounded by the input size.

use bytes::Bytes;

use super::{DecodeError, DecodeOptions};
use crate::term::Term;

/// Decodes terms without the version byte from a byte slice, one after another.
pub struct Decoder<'a> {
    input: &'a [u8],
    source: Option<&'a Bytes>,
    pos: usize,
    options: &'a DecodeOptions<'a>,
}

impl<'a> Decoder<'a> {
    /// A decoder over `input` whose binaries are copied out.
    pub fn new(input: &'a [u8], options: &'a DecodeOptions<'a>) -> Decoder<'a> {
        Decoder {
            input,
            source: None,
            pos: 0,
            options,
        }
    }

    /// A decoder over `input` whose binaries share it (`Bytes::slice`).
    pub fn with_bytes(input: &'a Bytes, options: &'a DecodeOptions<'a>) -> Decoder<'a> {
        Decoder {
            input,
            source: Some(input),
            pos: 0,
            options,
        }
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor (e.g. past a distribution header).
    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Decodes the term at the cursor (no version byte) and moves past it.
    pub fn decode_term(&mut self) -> Result<Term, DecodeError> {
        let _ = (self.input, self.source, self.options);
        todo!()
    }
}

pub(super) fn decode_external(
    _input: &[u8],
    _source: Option<&Bytes>,
    _options: &DecodeOptions,
) -> Result<(Term, usize), DecodeError> {
    todo!()
}
