//! EPMD requests: parsing a received payload (structure only, in OTP's check order) and encoding
//! requests for the client. Parsing never panics; every malformed input is a `RequestError`.

use super::codes::*;
use thiserror::Error;

/// A structurally invalid request: OTP closes such connections without replying.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    #[error("empty request")]
    Empty,
    #[error("packet to small for request ALIVE2_REQ ({0})")]
    Alive2TooShort(usize),
    #[error("Node name size error in ALIVE2_REQ")]
    Alive2NameSize,
    #[error("Extra info size error in ALIVE2_REQ")]
    Alive2ExtraSize,
    #[error("node name contains ascii 0 in ALIVE2_REQ")]
    Alive2NulInName,
    #[error("packet too small for request PORT2_REQ ({0})")]
    Port2TooShort(usize),
    #[error("node name contains ascii 0 in PORT2_REQ")]
    Port2NulInName,
    #[error("invalid node name in PORT2_REQ")]
    Port2InvalidName,
    #[error("packet too small for request STOP_REQ ({0})")]
    StopTooShort(usize),
    #[error("got garbage (request code {0})")]
    Garbage(u8),
}

/// ALIVE2_REQ fields, borrowed from the received payload. Name and Extra are not yet checked
/// for length or encoding: that is the registry's job (it answers Result=1 for those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive2Request<'a> {
    pub port: u16,
    pub node_type: u8,
    pub protocol: u8,
    pub highest_version: u16,
    pub lowest_version: u16,
    pub name: &'a [u8],
    pub extra: &'a [u8],
}

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    Alive2(Alive2Request<'a>),
    /// Name without its optional trailing NUL; valid UTF-8 of at most 254 characters.
    PortPlease2 {
        name: &'a str,
    },
    Names,
    Dump,
    Kill,
    /// Name as OTP sees it: the bytes up to the first NUL.
    Stop {
        name: &'a [u8],
    },
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

impl<'a> Request<'a> {
    /// Parses a payload (the bytes after the `u16` length; the first one is the code).
    pub fn parse(payload: &'a [u8]) -> Result<Request<'a>, RequestError> {
        let code = *payload.first().ok_or(RequestError::Empty)?;
        match code {
            ALIVE2_REQ => parse_alive2(payload).map(Request::Alive2),
            PORT_PLEASE2_REQ => parse_port_please2(payload),
            NAMES_REQ => Ok(Request::Names),
            DUMP_REQ => Ok(Request::Dump),
            KILL_REQ => Ok(Request::Kill),
            STOP_REQ => {
                if payload.len() <= 1 {
                    return Err(RequestError::StopTooShort(payload.len()));
                }
                let rest = &payload[1..];
                let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                Ok(Request::Stop { name: &rest[..end] })
            }
            other => Err(RequestError::Garbage(other)),
        }
    }
}

fn parse_alive2(p: &[u8]) -> Result<Alive2Request<'_>, RequestError> {
    let size = p.len();
    if size <= 13 {
        return Err(RequestError::Alive2TooShort(size));
    }
    let field = |at| be16(p, at).ok_or(RequestError::Alive2TooShort(size));
    let port = field(1)?;
    let node_type = *p.get(3).ok_or(RequestError::Alive2TooShort(size))?;
    let protocol = *p.get(4).ok_or(RequestError::Alive2TooShort(size))?;
    let highest_version = field(5)?;
    let lowest_version = field(7)?;
    let nlen = usize::from(field(9)?);
    if nlen + 13 > size {
        return Err(RequestError::Alive2NameSize);
    }
    let elen = usize::from(be16(p, 11 + nlen).ok_or(RequestError::Alive2NameSize)?);
    if elen + nlen + 13 > size {
        return Err(RequestError::Alive2ExtraSize);
    }
    let name = p.get(11..11 + nlen).ok_or(RequestError::Alive2NameSize)?;
    if name.contains(&0) {
        return Err(RequestError::Alive2NulInName);
    }
    let extra = p
        .get(13 + nlen..13 + nlen + elen)
        .ok_or(RequestError::Alive2ExtraSize)?;
    Ok(Alive2Request {
        port,
        node_type,
        protocol,
        highest_version,
        lowest_version,
        name,
        extra,
    })
}

fn parse_port_please2(p: &[u8]) -> Result<Request<'_>, RequestError> {
    let mut size = p.len();
    if p.last() == Some(&0) {
        size -= 1;
    }
    if size <= 1 {
        return Err(RequestError::Port2TooShort(size));
    }
    let name = &p[1..size];
    if name.contains(&0) {
        return Err(RequestError::Port2NulInName);
    }
    // OTP counts one character more than the name holds (it passes the packet size, code byte
    // included, to its UTF-8 counter), so at most 254 characters can be looked up.
    let name = std::str::from_utf8(name).map_err(|_| RequestError::Port2InvalidName)?;
    if name.chars().count() + 1 > MAX_NAME_CHARS {
        return Err(RequestError::Port2InvalidName);
    }
    Ok(Request::PortPlease2 { name })
}

/// What a node sends to register: the owned form of ALIVE2_REQ, for clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive2Params {
    /// The node's name before the `@`.
    pub name: String,
    /// The node's distribution listen port.
    pub port: u16,
    /// 77 `'M'` normal, 72 `'H'` hidden (OTP always sends 77).
    pub node_type: u8,
    /// 0 = TCP/IPv4.
    pub protocol: u8,
    pub highest_version: u16,
    pub lowest_version: u16,
    /// Opaque bytes returned in PORT2_RESP.
    pub extra: Vec<u8>,
}

/// Node type of a normal node (`'M'`).
pub const NODE_TYPE_NORMAL: u8 = 77;
/// Node type of a hidden node (`'H'`).
pub const NODE_TYPE_HIDDEN: u8 = 72;

