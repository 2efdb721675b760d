//! Why a distribution packet was refused. OTP kills the whole connection for each of these, and
//! so does our node; the message names what was wrong so the log line is useful.

use crate::control::ControlError;
use crate::etf::DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error("packet truncated in the distribution header at byte {0}")]
    Truncated(usize),
    #[error("packet starts with {0:?}; expected 131,68 / 131,69 / 131,70 (or 112 without atom cache and fragments)")]
    BadPacketStart(Vec<u8>),
    #[error(
        "pass-through packet (112) on a connection that negotiated the atom cache or fragments"
    )]
    UnexpectedPassThrough,
    #[error("distribution header packet on a connection that negotiated neither atom cache nor fragments")]
    UnexpectedHeader,
    #[error("corrupted distribution header: {0}")]
    BadHeader(&'static str),
    #[error("atom cache slot {0} referenced before it was filled")]
    EmptyCacheSlot(usize),
    #[error("fragment {fragment} of sequence {sequence} out of order (expected {expected})")]
    FragmentOrder {
        sequence: u64,
        fragment: u64,
        expected: u64,
    },
    #[error("continuation fragment for unknown sequence {0}")]
    UnknownSequence(u64),
    #[error("first fragment for sequence {0} that is already in flight")]
    DuplicateSequence(u64),
    #[error("too many fragmented messages in flight (limit {0})")]
    TooManySequences(usize),
    #[error("message of more than {limit} bytes (fragments add up to {size})")]
    MessageTooLarge { size: usize, limit: usize },
    #[error("control message: {0}")]
    Control(#[from] ControlError),
    #[error("control op {0} needs a payload term and the packet has none")]
    MissingPayload(u8),
    #[error("term: {0}")]
    Term(#[from] DecodeError),
    #[error("cannot encode: {0}")]
    Encode(#[from] crate::etf::EncodeError),
}
