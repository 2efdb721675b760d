//! The handshake messages of protocol version 6 (and the acceptor's view of the old `'n'` +
//! `'c'` pair), to and from their payload bytes. The u16 length prefix is `framing`'s business.

use super::{DistFlags, HandshakeError, Status};

/// One handshake message (the payload of one u16-framed packet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `'N'` from the initiator: flags, creation and its full node name.
    SendName {
        flags: DistFlags,
        creation: u32,
        name: String,
    },
    /// `'n'` from an old initiator (OTP 23/24 without epmd info): version 5, low 32 flag bits.
    OldSendName {
        version: u16,
        flags: DistFlags,
        name: String,
    },
    /// `'s'` status from the acceptor, or `'s'` `true`/`false` from the initiator after `alive`.
    Status(Status),
    /// `'N'` from the acceptor: its flags, its challenge, creation and name.
    Challenge {
        flags: DistFlags,
        challenge: u32,
        creation: u32,
        name: String,
    },
    /// `'c'` from an initiator that sent `'n'`: the high flag bits and its creation.
    Complement { flags_high: u32, creation: u32 },
    /// `'r'`: the initiator's own challenge and its digest of the acceptor's challenge.
    ChallengeReply { challenge: u32, digest: [u8; 16] },
    /// `'a'`: the acceptor's digest of the initiator's challenge.
    ChallengeAck { digest: [u8; 16] },
}

/// Which side sent a message: `'N'` means SendName from an initiator, Challenge from an acceptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Initiator,
    Acceptor,
}

impl Message {
    /// The payload bytes (without the u16 length).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        match self {
            Message::SendName {
                flags,
                creation,
                name,
            } => {
                out.push(b'N');
                out.extend_from_slice(&flags.0.to_be_bytes());
                out.extend_from_slice(&creation.to_be_bytes());
                push_name16(&mut out, name);
            }
            Message::OldSendName {
                version,
                flags,
                name,
            } => {
                out.push(b'n');
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(&(flags.0 as u32).to_be_bytes());
                out.extend_from_slice(name.as_bytes());
            }
            Message::Status(status) => {
                out.push(b's');
                status.encode_into(&mut out);
            }
            Message::Challenge {
                flags,
                challenge,
                creation,
                name,
            } => {
                out.push(b'N');
                out.extend_from_slice(&flags.0.to_be_bytes());
                out.extend_from_slice(&challenge.to_be_bytes());
                out.extend_from_slice(&creation.to_be_bytes());
                push_name16(&mut out, name);
            }
            Message::Complement {
                flags_high,
                creation,
            } => {
                out.push(b'c');
                out.extend_from_slice(&flags_high.to_be_bytes());
                out.extend_from_slice(&creation.to_be_bytes());
            }
            Message::ChallengeReply { challenge, digest } => {
                out.push(b'r');
                out.extend_from_slice(&challenge.to_be_bytes());
                out.extend_from_slice(digest);
            }
            Message::ChallengeAck { digest } => {
                out.push(b'a');
                out.extend_from_slice(digest);
            }
        }
        out
    }

    /// Parses one payload sent by `from`. Extra bytes after `'N'` and `named:` are ignored as OTP
    /// does; `'r'`, `'a'` and `'c'` must have their exact sizes.
    pub fn decode(payload: &[u8], from: Sender) -> Result<Message, HandshakeError> {
        let mut r = Reader {
            bytes: payload,
            pos: 0,
        };
        let tag = r.u8()?;
        let message = match (tag, from) {
            (b'N', Sender::Initiator) => Message::SendName {
                flags: DistFlags(r.u64()?),
                creation: r.u32()?,
                name: r.name16()?,
            },
            (b'n', Sender::Initiator) => Message::OldSendName {
                version: r.u16()?,
                flags: DistFlags(u64::from(r.u32()?)),
                name: latin1(r.rest()),
            },
            (b's', _) => Message::Status(Status::decode(r.rest())?),
            (b'N', Sender::Acceptor) => Message::Challenge {
                flags: DistFlags(r.u64()?),
                challenge: r.u32()?,
                creation: r.u32()?,
                name: r.name16()?,
            },
            (b'c', Sender::Initiator) => {
                r.exact_size(9)?;
                Message::Complement {
                    flags_high: r.u32()?,
                    creation: r.u32()?,
                }
            }
            (b'r', Sender::Initiator) => {
                r.exact_size(21)?;
                Message::ChallengeReply {
                    challenge: r.u32()?,
                    digest: r.digest()?,
                }
            }
            (b'a', Sender::Acceptor) => {
                r.exact_size(17)?;
                Message::ChallengeAck {
                    digest: r.digest()?,
                }
            }
            (tag, _) => return Err(HandshakeError::UnexpectedMessage { tag }),
        };
        Ok(message)
    }
}

