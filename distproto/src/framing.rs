//! Packet framing on a distribution connection: 2-byte lengths during the handshake, 4-byte
//! lengths after it, and ticks (empty 4-byte frames). Splitting never loses buffered bytes.

/// The 4-byte frame of length zero that keeps an idle connection alive.
pub const TICK: [u8; 4] = [0, 0, 0, 0];

/// `payload` with a u16 big-endian length in front (handshake packets are small by construction).
pub fn frame16(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Appends `payload` with a u32 big-endian length in front.
pub fn frame32_into(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), FramingError> {
    let len = u32::try_from(payload.len()).map_err(|_| FramingError::TooLarge {
        len: payload.len(),
        max: u32::MAX as usize,
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// One packet found at the front of a receive buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A 4-byte frame of length zero.
    Tick,
    Packet(&'a [u8]),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FramingError {
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("empty handshake packet")]
    EmptyHandshakePacket,
}

/// Reads a u16-framed handshake packet from the front of `buf`: `Ok(None)` until it is complete,
/// else the packet and how many bytes of `buf` it used (bytes after it belong to the next one).
pub fn split16(buf: &[u8]) -> Result<Option<(&[u8], usize)>, FramingError> {
    let Some(head) = buf.get(..2) else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([head[0], head[1]]));
    if len == 0 {
        return Err(FramingError::EmptyHandshakePacket);
    }
    Ok(buf.get(2..2 + len).map(|packet| (packet, 2 + len)))
}

/// Reads a u32-framed packet or tick from the front of `buf`, refusing frames over `max_len`
/// before any of their bytes arrive (so a hostile length never makes us buffer it).
pub fn split32(buf: &[u8], max_len: usize) -> Result<Option<(Frame<'_>, usize)>, FramingError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len == 0 {
        return Ok(Some((Frame::Tick, 4)));
    }
    if len > max_len {
        return Err(FramingError::TooLarge { len, max: max_len });
    }
    Ok(buf
        .get(4..4 + len)
        .map(|packet| (Frame::Packet(packet), 4 + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split16_waits_for_whole_packets_and_keeps_the_rest() {
        let mut buf = frame16(b"abc");
        buf.extend_from_slice(&[0, 0, 0, 5, 1]);
        assert_eq!(split16(&buf[..4]), Ok(None));
        assert_eq!(split16(&buf), Ok(Some((&b"abc"[..], 5))));
        assert_eq!(split16(&[0, 0]), Err(FramingError::EmptyHandshakePacket));
    }

    #[test]
    fn split32_reads_ticks_packets_and_refuses_giants() {
        let mut buf = TICK.to_vec();
        frame32_into(&mut buf, b"hello").expect("small frame");
        assert_eq!(split32(&buf, 100), Ok(Some((Frame::Tick, 4))));
        assert_eq!(
            split32(&buf[4..], 100),
            Ok(Some((Frame::Packet(b"hello"), 9)))
        );
        assert_eq!(split32(&buf[4..8], 100), Ok(None));
        assert_eq!(
            split32(&[0xff, 0xff, 0xff, 0xff], 100),
            Err(FramingError::TooLarge {
                len: u32::MAX as usize,
                max: 100
            })
        );
    }
}
