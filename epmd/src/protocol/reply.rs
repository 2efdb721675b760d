//! EPMD replies: encoding them byte-exact as OTP's daemon does, and decoding them for the
//! client. No I/O; decoding never panics on short or odd input.

use super::codes::*;
use std::io::Write;
use thiserror::Error;

/// The ALIVE2 reply: `'v'` (32-bit creation) when the request's HighestVersion ≥ 6, else `'y'`.
pub fn encode_alive2(highest_version: u16, creation: Option<u32>) -> Vec<u8> {
    let (result, creation) = match creation {
        Some(c) => (0u8, c),
        None => (1u8, ERROR_CREATION),
    };
    if highest_version >= 6 {
        let mut out = vec![ALIVE2_X_RESP, result];
        out.extend_from_slice(&creation.to_be_bytes());
        out
    } else {
        let mut out = vec![ALIVE2_RESP, result];
        out.extend_from_slice(&(creation as u16).to_be_bytes());
        out
    }
}

/// A node as PORT2_RESP describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's distribution port.
    pub port: u16,
    /// 77 normal, 72 hidden.
    pub node_type: u8,
    /// 0 = TCP/IPv4.
    pub protocol: u8,
    pub highest_version: u16,
    pub lowest_version: u16,
    /// The name as registered.
    pub name: String,
    /// Extra bytes given at registration.
    pub extra: Vec<u8>,
}

/// PORT2_RESP for a name that is not registered.
pub const PORT2_NOT_FOUND: [u8; 2] = [PORT2_RESP, 1];

/// PORT2_RESP for a registered node.
pub fn encode_port2(node: &NodeInfo) -> Vec<u8> {
    encode_port2_parts(
        node.port,
        node.node_type,
        node.protocol,
        node.highest_version,
        node.lowest_version,
        node.name.as_bytes(),
        &node.extra,
    )
}

/// PORT2_RESP from its fields (no intermediate `NodeInfo`).
pub fn encode_port2_parts(
    port: u16,
    node_type: u8,
    protocol: u8,
    highest_version: u16,
    lowest_version: u16,
    name: &[u8],
    extra: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(14 + name.len() + extra.len());
    out.extend_from_slice(&[PORT2_RESP, 0]);
    out.extend_from_slice(&port.to_be_bytes());
    out.push(node_type);
    out.push(protocol);
    out.extend_from_slice(&highest_version.to_be_bytes());
    out.extend_from_slice(&lowest_version.to_be_bytes());
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&(extra.len() as u16).to_be_bytes());
    out.extend_from_slice(extra);
    out
}

/// Appends one NAMES line: `name <NodeName> at port <PortNo>\n` (without the angle brackets).
pub fn push_names_line(out: &mut Vec<u8>, name: &str, port: u16) {
    out.extend_from_slice(b"name ");
    out.extend_from_slice(name.as_bytes());
    let _ = writeln!(out, " at port {port}");
}

/// Appends one DUMP record for a registered node, NUL included.
pub fn push_dump_active(out: &mut Vec<u8>, name: &str, port: u16, fd: i32) {
    out.extend_from_slice(b"active name     <");
    out.extend_from_slice(name.as_bytes());
    let _ = write!(out, "> at port {port}, fd = {fd}\n\0");
}

/// Appends one DUMP record for an unregistered (old) node, NUL included.
pub fn push_dump_old(out: &mut Vec<u8>, name: &str, port: u16, fd: i32) {
    out.extend_from_slice(b"old/unused name <");
    out.extend_from_slice(name.as_bytes());
    let _ = write!(out, ">, port = {port}, fd = {fd} \n\0");
}

/// KILL_REQ accepted.
pub const KILL_OK: &[u8] = b"OK";
/// KILL_REQ refused (live nodes, no relaxed mode).
pub const KILL_NO: &[u8] = b"NO";
/// STOP_REQ for a registered name.
pub const STOP_STOPPED: &[u8] = b"STOPPED";
/// STOP_REQ for an unknown name: OTP sends "NOEXIST" and falls through to "STOPPED".
pub const STOP_NOEXIST: &[u8] = b"NOEXISTSTOPPED";

/// A reply that does not match the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplyError {
    #[error("reply too short ({0} bytes)")]
    Short(usize),
    #[error("unexpected reply bytes {0:02x?}")]
    Garbage(Vec<u8>),
}

/// A decoded ALIVE2 reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alive2Reply {
    /// 0 = registered.
    pub result: u8,
    pub creation: u32,
}

/// How many bytes an ALIVE2 reply starting with `first` has, if it is one.
pub fn alive2_reply_len(first: u8) -> Option<usize> {
    match first {
        ALIVE2_X_RESP => Some(6),
        ALIVE2_RESP => Some(4),
        _ => None,
    }
}

/// Decodes `'v' R C32` or `'y' R C16`.
pub fn decode_alive2(b: &[u8]) -> Result<Alive2Reply, ReplyError> {
    match b {
        [ALIVE2_X_RESP, r, c @ ..] if c.len() == 4 => Ok(Alive2Reply {
            result: *r,
            creation: u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
        }),
        [ALIVE2_RESP, r, c @ ..] if c.len() == 2 => Ok(Alive2Reply {
            result: *r,
            creation: u32::from(u16::from_be_bytes([c[0], c[1]])),
        }),
        _ if b.len() < 4 => Err(ReplyError::Short(b.len())),
        _ => Err(ReplyError::Garbage(b.iter().take(16).copied().collect())),
    }
}

