//! What the daemon does with one complete request (OTP's `do_request`): access rules, registry
//! changes and the reply to send. No I/O: the daemon carries the returned `Outcome` out.

use crate::protocol::codes::*;
use crate::protocol::reply::{self, encode_alive2, PORT2_NOT_FOUND};
use crate::protocol::{Request, RequestError};
use crate::registry::{ConnId, RegisterError, Registry};
use bytes::Bytes;
use std::sync::Arc;

/// Facts about the connection and the daemon that a request is judged by.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext {
    /// The peer is loopback or the socket's own address (see `access::is_local_peer`).
    pub local_peer: bool,
    /// `-relaxed_command_check` / `ERL_EPMD_RELAXED_COMMAND_CHECK`.
    pub relaxed: bool,
    /// The daemon's configured port, sent before NAMES and DUMP text.
    pub epmd_port: u32,
    pub conn: ConnId,
    /// The connection's file descriptor, recorded for DUMP.
    pub fd: i32,
    pub now_unix: u64,
}

/// Why a connection is closed without a reply (logged at debug level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silent {
    /// ALIVE2, DUMP, KILL or STOP from a peer that is not local.
    NotLocal(&'static str),
    /// STOP without relaxed command check.
    StopDisallowed,
    Malformed(RequestError),
}

impl std::fmt::Display for Silent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Silent::NotLocal(req) => write!(f, "{req} from non local address"),
            Silent::StopDisallowed => write!(f, "Disallowed STOP_REQ, no relaxed_command_check"),
            Silent::Malformed(e) => write!(f, "{e}"),
        }
    }
}

/// What the daemon must do next on this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Close without replying.
    Close(Silent),
    /// Send this reply, then close.
    Reply(Bytes),
    /// Send the ALIVE2 reply in one write and keep the connection: any byte or EOF on it later
    /// unregisters `registered`. If the write fails, unregister `name` (OTP's `node_unreg(name)`).
    Alive2 {
        reply: Vec<u8>,
        name: Option<Arc<str>>,
        registered: Option<Arc<str>>,
        refused: Option<RegisterError>,
    },
    /// STOP accepted: close the stopped node's registration connection, then reply and close.
    Stop {
        stopped: Option<ConnId>,
        reply: &'static [u8],
    },
    /// KILL accepted: reply "OK", close, and exit with status 0.
    Kill,
}

impl Outcome {
    /// A short description for logs.
    pub fn describe(&self) -> &'static str {
        match self {
            Outcome::Close(_) => "closed without reply",
            Outcome::Reply(_) => "replied",
            Outcome::Alive2 {
                registered: Some(_),
                ..
            } => "registered",
            Outcome::Alive2 { .. } => "registration refused",
            Outcome::Stop {
                stopped: Some(_), ..
            } => "stopped a node",
            Outcome::Stop { .. } => "stop: no such node",
            Outcome::Kill => "killing the daemon",
        }
    }
}

/// OTP's name for a request code, for logs.
pub fn request_name(code: Option<u8>) -> &'static str {
    match code {
        Some(ALIVE2_REQ) => "ALIVE2_REQ",
        Some(PORT_PLEASE2_REQ) => "PORT2_REQ",
        Some(NAMES_REQ) => "NAMES_REQ",
        Some(DUMP_REQ) => "DUMP_REQ",
        Some(KILL_REQ) => "KILL_REQ",
        Some(STOP_REQ) => "STOP_REQ",
        _ => "garbage",
    }
}

fn needs_local_peer(code: u8) -> Option<&'static str> {
    match code {
        ALIVE2_REQ => Some("ALIVE2_REQ"),
        DUMP_REQ => Some("DUMP_REQ"),
        KILL_REQ => Some("KILL_REQ"),
        STOP_REQ => Some("STOP_REQ"),
        _ => None,
    }
}

