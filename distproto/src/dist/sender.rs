//! The sending half of a connection's message layer: writes each message as 4-byte-framed
//! packets, with a distribution header (131,68) or as fragments (131,69/70) when negotiated, else
//! as a pass-through packet (112).

use super::atom_cache::{OutAtomCache, OutSlot};
use super::header::write_header;
use super::{tag, DistError};
use crate::control::ControlMessage;
use crate::etf::{encode_into, encode_term_with_atom_cache, AtomCacheRefs, EncodeOptions};
use crate::handshake::DistFlags;
use crate::term::{Atom, Term};
use std::collections::HashMap;

/// OTP's fragment size (`ERTS_DIST_FRAGMENT_SIZE`): payload bytes per fragment.
pub const DEFAULT_FRAGMENT_SIZE: usize = 64 * 1024;

pub struct DistSender {
    headers: bool,
    fragments: bool,
    /// Whether DIST_HDR_ATOM_CACHE was negotiated: atoms then go by reference.
    use_cache: bool,
    cache: OutAtomCache,
    atoms: MessageAtoms,
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
            use_cache: flags.contains(DistFlags::DIST_HDR_ATOM_CACHE),
            cache: OutAtomCache::default(),
            atoms: MessageAtoms::default(),
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
        self.atoms.clear(self.use_cache);
        let encoded = encode_term_with_atom_cache(control, &mut body, options, &mut self.atoms)
            .and_then(|()| {
                let control_len = body.len();
                if let Some(payload) = payload {
                    encode_term_with_atom_cache(payload, &mut body, options, &mut self.atoms)?;
                }
                Ok(control_len)
            });
        let control_len = match encoded {
            Ok(len) => len,
            Err(e) => {
                self.scratch = body;
                return Err(e.into());
            }
        };
        // Only now, with both terms encoded, do we tell our side of the cache what the peer
        // will hold after reading this header.
        let entries: Vec<(OutSlot, Atom)> = self
            .atoms
            .list
            .iter()
            .map(|a| (self.cache.slot_for(a), a.clone()))
            .collect();
        let result = if self.fragments && body.len() - control_len > self.fragment_size {
            self.fragmented(&body, control_len, &entries, out)
        } else {
            let frame = begin_frame(out);
            out.extend_from_slice(&[tag::VERSION, tag::HEADER]);
            write_header(out, &entries);
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
        entries: &[(OutSlot, Atom)],
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
                write_header(out, entries);
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

/// The atoms one message refers to through the header, in header order (at most 255).
#[derive(Default)]
struct MessageAtoms {
    enabled: bool,
    list: Vec<Atom>,
    index: HashMap<Atom, u8>,
}

impl MessageAtoms {
    fn clear(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.list.clear();
        self.index.clear();
    }
}

impl AtomCacheRefs for MessageAtoms {
    fn index_of(&mut self, atom: &Atom) -> Option<u8> {
        if !self.enabled {
            return None;
        }
        if let Some(&i) = self.index.get(atom) {
            return Some(i);
        }
        let i = u8::try_from(self.list.len()).ok().filter(|&i| i < 255)?;
        self.list.push(atom.clone());
        self.index.insert(atom.clone(), i);
        Some(i)
    }
}