impl Alive2Params {
    /// What OTP 25 sends: type 77, protocol 0, versions 6 and 5, no extra.
    pub fn new(name: impl Into<String>, port: u16) -> Self {
        Alive2Params {
            name: name.into(),
            port,
            node_type: NODE_TYPE_NORMAL,
            protocol: 0,
            highest_version: 6,
            lowest_version: 5,
            extra: Vec::new(),
        }
    }

    /// The framed request (`u16` length included). Lengths are truncated to fit `u16`;
    /// callers validate names first.
    pub fn encode(&self) -> Vec<u8> {
        let name = self.name.as_bytes();
        let mut body = Vec::with_capacity(13 + name.len() + self.extra.len());
        body.push(ALIVE2_REQ);
        body.extend_from_slice(&self.port.to_be_bytes());
        body.push(self.node_type);
        body.push(self.protocol);
        body.extend_from_slice(&self.highest_version.to_be_bytes());
        body.extend_from_slice(&self.lowest_version.to_be_bytes());
        body.extend_from_slice(&(name.len() as u16).to_be_bytes());
        body.extend_from_slice(name);
        body.extend_from_slice(&(self.extra.len() as u16).to_be_bytes());
        body.extend_from_slice(&self.extra);
        frame(&body)
    }
}

/// Prefixes a payload with its `u16` length.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A framed request made of a code and a name (PORT_PLEASE2_REQ, STOP_REQ).
pub fn encode_named(code: u8, name: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(1 + name.len());
    body.push(code);
    body.extend_from_slice(name);
    frame(&body)
}

/// A framed request of just a code (NAMES_REQ, DUMP_REQ, KILL_REQ).
pub fn encode_code(code: u8) -> Vec<u8> {
    frame(&[code])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive2(name: &[u8], extra: &[u8]) -> Vec<u8> {
        let mut p = vec![b'x', 0x15, 0xb3, 77, 0, 0, 6, 0, 5];
        p.extend_from_slice(&(name.len() as u16).to_be_bytes());
        p.extend_from_slice(name);
        p.extend_from_slice(&(extra.len() as u16).to_be_bytes());
        p.extend_from_slice(extra);
        p
    }

    #[test]
    fn parses_alive2() {
        let p = alive2(b"foo", b"EX\0TRA");
        let Ok(Request::Alive2(r)) = Request::parse(&p) else {
            panic!("not alive2")
        };
        assert_eq!(r.port, 5555);
        assert_eq!(r.node_type, 77);
        assert_eq!((r.highest_version, r.lowest_version), (6, 5));
        assert_eq!(r.name, b"foo");
        assert_eq!(r.extra, b"EX\0TRA");
    }

    #[test]
    fn alive2_trailing_bytes_ignored() {
        let mut p = alive2(b"foo", b"");
        p.extend_from_slice(b"junk");
        assert!(matches!(Request::parse(&p), Ok(Request::Alive2(_))));
    }

    #[test]
    fn alive2_structural_errors() {
        assert_eq!(
            Request::parse(&alive2(b"", b"")),
            Err(RequestError::Alive2TooShort(13))
        );
        let mut p = alive2(b"foo", b"");
        p[10] = 9; // name length beyond the packet
        assert_eq!(Request::parse(&p), Err(RequestError::Alive2NameSize));
        let mut p = alive2(b"foo", b"ab");
        let n = p.len();
        p[n - 3] = 3; // extra length beyond the packet
        assert_eq!(Request::parse(&p), Err(RequestError::Alive2ExtraSize));
        assert_eq!(
            Request::parse(&alive2(b"fo\0o", b"")),
            Err(RequestError::Alive2NulInName)
        );
    }

    #[test]
    fn encode_matches_parse() {
        let mut params = Alive2Params::new("node1", 4242);
        params.extra = b"xy".to_vec();
        let bytes = params.encode();
        let Ok(Request::Alive2(r)) = Request::parse(&bytes[2..]) else {
            panic!()
        };
        assert_eq!(r.name, b"node1");
        assert_eq!(r.extra, b"xy");
        assert_eq!(r.port, 4242);
    }

    #[test]
    fn port_please2() {
        assert_eq!(
            Request::parse(b"zfoo"),
            Ok(Request::PortPlease2 { name: "foo" })
        );
        assert_eq!(
            Request::parse(b"zfoo\0"),
            Ok(Request::PortPlease2 { name: "foo" })
        );
        assert_eq!(Request::parse(b"z\0"), Err(RequestError::Port2TooShort(1)));
        assert_eq!(Request::parse(b"zf\0o"), Err(RequestError::Port2NulInName));
        assert_eq!(
            Request::parse(b"z\xc3"),
            Err(RequestError::Port2InvalidName)
        );
        let mut long = vec![b'z'];
        long.extend(std::iter::repeat_n(b'f', 254));
        assert!(Request::parse(&long).is_ok());
        long.push(b'f');
        assert_eq!(Request::parse(&long), Err(RequestError::Port2InvalidName));
    }

    #[test]
    fn stop_and_simple_requests() {
        assert_eq!(
            Request::parse(b"sfoo\0bar"),
            Ok(Request::Stop { name: b"foo" })
        );
        assert_eq!(Request::parse(b"s"), Err(RequestError::StopTooShort(1)));
        assert_eq!(Request::parse(b"nextra"), Ok(Request::Names));
        assert_eq!(Request::parse(b"d"), Ok(Request::Dump));
        assert_eq!(Request::parse(b"k"), Ok(Request::Kill));
        assert_eq!(Request::parse(b"a"), Err(RequestError::Garbage(b'a')));
        assert_eq!(Request::parse(b""), Err(RequestError::Empty));
    }
}
