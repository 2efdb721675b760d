//! The encoder: [`Term`] to external term format bytes, as OTP 25 or OTP 26+ writes them.
//! Appends to a caller's `Vec<u8>` so buffers can be reused.

use super::{EncodeError, EncodeOptions};
use crate::term::Term;

pub(super) fn encode_external(
    _term: &Term,
    _out: &mut Vec<u8>,
    _options: &EncodeOptions,
) -> Result<(), EncodeError> {
    todo!()
}

pub(super) fn encode_bare(
    _term: &Term,
    _out: &mut Vec<u8>,
    _options: &EncodeOptions,
) -> Result<(), EncodeError> {
    todo!()
}
