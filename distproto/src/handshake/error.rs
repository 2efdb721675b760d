//! Why a handshake failed, in words an operator can act on. Each failure ends that one
//! connection attempt; the peer's name is added by the connection layer when it logs.

use super::DistFlags;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("handshake message truncated: needed {needed} more bytes at offset {at}")]
    Truncated { needed: usize, at: usize },
    #[error("handshake message '{}' has {got} bytes, expected exactly {expected}", char::from(*tag))]
    BadLength {
        tag: u8,
        expected: usize,
        got: usize,
    },
    #[error("unexpected handshake message with tag {tag} ('{}') at this step", char::from(*tag))]
    UnexpectedMessage { tag: u8 },
    #[error("unknown handshake status {0:?}")]
    UnknownStatus(String),
    #[error("peer {peer} lacks mandatory distribution flags {missing}")]
    MissingFlags { peer: String, missing: DistFlags },
    #[error("peer refused the connection: not_allowed (mandatory flags or net_kernel:allow/1)")]
    NotAllowed,
    #[error("simultaneous connect: the peer keeps its own connection attempt (nok)")]
    SimultaneousConnectLost,
    #[error("the peer already has a connection from this node and we told it to keep it")]
    AliveKeptOld,
    #[error("bad node name {0:?}: expected Name@Host with one '@' and neither part empty")]
    BadNodeName(String),
    #[error("peer answered as {got:?} but we dialed {dialed:?}")]
    WrongPeerName { dialed: String, got: String },
    #[error(
        "cookie mismatch: challenge reply from {peer} has a wrong digest (check both cookies)"
    )]
    BadChallengeReply { peer: String },
    #[error("cookie mismatch: challenge ack from {peer} has a wrong digest (check both cookies)")]
    BadChallengeAck { peer: String },
    #[error("peer sent status {0:?} that is only valid for dynamic node names")]
    UnexpectedNamed(String),
    #[error("handshake step called in the wrong state: {0}")]
    WrongState(&'static str),
    #[error("no random challenge: the operating system's CSPRNG failed")]
    NoRandom,
}