fn push_name16(out: &mut Vec<u8>, name: &str) {
    // Node names are Latin-1 on OTP's side; ours are ASCII (checked when a node is named).
    let bytes = name.as_bytes();
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// OTP reads node names with `list_to_atom` on the bytes: each byte is one Latin-1 character.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], HandshakeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(HandshakeError::Truncated {
            needed: n,
            at: self.pos,
        })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], HandshakeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, HandshakeError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, HandshakeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, HandshakeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, HandshakeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn digest(&mut self) -> Result<[u8; 16], HandshakeError> {
        self.array()
    }
    fn name16(&mut self) -> Result<String, HandshakeError> {
        let len = usize::from(self.u16()?);
        Ok(latin1(self.take(len)?))
    }
    fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        rest
    }
    fn exact_size(&self, size: usize) -> Result<(), HandshakeError> {
        if self.bytes.len() == size {
            Ok(())
        } else {
            Err(HandshakeError::BadLength {
                tag: self.bytes[0],
                expected: size,
                got: self.bytes.len(),
            })
        }
    }
}

/// Reads the u16-prefixed fields of a `named:` status: the assigned name and creation.
pub(super) fn decode_named(bytes: &[u8]) -> Result<(String, u32), HandshakeError> {
    let mut r = Reader { bytes, pos: 0 };
    let name = r.name16()?;
    let creation = r.u32()?;
    Ok((name, creation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_name_bytes_match_otp_25() {
        // OTP 25's initiator send_name, captured: 4e 00 00 00 0d 07 df 7f bd 6b 08 2e 9b 00 0b "a@127.0.0.1".
        let mut expected = vec![
            0x4e, 0, 0, 0, 0x0d, 0x07, 0xdf, 0x7f, 0xbd, 0x6b, 0x08, 0x2e, 0x9b, 0, 0x0b,
        ];
        expected.extend_from_slice(b"a@127.0.0.1");
        let message = Message::SendName {
            flags: DistFlags::OTP_DEFAULT,
            creation: 0x6b08_2e9b,
            name: "a@127.0.0.1".into(),
        };
        assert_eq!(message.encode(), expected);
        assert_eq!(
            Message::decode(&expected, Sender::Initiator).expect("decodes"),
            message
        );
    }

    #[test]
    fn every_message_round_trips() {
        let cases = [
            (
                Sender::Initiator,
                Message::OldSendName {
                    version: 5,
                    flags: DistFlags(0x7fbd),
                    name: "a@h".into(),
                },
            ),
            (Sender::Acceptor, Message::Status(Status::Ok)),
            (
                Sender::Acceptor,
                Message::Status(Status::Named {
                    name: "x@h".into(),
                    creation: 7,
                }),
            ),
            (
                Sender::Initiator,
                Message::Status(Status::AliveAnswer(true)),
            ),
            (
                Sender::Acceptor,
                Message::Challenge {
                    flags: DistFlags(5),
                    challenge: 9,
                    creation: 3,
                    name: "b@h".into(),
                },
            ),
            (
                Sender::Initiator,
                Message::Complement {
                    flags_high: 0xd,
                    creation: 4,
                },
            ),
            (
                Sender::Initiator,
                Message::ChallengeReply {
                    challenge: 1,
                    digest: [7; 16],
                },
            ),
            (Sender::Acceptor, Message::ChallengeAck { digest: [9; 16] }),
        ];
        for (from, message) in cases {
            assert_eq!(
                Message::decode(&message.encode(), from).expect("decodes"),
                message
            );
        }
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert!(Message::decode(&[], Sender::Initiator).is_err());
        assert!(Message::decode(b"N\0\0", Sender::Initiator).is_err());
        assert!(Message::decode(b"r\0\0\0\x01", Sender::Initiator).is_err());
        assert!(Message::decode(&[b'a'; 18], Sender::Acceptor).is_err());
        assert!(Message::decode(b"a0123456789abcdef", Sender::Initiator).is_err());
        let mut long_name = vec![b'N', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
        long_name.extend_from_slice(b"short");
        assert!(Message::decode(&long_name, Sender::Initiator).is_err());
    }
}
