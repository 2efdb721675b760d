//! The initiator's side of the handshake (OTP's `handshake_we_started`): send our name, read the
//! status, answer the challenge with the cookie digest, check the acknowledgement.

use super::digest::{digests_equal, gen_digest, Cookie};
use super::message::{Message, Sender};
use super::{DistFlags, Established, HandshakeError, Status};
use crate::framing::frame16;

/// What the initiator needs to know about itself.
#[derive(Debug, Clone)]
pub struct LocalNode {
    /// Our full node name, `name@host`.
    pub name: String,
    pub creation: u32,
    /// The flags we offer (include PUBLISHED unless hidden).
    pub flags: DistFlags,
    /// What we require of peers (`DistFlags::MANDATORY_25` like OTP 25).
    pub mandatory: DistFlags,
}

/// What to do after feeding the initiator a message.
#[derive(Debug)]
pub enum InitiatorStep {
    /// Nothing to write: read the next message.
    Continue,
    /// Write these (already framed) bytes and read the next message.
    Send(Vec<u8>),
    /// The peer says `alive`: ask the connection manager whether this attempt replaces the old
    /// connection, then call [`Initiator::answer_alive`].
    AskAlive,
    /// Done: switch to 4-byte framing.
    Established(Established),
}

#[derive(Debug)]
enum State {
    AwaitStatus,
    AwaitAliveDecision,
    AwaitChallenge,
    AwaitAck {
        our_challenge: u32,
        peer: Established,
    },
    Done,
}

pub struct Initiator {
    local: LocalNode,
    peer_name: String,
    cookie: Cookie,
    our_challenge: u32,
    state: State,
}

impl Initiator {
    /// Starts a handshake with `peer_name` (exactly the name we dial). `our_challenge` must come
    /// from a CSPRNG (`digest::gen_challenge`). Returns the framed SendName to write first.
    pub fn start(
        local: LocalNode,
        peer_name: &str,
        cookie: Cookie,
        our_challenge: u32,
    ) -> (Initiator, Vec<u8>) {
        let send_name = Message::SendName {
            flags: local.flags,
            creation: local.creation,
            name: local.name.clone(),
        };
        let initiator = Initiator {
            local,
            peer_name: peer_name.to_string(),
            cookie,
            our_challenge,
            state: State::AwaitStatus,
        };
        (initiator, frame16(&send_name.encode()))
    }

    /// Feeds one handshake payload (without its u16 length).
    pub fn receive(&mut self, payload: &[u8]) -> Result<InitiatorStep, HandshakeError> {
        let message = Message::decode(payload, Sender::Acceptor)?;
        match (std::mem::replace(&mut self.state, State::Done), message) {
            (State::AwaitStatus, Message::Status(status)) => self.on_status(status),
            (
                State::AwaitChallenge,
                Message::Challenge {
                    flags,
                    challenge,
                    creation,
                    name,
                },
            ) => self.on_challenge(flags, challenge, creation, name),
            (
                State::AwaitAck {
                    our_challenge,
                    peer,
                },
                Message::ChallengeAck { digest },
            ) => {
                if !digests_equal(&digest, &gen_digest(our_challenge, &self.cookie)) {
                    return Err(HandshakeError::BadChallengeAck {
                        peer: peer.peer_name,
                    });
                }
                Ok(InitiatorStep::Established(peer))
            }
            (_, _) => Err(HandshakeError::UnexpectedMessage {
                tag: payload.first().copied().unwrap_or(0),
            }),
        }
    }

    /// After [`InitiatorStep::AskAlive`]: `true` replaces the peer's old connection with this one,
    /// `false` gives up this attempt. Returns the framed answer; after `false`, close.
    pub fn answer_alive(&mut self, replace: bool) -> Result<Vec<u8>, HandshakeError> {
        if !matches!(self.state, State::AwaitAliveDecision) {
            return Err(HandshakeError::WrongState(
                "answer_alive without alive status",
            ));
        }
        self.state = if replace {
            State::AwaitChallenge
        } else {
            State::Done
        };
        Ok(frame16(
            &Message::Status(Status::AliveAnswer(replace)).encode(),
        ))
    }

    fn on_status(&mut self, status: Status) -> Result<InitiatorStep, HandshakeError> {
        match status {
            Status::Ok | Status::OkSimultaneous => {
                self.state = State::AwaitChallenge;
                Ok(InitiatorStep::Continue)
            }
            Status::Nok => Err(HandshakeError::SimultaneousConnectLost),
            Status::NotAllowed => Err(HandshakeError::NotAllowed),
            Status::Alive => {
                self.state = State::AwaitAliveDecision;
                Ok(InitiatorStep::AskAlive)
            }
            Status::Named { name, .. } => Err(HandshakeError::UnexpectedNamed(name)),
            Status::AliveAnswer(answer) => Err(HandshakeError::UnknownStatus(answer.to_string())),
        }
    }

    fn on_challenge(
        &mut self,
        flags: DistFlags,
        challenge: u32,
        creation: u32,
        name: String,
    ) -> Result<InitiatorStep, HandshakeError> {
        if name != self.peer_name {
            return Err(HandshakeError::WrongPeerName {
                dialed: self.peer_name.clone(),
                got: name,
            });
        }
        let peer_flags = flags.expand_digest();
        let negotiated = self.local.flags.expand_digest().intersection(peer_flags);
        let missing = negotiated.missing(self.local.mandatory);
        if !missing.is_empty() {
            return Err(HandshakeError::MissingFlags {
                peer: name,
                missing,
            });
        }
        let reply = Message::ChallengeReply {
            challenge: self.our_challenge,
            digest: gen_digest(challenge, &self.cookie),
        };
        let peer = Established {
            peer_name: name,
            peer_flags,
            flags: negotiated,
            peer_creation: creation,
        };
        self.state = State::AwaitAck {
            our_challenge: self.our_challenge,
            peer,
        };
        Ok(InitiatorStep::Send(frame16(&reply.encode())))
    }
}
