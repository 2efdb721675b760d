//! The receiving half of a connection's message layer: turns each 4-byte-framed packet into a
//! control message and payload, keeping the peer's atom cache and reassembling fragments.

use super::atom_cache::InAtomCache;
use super::fragments::{FragmentLimits, Reassembler};
use super::header::read_header;
use super::{tag, DistError, DistMessage};
use crate::control::ControlMessage;
use crate::etf::{decode_term_bytes_at, DecodeOptions};
use crate::handshake::DistFlags;
use crate::term::{Atom, Term};
use bytes::Bytes;

/// Limits on what one peer may send.
#[derive(Debug, Clone, Copy)]
pub struct DistLimits {
    pub fragments: FragmentLimits,
    /// Deepest nesting accepted in a term.
    pub max_depth: usize,
}

impl Default for DistLimits {
    fn default() -> Self {
        DistLimits {
            fragments: FragmentLimits::default(),
            max_depth: DecodeOptions::DEFAULT_MAX_DEPTH,
        }
    }
}

pub struct DistReceiver {
    /// Whether packets carry a distribution header (atom cache or fragments negotiated).
    headers: bool,
    cache: InAtomCache,
    fragments: Reassembler,
    limits: DistLimits,
}

impl DistReceiver {
    /// A receiver for a connection that negotiated `flags`.
    pub fn new(flags: DistFlags, limits: DistLimits) -> DistReceiver {
        DistReceiver {
            headers: flags.contains(DistFlags::DIST_HDR_ATOM_CACHE)
                || flags.contains(DistFlags::FRAGMENTS),
            cache: InAtomCache::default(),
            fragments: Reassembler::new(limits.fragments),
            limits,
        }
    }

    /// One packet (without its 4-byte length; ticks never get here). `Ok(None)` when it was a
    /// fragment of a message not yet complete. `now` is the caller's clock, for fragment expiry.
    pub fn receive(&mut self, packet: Bytes, now: u64) -> Result<Option<DistMessage>, DistError> {
        match (packet.first().copied(), packet.get(1).copied()) {
            (Some(tag::PASS_THROUGH), _) if self.headers => Err(DistError::UnexpectedPassThrough),
            (Some(tag::PASS_THROUGH), _) => self.pass_through(&packet).map(Some),
            (Some(tag::VERSION), Some(tag::HEADER | tag::FRAGMENT_FIRST | tag::FRAGMENT_CONT))
                if !self.headers =>
            {
                Err(DistError::UnexpectedHeader)
            }
            (Some(tag::VERSION), Some(tag::HEADER)) => {
                let (atoms, pos) = read_header(&packet, 2, &mut self.cache)?;
                self.decode(&packet, pos, &atoms).map(Some)
            }
            (Some(tag::VERSION), Some(tag::FRAGMENT_FIRST)) => {
                let (sequence, fragments) = (u64_at(&packet, 2)?, u64_at(&packet, 10)?);
                let (atoms, pos) = read_header(&packet, 18, &mut self.cache)?;
                let rest = packet.get(pos..).unwrap_or_default();
                match self
                    .fragments
                    .first(sequence, fragments, atoms, rest, now)?
                {
                    Some((atoms, bytes)) => self.decode(&Bytes::from(bytes), 0, &atoms).map(Some),
                    None => Ok(None),
                }
            }
            (Some(tag::VERSION), Some(tag::FRAGMENT_CONT)) => {
                let (sequence, fragment) = (u64_at(&packet, 2)?, u64_at(&packet, 10)?);
                match self.fragments.continuation(
                    sequence,
                    fragment,
                    packet.get(18..).unwrap_or_default(),
                )? {
                    Some((atoms, bytes)) => self.decode(&Bytes::from(bytes), 0, &atoms).map(Some),
                    None => Ok(None),
                }
            }
            _ => Err(DistError::BadPacketStart(
                packet.iter().take(2).copied().collect(),
            )),
        }
    }

    /// Drops fragmented messages that started before `oldest`; returns how many.
    pub fn expire_fragments(&mut self, oldest: u64) -> usize {
        self.fragments.expire(oldest)
    }

    #[allow(clippy::ptr_arg)] // a Vec is what DecodeOptions can hold as a trait object
    fn options<'a>(&self, atoms: &'a Vec<Atom>) -> DecodeOptions<'a> {
        DecodeOptions {
            max_depth: self.limits.max_depth,
            max_size: self.limits.fragments.max_message_size,
            atom_cache: Some(atoms),
        }
    }

    /// Control term then payload term, both without 131, starting at `pos`.
    #[allow(clippy::ptr_arg)]
    fn decode(
        &self,
        bytes: &Bytes,
        pos: usize,
        atoms: &Vec<Atom>,
    ) -> Result<DistMessage, DistError> {
        let options = self.options(atoms);
        let (control, pos) = decode_term_bytes_at(bytes, pos, &options)?;
        let control = ControlMessage::from_term(&control)?;
        let payload = if control.has_payload() {
            if pos >= bytes.len() {
                return Err(DistError::MissingPayload(control.op()));
            }
            Some(decode_term_bytes_at(bytes, pos, &options)?.0)
        } else {
            None
        };
        Ok(DistMessage { control, payload })
    }

    /// `112, 131, Control, [131, Payload]`: each term keeps its version byte.
    fn pass_through(&self, packet: &Bytes) -> Result<DistMessage, DistError> {
        let no_atoms = Vec::new();
        let options = self.options(&no_atoms);
        let control_at = expect_version(packet, 1)?;
        let (control, pos) = decode_term_bytes_at(packet, control_at, &options)?;
        let control = ControlMessage::from_term(&control)?;
        let payload: Option<Term> = if control.has_payload() {
            let at =
                expect_version(packet, pos).map_err(|_| DistError::MissingPayload(control.op()))?;
            Some(decode_term_bytes_at(packet, at, &options)?.0)
        } else {
            None
        };
        Ok(DistMessage { control, payload })
    }
}

fn expect_version(packet: &[u8], pos: usize) -> Result<usize, DistError> {
    match packet.get(pos) {
        Some(&tag::VERSION) => Ok(pos + 1),
        _ => Err(DistError::BadPacketStart(
            packet.iter().skip(pos).take(2).copied().collect(),
        )),
    }
}

fn u64_at(packet: &[u8], pos: usize) -> Result<u64, DistError> {
    let bytes = packet.get(pos..pos + 8).ok_or(DistError::Truncated(pos))?;
    let mut array = [0u8; 8];
    array.copy_from_slice(bytes);
    Ok(u64::from_be_bytes(array))
}