/// Decodes a complete PORT2_RESP: `Ok(None)` when the name is not registered.
pub fn decode_port2(b: &[u8]) -> Result<Option<NodeInfo>, ReplyError> {
    let garbage = || ReplyError::Garbage(b.iter().take(16).copied().collect());
    match b {
        [] | [_] => return Err(ReplyError::Short(b.len())),
        [PORT2_RESP, 0, ..] => {}
        [PORT2_RESP, _, ..] => return Ok(None),
        _ => return Err(garbage()),
    }
    let u16_at = |at: usize| -> Result<u16, ReplyError> {
        b.get(at..at + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
            .ok_or(ReplyError::Short(b.len()))
    };
    let nlen = usize::from(u16_at(10)?);
    let name = b.get(12..12 + nlen).ok_or(ReplyError::Short(b.len()))?;
    let elen = usize::from(u16_at(12 + nlen)?);
    let extra = b
        .get(14 + nlen..14 + nlen + elen)
        .ok_or(ReplyError::Short(b.len()))?;
    Ok(Some(NodeInfo {
        port: u16_at(2)?,
        node_type: *b.get(4).ok_or_else(garbage)?,
        protocol: *b.get(5).ok_or_else(garbage)?,
        highest_version: u16_at(6)?,
        lowest_version: u16_at(8)?,
        name: String::from_utf8_lossy(name).into_owned(),
        extra: extra.to_vec(),
    }))
}

/// Splits a NAMES/DUMP reply into the daemon's port and the text after it.
pub fn split_port_prefix(b: &[u8]) -> Result<(u32, &[u8]), ReplyError> {
    match b {
        [a, b2, c, d, rest @ ..] => Ok((u32::from_be_bytes([*a, *b2, *c, *d]), rest)),
        _ => Err(ReplyError::Short(b.len())),
    }
}

/// Parses NAMES text as OTP's `erl_epmd` does: `name <token> at port <int>` per line; lines
/// that do not match are skipped.
pub fn parse_names(text: &[u8]) -> Vec<(String, u16)> {
    let text = String::from_utf8_lossy(text);
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("name ")?;
            let (name, rest) = rest.split_once(' ')?;
            let port = rest.strip_prefix("at port ")?.trim().parse().ok()?;
            Some((name.to_string(), port))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive2_replies() {
        assert_eq!(
            encode_alive2(6, Some(0x6b082dd9)),
            [b'v', 0, 0x6b, 0x08, 0x2d, 0xd9]
        );
        assert_eq!(encode_alive2(6, None), [b'v', 1, 0, 0, 0, 99]);
        assert_eq!(encode_alive2(5, Some(2)), [b'y', 0, 0, 2]);
        assert_eq!(encode_alive2(5, None), [b'y', 1, 0, 99]);
        assert_eq!(
            decode_alive2(&encode_alive2(6, Some(7))),
            Ok(Alive2Reply {
                result: 0,
                creation: 7
            })
        );
        assert!(decode_alive2(b"vv").is_err());
        assert!(decode_alive2(b"abcdef").is_err());
    }

    #[test]
    fn port2_reply_matches_otp() {
        let node = NodeInfo {
            port: 5555,
            node_type: 77,
            protocol: 0,
            highest_version: 6,
            lowest_version: 6,
            name: "foo".into(),
            extra: b"EXTRA".to_vec(),
        };
        let bytes = encode_port2(&node);
        assert_eq!(
            bytes,
            [
                0x77, 0x00, 0x15, 0xb3, 0x4d, 0x00, 0x00, 0x06, 0x00, 0x06, 0x00, 0x03, 0x66, 0x6f,
                0x6f, 0x00, 0x05, 0x45, 0x58, 0x54, 0x52, 0x41
            ]
        );
        assert_eq!(decode_port2(&bytes), Ok(Some(node)));
        assert_eq!(decode_port2(&PORT2_NOT_FOUND), Ok(None));
        assert!(decode_port2(&bytes[..13]).is_err());
        assert!(decode_port2(b"x").is_err());
    }

    #[test]
    fn text_records() {
        let mut out = Vec::new();
        push_names_line(&mut out, "foo", 5555);
        assert_eq!(out, b"name foo at port 5555\n");
        let mut out = Vec::new();
        push_dump_active(&mut out, "foo", 5555, 7);
        assert_eq!(out, b"active name     <foo> at port 5555, fd = 7\n\0");
        let mut out = Vec::new();
        push_dump_old(&mut out, "foo", 5555, 7);
        assert_eq!(out, b"old/unused name <foo>, port = 5555, fd = 7 \n\0");
    }

    #[test]
    fn names_parsing() {
        let text = b"name bar at port 5556\nname foo at port 5555\n";
        assert_eq!(
            parse_names(text),
            vec![("bar".to_string(), 5556), ("foo".to_string(), 5555)]
        );
        let mut reply = 4369u32.to_be_bytes().to_vec();
        reply.extend_from_slice(text);
        assert_eq!(split_port_prefix(&reply).unwrap().0, 4369);
    }
}