/// Handles one request payload (code byte first).
pub fn do_request(registry: &mut Registry, payload: &[u8], ctx: &RequestContext) -> Outcome {
    if let Some(&code) = payload.first() {
        if let Some(req) = needs_local_peer(code) {
            if !ctx.local_peer {
                return Outcome::Close(Silent::NotLocal(req));
            }
        }
        if code == STOP_REQ && !ctx.relaxed {
            return Outcome::Close(Silent::StopDisallowed);
        }
    }
    let request = match Request::parse(payload) {
        Ok(r) => r,
        Err(e) => return Outcome::Close(Silent::Malformed(e)),
    };
    match request {
        Request::Alive2(req) => {
            let name = std::str::from_utf8(req.name).ok().map(Arc::<str>::from);
            match registry.register(&req, ctx.conn, ctx.fd, ctx.now_unix) {
                Ok(done) => Outcome::Alive2 {
                    reply: encode_alive2(req.highest_version, Some(done.creation)),
                    name,
                    registered: Some(done.name),
                    refused: None,
                },
                Err(e) => Outcome::Alive2 {
                    reply: encode_alive2(req.highest_version, None),
                    name,
                    registered: None,
                    refused: Some(e),
                },
            }
        }
        Request::PortPlease2 { name } => match registry.lookup(name) {
            Some(node) => Outcome::Reply(Bytes::from(node.port2_reply())),
            None => Outcome::Reply(Bytes::from_static(&PORT2_NOT_FOUND)),
        },
        Request::Names => Outcome::Reply(registry.names_reply(ctx.epmd_port)),
        Request::Dump => Outcome::Reply(Bytes::from(registry.dump_reply(ctx.epmd_port))),
        Request::Kill => {
            if !ctx.relaxed && !registry.is_empty() {
                Outcome::Reply(Bytes::from_static(reply::KILL_NO))
            } else {
                Outcome::Kill
            }
        }
        Request::Stop { name } => {
            let stopped = std::str::from_utf8(name)
                .ok()
                .and_then(|n| registry.unregister_name(n));
            Outcome::Stop {
                reply: if stopped.is_some() {
                    reply::STOP_STOPPED
                } else {
                    reply::STOP_NOEXIST
                },
                stopped,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::request::{encode_named, Alive2Params};
    use crate::registry::RegistryLimits;

    fn ctx(local: bool, relaxed: bool) -> RequestContext {
        RequestContext {
            local_peer: local,
            relaxed,
            epmd_port: 4369,
            conn: 1,
            fd: 9,
            now_unix: 1000,
        }
    }

    fn registry() -> Registry {
        Registry::new(RegistryLimits {
            max_nodes: 10,
            max_unreg: 1000,
        })
    }

    fn alive2(name: &str) -> Vec<u8> {
        Alive2Params::new(name, 5555).encode()[2..].to_vec()
    }

    #[test]
    fn non_local_peers() {
        let mut r = registry();
        for p in [
            alive2("foo"),
            b"d".to_vec(),
            b"k".to_vec(),
            b"sfoo".to_vec(),
        ] {
            assert!(matches!(
                do_request(&mut r, &p, &ctx(false, true)),
                Outcome::Close(Silent::NotLocal(_))
            ));
        }
        assert!(matches!(
            do_request(&mut r, b"n", &ctx(false, false)),
            Outcome::Reply(_)
        ));
        assert_eq!(
            do_request(&mut r, b"zfoo", &ctx(false, false)),
            Outcome::Reply(Bytes::from_static(b"w\x01"))
        );
    }

    #[test]
    fn register_lookup_kill_stop() {
        let mut r = registry();
        let out = do_request(&mut r, &alive2("foo"), &ctx(true, false));
        let Outcome::Alive2 {
            reply, registered, ..
        } = out
        else {
            panic!()
        };
        assert_eq!(reply, [b'v', 0, 0, 0, 0x03, 0xe9]);
        assert_eq!(registered.as_deref(), Some("foo"));
        let Outcome::Reply(b) = do_request(&mut r, b"zfoo", &ctx(true, false)) else {
            panic!()
        };
        assert_eq!(&b[..4], &[b'w', 0, 0x15, 0xb3]);
        let dup = do_request(&mut r, &alive2("foo"), &ctx(true, false));
        assert!(matches!(
            dup,
            Outcome::Alive2 {
                registered: None,
                ..
            }
        ));
        assert_eq!(
            do_request(&mut r, b"k", &ctx(true, false)),
            Outcome::Reply(Bytes::from_static(b"NO"))
        );
        assert_eq!(do_request(&mut r, b"k", &ctx(true, true)), Outcome::Kill);
        assert_eq!(
            do_request(&mut r, &encode_named(b's', b"foo")[2..], &ctx(true, false)),
            Outcome::Close(Silent::StopDisallowed)
        );
        assert_eq!(
            do_request(&mut r, b"sfoo", &ctx(true, true)),
            Outcome::Stop {
                stopped: Some(1),
                reply: b"STOPPED"
            }
        );
        assert_eq!(
            do_request(&mut r, b"sfoo", &ctx(true, true)),
            Outcome::Stop {
                stopped: None,
                reply: b"NOEXISTSTOPPED"
            }
        );
        assert_eq!(do_request(&mut r, b"k", &ctx(true, false)), Outcome::Kill);
    }

    #[test]
    fn garbage_is_silent() {
        let mut r = registry();
        assert!(matches!(
            do_request(&mut r, b"a", &ctx(true, true)),
            Outcome::Close(Silent::Malformed(RequestError::Garbage(b'a')))
        ));
    }
}
