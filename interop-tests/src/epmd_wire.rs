//! Raw EPMD request bytes built by hand (no codec of ours involved), so that tests can send exactly
//! what OTP's daemon receives, including malformed and truncated requests.

/// `u16 Length` + `payload` (the payload starts with the request code).
pub fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of an ALIVE2_REQ ('x') with every field given.
pub fn alive2_payload(port: u16, high: u16, low: u16, name: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut p = vec![b'x'];
    p.extend_from_slice(&port.to_be_bytes());
    p.push(77); // NodeType 'M'
    p.push(0); // Protocol TCP/IPv4
    p.extend_from_slice(&high.to_be_bytes());
    p.extend_from_slice(&low.to_be_bytes());
    p.extend_from_slice(&(name.len() as u16).to_be_bytes());
    p.extend_from_slice(name);
    p.extend_from_slice(&(extra.len() as u16).to_be_bytes());
    p.extend_from_slice(extra);
    p
}

/// A framed ALIVE2_REQ as OTP 25 nodes send it (HighestVersion 6, LowestVersion 5, no Extra).
pub fn alive2(port: u16, name: &str) -> Vec<u8> {
    framed(&alive2_payload(port, 6, 5, name.as_bytes(), b""))
}

/// A framed ALIVE2_REQ with explicit versions, name bytes and Extra.
pub fn alive2_with(port: u16, high: u16, low: u16, name: &[u8], extra: &[u8]) -> Vec<u8> {
    framed(&alive2_payload(port, high, low, name, extra))
}

/// A framed PORT_PLEASE2_REQ ('z').
pub fn port_please(name: &[u8]) -> Vec<u8> {
    let mut p = vec![b'z'];
    p.extend_from_slice(name);
    framed(&p)
}

/// A framed NAMES_REQ ('n').
pub fn names() -> Vec<u8> {
    framed(b"n")
}

/// A framed DUMP_REQ ('d').
pub fn dump() -> Vec<u8> {
    framed(b"d")
}

/// A framed KILL_REQ ('k').
pub fn kill() -> Vec<u8> {
    framed(b"k")
}

/// A framed STOP_REQ ('s').
pub fn stop(name: &str) -> Vec<u8> {
    let mut p = vec![b's'];
    p.extend_from_slice(name.as_bytes());
    framed(&p)
}

/// The creation carried by an ALIVE2 reply (`'v'` 6 bytes or `'y'` 4 bytes) with Result 0.
pub fn creation_of(reply: &[u8]) -> Option<u32> {
    match reply {
        [b'v', 0, a, b, c, d] => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        [b'y', 0, a, b] => Some(u16::from_be_bytes([*a, *b]) as u32),
        _ => None,
    }
}
