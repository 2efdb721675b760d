//! Reads one length-prefixed request the way OTP's `do_read` does: at most 3059 bytes while the
//! length is unknown, then exactly the declared length. Holds at most `INBUF_SIZE` bytes; no I/O.

use super::codes::INBUF_SIZE;
use thiserror::Error;

/// Why a request frame was rejected; the daemon closes the connection without replying.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// `Length` was 0 or so large that `Length + 2 >= INBUF_SIZE`.
    #[error("invalid packet size ({0})")]
    InvalidLength(usize),
    /// More bytes arrived than `Length + 2` (e.g. two pipelined requests).
    #[error("got {got} bytes in packet, expected {expected}")]
    Overrun { got: usize, expected: usize },
}

/// Whether a frame is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameStatus {
    /// More bytes are needed.
    Incomplete,
    /// `payload()` now holds the whole request.
    Complete,
}

/// Accumulates one request: `u16 Length` followed by `Length` bytes.
pub struct RequestFrame {
    buf: Box<[u8; INBUF_SIZE]>,
    got: usize,
    /// Total bytes wanted (header included) once the header is known.
    want: Option<usize>,
}

impl Default for RequestFrame {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestFrame {
    /// An empty frame.
    pub fn new() -> Self {
        RequestFrame {
            buf: Box::new([0; INBUF_SIZE]),
            got: 0,
            want: None,
        }
    }

    /// The buffer the next read should fill: up to `INBUF_SIZE - 1` bytes in total while the
    /// length is unknown (as OTP does), then exactly what the declared length still needs.
    pub fn spare(&mut self) -> &mut [u8] {
        let limit = self.want.unwrap_or(INBUF_SIZE - 1);
        let start = self.got.min(limit);
        &mut self.buf[start..limit]
    }

    /// Accounts for `n` bytes just written into `spare()`.
    pub fn filled(&mut self, n: usize) -> Result<FrameStatus, FrameError> {
        let limit = self.want.unwrap_or(INBUF_SIZE - 1);
        self.got = (self.got + n).min(limit);
        if self.want.is_none() && self.got >= 2 {
            let len = usize::from(u16::from_be_bytes([self.buf[0], self.buf[1]]));
            let want = len + 2;
            if !(3..INBUF_SIZE).contains(&want) {
                return Err(FrameError::InvalidLength(len));
            }
            if self.got > want {
                return Err(FrameError::Overrun {
                    got: self.got - 2,
                    expected: len,
                });
            }
            self.want = Some(want);
        }
        match self.want {
            Some(want) if want == self.got => Ok(FrameStatus::Complete),
            _ => Ok(FrameStatus::Incomplete),
        }
    }

    /// Empties the frame for the next request, keeping its buffer.
    pub fn reset(&mut self) {
        self.got = 0;
        self.want = None;
    }

    /// Copies bytes in as if read from a socket (tests and fuzzing); returns how many were used.
    pub fn feed(&mut self, bytes: &[u8]) -> (usize, Result<FrameStatus, FrameError>) {
        let spare = self.spare();
        let n = spare.len().min(bytes.len());
        spare[..n].copy_from_slice(&bytes[..n]);
        (n, self.filled(n))
    }

    /// Bytes received so far, header included.
    pub fn received(&self) -> usize {
        self.got
    }

    /// The request payload (after the length), complete once `filled` said so.
    pub fn payload(&self) -> &[u8] {
        self.buf.get(2..self.got).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_request_in_one_read() {
        let mut f = RequestFrame::new();
        let (n, st) = f.feed(&[0, 1, b'n']);
        assert_eq!(n, 3);
        assert_eq!(st, Ok(FrameStatus::Complete));
        assert_eq!(f.payload(), b"n");
    }

    #[test]
    fn byte_by_byte() {
        let mut f = RequestFrame::new();
        let req = [0u8, 4, b'z', b'f', b'o', b'o'];
        for (i, b) in req.iter().enumerate() {
            let (_, st) = f.feed(&[*b]);
            let want = if i == req.len() - 1 {
                FrameStatus::Complete
            } else {
                FrameStatus::Incomplete
            };
            assert_eq!(st, Ok(want));
        }
        assert_eq!(f.payload(), b"zfoo");
    }

    #[test]
    fn pipelined_requests_are_rejected() {
        let mut f = RequestFrame::new();
        let (_, st) = f.feed(&[0, 1, b'n', 0, 1, b'n']);
        assert_eq!(
            st,
            Err(FrameError::Overrun {
                got: 4,
                expected: 1
            })
        );
    }

    #[test]
    fn after_the_header_only_the_declared_length_is_read() {
        let mut f = RequestFrame::new();
        let _ = f.feed(&[0]);
        let _ = f.feed(&[1]);
        assert_eq!(f.spare().len(), 1);
    }

    #[test]
    fn invalid_lengths() {
        for len in [0u16, 3058, 3069, 65535] {
            let mut f = RequestFrame::new();
            let (_, st) = f.feed(&len.to_be_bytes());
            assert_eq!(st, Err(FrameError::InvalidLength(len as usize)));
        }
        let mut f = RequestFrame::new();
        let (_, st) = f.feed(&3057u16.to_be_bytes());
        assert_eq!(st, Ok(FrameStatus::Incomplete));
    }

    #[test]
    fn never_reads_past_the_buffer() {
        let mut f = RequestFrame::new();
        let big = vec![0xffu8; 10_000];
        let (n, _) = f.feed(&big);
        assert!(n < INBUF_SIZE);
    }
}
