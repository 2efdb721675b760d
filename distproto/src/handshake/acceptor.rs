//! The acceptor's side of the handshake (OTP's `handshake_other_started`): read the peer's name,
//! let the connection manager decide the status, challenge, verify the reply, acknowledge.

use super::digest::{digests_equal, gen_digest, Cookie};
use super::initiator::LocalNode;
use super::message::{Message, Sender};
use super::{DistFlags, Established, HandshakeError, Status};
use crate::framing::frame16;

/// Who is connecting, as told by their SendName; the manager decides what to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerHello {
    pub name: String,
    /// The flags the peer advertised, MANDATORY_25_DIGEST expanded.
    pub flags: DistFlags,
    /// `None` when the peer used the old `'n'` message (creation comes with `'c'`).
    pub creation: Option<u32>,
}

/// The connection manager's verdict on an incoming attempt (OTP's `mark_pending` outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No other connection to this peer: go on.
    Ok,
    /// We were dialing this peer too and our name is smaller: we drop our attempt, go on.
    OkSimultaneous,
    /// We were dialing this peer too and our name is greater: refuse this one.
    Nok,
    /// The peer is not allowed.
    NotAllowed,
    /// We already have a connection up with this name: ask the peer.
    Alive,
    /// The peer asked for a dynamic name (NAME_ME): give it this full name and creation.
    Named { name: String, creation: u32 },
}

#[derive(Debug)]
pub enum AcceptorStep {
    /// Call [`Acceptor::decide`] with the manager's verdict on this peer.
    Decide(PeerHello),
    /// Nothing to write: read the next message.
    Continue,
    /// Write these (already framed) bytes and read the next message.
    Send(Vec<u8>),
    /// The peer answered `alive` with `true`: take down the old connection to it, then write
    /// these bytes (the challenge) and go on.
    ReplaceOld(Vec<u8>),
    /// Write these bytes (may be empty), then close: the attempt ends with `reason`.
    Close {
        send: Vec<u8>,
        reason: HandshakeError,
    },
    /// Write these bytes (the ack), then switch to 4-byte framing: the connection is up.
    Established { send: Vec<u8>, peer: Established },
}

#[derive(Debug)]
enum State {
    AwaitName,
    AwaitDecision(PeerHello),
    AwaitAliveAnswer(PeerHello),
    AwaitComplement(PeerHello),
    AwaitReply(PeerHello),
    Done,
}

pub struct Acceptor {
    local: LocalNode,
    cookie: Option<Cookie>,
    our_challenge: u32,
    state: State,
}

impl Acceptor {
    /// A fresh acceptor for one incoming connection. `our_challenge` must come from a CSPRNG.
    pub fn new(local: LocalNode, our_challenge: u32) -> Acceptor {
        Acceptor {
            local,
            cookie: None,
            our_challenge,
            state: State::AwaitName,
        }
    }

    /// Feeds one handshake payload (without its u16 length).
    pub fn receive(&mut self, payload: &[u8]) -> Result<AcceptorStep, HandshakeError> {
        let message = Message::decode(payload, Sender::Initiator)?;
        match (std::mem::replace(&mut self.state, State::Done), message) {
            (
                State::AwaitName,
                Message::SendName {
                    flags,
                    creation,
                    name,
                },
            ) => self.on_name(PeerHello {
                name,
                flags: flags.expand_digest(),
                creation: Some(creation),
            }),
            (State::AwaitName, Message::OldSendName { flags, name, .. }) => {
                self.on_name(PeerHello {
                    name,
                    flags: flags.expand_digest(),
                    creation: None,
                })
            }
            (State::AwaitAliveAnswer(peer), Message::Status(Status::AliveAnswer(true))) => {
                let challenge = self.challenge();
                self.state = Self::after_challenge(peer);
                Ok(AcceptorStep::ReplaceOld(challenge))
            }
            (State::AwaitAliveAnswer(_), Message::Status(Status::AliveAnswer(false))) => {
                Ok(AcceptorStep::Close {
                    send: Vec::new(),
                    reason: HandshakeError::AliveKeptOld,
                })
            }
            (
                State::AwaitComplement(mut peer),
                Message::Complement {
                    flags_high,
                    creation,
                },
            ) => {
                peer.flags = DistFlags(peer.flags.0 | u64::from(flags_high) << 32).expand_digest();
                peer.creation = Some(creation);
                let missing = peer.flags.missing(self.local.mandatory);
                if !missing.is_empty() {
                    return Ok(close(HandshakeError::MissingFlags {
                        peer: peer.name,
                        missing,
                    }));
                }
                self.state = State::AwaitReply(peer);
                Ok(AcceptorStep::Continue)
            }
            (State::AwaitReply(peer), Message::ChallengeReply { challenge, digest }) => {
                self.on_reply(peer, challenge, digest)
            }
            (_, _) => Err(HandshakeError::UnexpectedMessage {
                tag: payload.first().copied().unwrap_or(0),
            }),
        }
    }

