//! What wraps a control message on an established connection: the distribution header with its
//! atom cache, fragments, and pass-through packets; one receiver and one sender per connection.

mod atom_cache;
mod error;
mod fragments;
mod header;
mod receiver;
mod sender;

pub use atom_cache::{InAtomCache, OutAtomCache, ATOM_CACHE_SIZE};
pub use error::DistError;
pub use fragments::{FragmentLimits, Reassembler};
pub use receiver::{DistLimits, DistReceiver};
pub use sender::{DistSender, DEFAULT_FRAGMENT_SIZE};

use crate::control::ControlMessage;
use crate::term::Term;

/// One message received or to send: the control message and, for the ops that have one, the
/// payload term (the message, the exit reason, the spawn arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistMessage {
    pub control: ControlMessage,
    pub payload: Option<Term>,
}

/// Packet tags after the 4-byte length.
pub(crate) mod tag {
    pub const VERSION: u8 = 131;
    pub const HEADER: u8 = 68;
    pub const FRAGMENT_FIRST: u8 = 69;
    pub const FRAGMENT_CONT: u8 = 70;
    pub const PASS_THROUGH: u8 = 112;
}
