//! The sending half of a connection's message layer: writes each message as 4-byte-framed
//! packets, with a distribution header (131,68) or as fragments (131,69/70) when negotiated, else
//! as a pass-through packet (112).

use super::atom_cache::OutAtomCache;
use super::header::write_header;
use super::{tag, DistError};
use crate::control::ControlMessage;
use crate::etf::{encode_into, encode_term_into, EncodeOptions};
use crate::handshake::DistFlags;
use crate::term::Term;

/// OTP's fragment size (`ERTS_DIST_FRAGMENT_SIZE`): payload bytes per fragment.
pub const DEFAULT_FRAGMENT_SIZE: usize = 64 * 1024;

pub struct DistSender {
    headers: bool,
    fragments: bool,
    #[allow(dead_code)] // filled once the encoder emits ATOM_CACHE_REF (see docs/architecture.md)
    cache: OutAtomCache,
    fragment_size: usize,
    next_sequence: u64,
    scratch: Vec<u8>,
}

impl DistSender {
    /// A sender for a connection that negotiated `flags`.
    pub fn new(flags: DistFlags) -> DistSender {
        DistSender {
            headers: flags.contains(DistFlags::DIST_HDR_ATOM_CACHE)
                || flags.contains(DistFlags::FRAGMENTS),
            fragments: flags.contains(DistFlags::FRAGMENTS),
            cache: OutAtomCache::default(),
            fragment_size: DEFAULT_FRAGMENT_SIZE,
            next_sequence: 1,
            scratch: Vec::new(),
        }
    }

    /// Sets the payload bytes per fragment (at least 1).
    pub fn with_fragment_size(mut self, size: usize) -> DistSender {
        self.fragment_size = size.max(1);
        self
    }

    /// Appends the framed packet(s) for one message to `out`. On error `out` is unchanged.
    pub fn encode(
        &mut self,
        control: &ControlMessage,
        payload: Option<&Term>,
        out: &mut Vec<u8>,
    ) -> Result<(), DistError> {
        let options = EncodeOptions::OTP26;
        let control_term = control.to_term();
        let start = out.len();
        let result = if !self.headers {
            self.pass_through(&control_term, payload, out, &options)
        } else {
            self.with_header(&control_term, payload, out, &options)
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn pass_through(
        &mut self,
        control: &Term,
        payload: Option<&Term>,
        out: &mut Vec<u8>,
        options: &EncodeOptions,
    ) -> Result<(), DistError> {
        let frame = begin_frame(out);
        out.push(tag::PASS_THROUGH);
        encode_into(control, out, options)?;
        if let Some(payload) = payload {
            encode_into(payload, out, options)?;
        }
        end_frame(out, frame)
    }

    fn with_header(
        &mut self,
        control: &Term,
        payload: Option<&Term>,
        out: &mut Vec<u8>,
        options: &EncodeOptions,
    ) -> Result<(), DistError> {
        let mut body = std::mem::take(&mut self.scratch);
        body.clear();
        encode_term_into(control, &mut body, options)?;
        let control_len = body.len();
        if let Some(payload) = payload {
            encode_term_into(payload, &mut body, options)?;
        }
        let result = if self.fragments && body.len() - control_len > self.fragment_size {
            self.fragmented(&body, control_len, out)
        } else {
            let frame = begin_frame(out);
            out.extend_from_slice(&[tag::VERSION, tag::HEADER]);
            write_header(out, &[]);
            out.extend_from_slice(&body);
            end_frame(out, frame)
        };
        self.scratch = body;
        result
    }

    /// The control term and the first `fragment_size` payload bytes go in the first fragment.
    fn fragmented(
        &mut self,
        body: &[u8],
        control_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), DistError> {
        let payload = &body[control_len..];
        let chunks: Vec<&[u8]> = payload.chunks(self.fragment_size).collect();
        let count = chunks.len() as u64;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        for (i, chunk) in chunks.iter().enumerate() {
            let fragment_id = count - i as u64;
            let frame = begin_frame(out);
            if i == 0 {
                out.extend_from_slice(&[tag::VERSION, tag::FRAGMENT_FIRST]);
                out.extend_from_slice(&sequence.to_be_bytes());
                out.extend_from_slice(&fragment_id.to_be_bytes());
                write_header(out, &[]);
                out.extend_from_slice(&body[..control_len]);
            } else {
                out.extend_from_slice(&[tag::VERSION, tag::FRAGMENT_CONT]);
                out.extend_from_slice(&sequence.to_be_bytes());
                out.extend_from_slice(&fragment_id.to_be_bytes());
            }
            out.extend_from_slice(chunk);
            end_frame(out, frame)?;
        }
        Ok(())
    }
}

/// Reserves the 4-byte length; returns where it is.
fn begin_frame(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    at
}

fn end_frame(out: &mut [u8], at: usize) -> Result<(), DistError> {
    let len = out.len() - at - 4;
    let len32 = u32::try_from(len).map_err(|_| DistError::MessageTooLarge {
        size: len,
        limit: u32::MAX as usize,
    })?;
    out[at..at + 4].copy_from_slice(&len32.to_be_bytes());
    Ok(())
}