    /// Answers the peer named in [`AcceptorStep::Decide`] with the manager's verdict and the
    /// cookie to use with that peer.
    pub fn decide(
        &mut self,
        decision: Decision,
        cookie: Cookie,
    ) -> Result<AcceptorStep, HandshakeError> {
        let State::AwaitDecision(peer) = std::mem::replace(&mut self.state, State::Done) else {
            return Err(HandshakeError::WrongState("decide before the peer's name"));
        };
        self.cookie = Some(cookie);
        let status = |status: Status| frame16(&Message::Status(status).encode());
        Ok(match decision {
            Decision::Ok | Decision::OkSimultaneous => {
                let mut send = status(if decision == Decision::Ok {
                    Status::Ok
                } else {
                    Status::OkSimultaneous
                });
                send.extend_from_slice(&self.challenge());
                self.state = Self::after_challenge(peer);
                AcceptorStep::Send(send)
            }
            Decision::Nok => AcceptorStep::Close {
                send: status(Status::Nok),
                reason: HandshakeError::SimultaneousConnectLost,
            },
            Decision::NotAllowed => AcceptorStep::Close {
                send: status(Status::NotAllowed),
                reason: HandshakeError::NotAllowed,
            },
            Decision::Alive => {
                self.state = State::AwaitAliveAnswer(peer);
                AcceptorStep::Send(status(Status::Alive))
            }
            Decision::Named { name, creation } => {
                if !peer.flags.contains(DistFlags::NAME_ME) || !is_full_node_name(&name) {
                    return Err(HandshakeError::WrongState(
                        "Named is only for peers that asked NAME_ME",
                    ));
                }
                let mut send = status(Status::Named {
                    name: name.clone(),
                    creation,
                });
                send.extend_from_slice(&self.challenge());
                self.state = Self::after_challenge(PeerHello {
                    name,
                    creation: Some(creation),
                    ..peer
                });
                AcceptorStep::Send(send)
            }
        })
    }

    fn on_name(&mut self, peer: PeerHello) -> Result<AcceptorStep, HandshakeError> {
        // A peer asking for a dynamic name (NAME_ME) sends only its host.
        let wants_name = peer.flags.contains(DistFlags::NAME_ME);
        let name_ok = if wants_name {
            !peer.name.is_empty() && !peer.name.contains('@')
        } else {
            is_full_node_name(&peer.name)
        };
        if !name_ok {
            return Ok(close(HandshakeError::BadNodeName(peer.name)));
        }
        // With the old 'n' only the low 32 bits are known until 'c' arrives.
        let required = match peer.creation {
            Some(_) => self.local.mandatory,
            None => DistFlags(self.local.mandatory.0 & 0xffff_ffff),
        };
        let missing = peer.flags.missing(required);
        if !missing.is_empty() {
            let send = frame16(&Message::Status(Status::NotAllowed).encode());
            return Ok(AcceptorStep::Close {
                send,
                reason: HandshakeError::MissingFlags {
                    peer: peer.name,
                    missing,
                },
            });
        }
        self.state = State::AwaitDecision(peer.clone());
        Ok(AcceptorStep::Decide(peer))
    }

    fn challenge(&self) -> Vec<u8> {
        frame16(
            &Message::Challenge {
                flags: self.local.flags,
                challenge: self.our_challenge,
                creation: self.local.creation,
                name: self.local.name.clone(),
            }
            .encode(),
        )
    }

    fn after_challenge(peer: PeerHello) -> State {
        if peer.creation.is_some() {
            State::AwaitReply(peer)
        } else {
            State::AwaitComplement(peer)
        }
    }

    fn on_reply(
        &mut self,
        peer: PeerHello,
        their_challenge: u32,
        digest: [u8; 16],
    ) -> Result<AcceptorStep, HandshakeError> {
        let Some(cookie) = &self.cookie else {
            return Err(HandshakeError::WrongState("challenge reply before decide"));
        };
        if !digests_equal(&digest, &gen_digest(self.our_challenge, cookie)) {
            // OTP sends nothing and closes ("Invalid challenge reply").
            return Ok(close(HandshakeError::BadChallengeReply { peer: peer.name }));
        }
        let ack = Message::ChallengeAck {
            digest: gen_digest(their_challenge, cookie),
        };
        let established = Established {
            flags: self.local.flags.expand_digest().intersection(peer.flags),
            peer_flags: peer.flags,
            peer_creation: peer.creation.unwrap_or(0),
            peer_name: peer.name,
        };
        Ok(AcceptorStep::Established {
            send: frame16(&ack.encode()),
            peer: established,
        })
    }
}

fn close(reason: HandshakeError) -> AcceptorStep {
    AcceptorStep::Close {
        send: Vec::new(),
        reason,
    }
}

/// `Name@Host` with exactly one `@` and neither part empty, as OTP's acceptor requires.
pub fn is_full_node_name(name: &str) -> bool {
    let mut parts = name.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(n), Some(h), None) if !n.is_empty() && !h.is_empty())
}
