//! The `'s'` status strings of the handshake: the acceptor's verdict on an incoming connection,
//! and the initiator's `true`/`false` answer to `alive`.

use super::message::decode_named;
use super::HandshakeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Go on.
    Ok,
    /// Go on; the acceptor dropped its own attempt to connect to the initiator.
    OkSimultaneous,
    /// Stop; the acceptor keeps its own attempt (its name is greater).
    Nok,
    /// Refused: flags missing or the node is not allowed.
    NotAllowed,
    /// The acceptor already has a connection from this name; the initiator must answer.
    Alive,
    /// The initiator's answer to `alive`: `true` to replace the old connection.
    AliveAnswer(bool),
    /// A dynamic name was assigned (the initiator asked with NAME_ME).
    Named { name: String, creation: u32 },
}

impl Status {
    pub(super) fn encode_into(&self, out: &mut Vec<u8>) {
        let text: &[u8] = match self {
            Status::Ok => b"ok",
            Status::OkSimultaneous => b"ok_simultaneous",
            Status::Nok => b"nok",
            Status::NotAllowed => b"not_allowed",
            Status::Alive => b"alive",
            Status::AliveAnswer(true) => b"true",
            Status::AliveAnswer(false) => b"false",
            Status::Named { name, creation } => {
                out.extend_from_slice(b"named:");
                out.extend_from_slice(&(name.len() as u16).to_be_bytes());
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(&creation.to_be_bytes());
                return;
            }
        };
        out.extend_from_slice(text);
    }

    pub(super) fn decode(text: &[u8]) -> Result<Status, HandshakeError> {
        Ok(match text {
            b"ok" => Status::Ok,
            b"ok_simultaneous" => Status::OkSimultaneous,
            b"nok" => Status::Nok,
            b"not_allowed" => Status::NotAllowed,
            b"alive" => Status::Alive,
            b"true" => Status::AliveAnswer(true),
            b"false" => Status::AliveAnswer(false),
            _ => match text.strip_prefix(b"named:") {
                Some(rest) => {
                    let (name, creation) = decode_named(rest)?;
                    Status::Named { name, creation }
                }
                None => {
                    let shown = String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned();
                    return Err(HandshakeError::UnknownStatus(shown));
                }
            },
        })
    }
}
