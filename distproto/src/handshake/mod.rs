//! The distribution handshake (protocol version 6) as two explicit state machines, initiator and
//! acceptor, fed with handshake payloads and answering with framed bytes to write. No I/O here.

mod acceptor;
pub mod digest;
mod error;
mod flags;
mod initiator;
mod message;
mod status;

pub use acceptor::{is_full_node_name, Acceptor, AcceptorStep, Decision, PeerHello};
pub use digest::{gen_challenge, gen_digest, Cookie};
pub use error::HandshakeError;
pub use flags::DistFlags;
pub use initiator::{Initiator, InitiatorStep, LocalNode};
pub use message::{Message, Sender};
pub use status::Status;

/// A finished handshake: who the peer is and what both sides may use on this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Established {
    pub peer_name: String,
    /// What the peer advertised (MANDATORY_25_DIGEST expanded).
    pub peer_flags: DistFlags,
    /// What both sides use: ours ∧ theirs.
    pub flags: DistFlags,
    pub peer_creation: u32,
}

impl Established {
    /// A peer without PUBLISHED is a hidden node: it is not in `nodes()` and gets no global sync.
    pub fn peer_is_hidden(&self) -> bool {
        !self.peer_flags.contains(DistFlags::PUBLISHED)
    }
}
