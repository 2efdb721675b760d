//! The receiving half of a connection's message layer, tuned for the hot path: the control tuples
//! of sends (SEND, REG_SEND, SEND_SENDER) and monitors (MONITOR_P, DEMONITOR_P, as every remote
//! gen_server call sends) whose atoms come by cache reference are read straight
//! from the bytes, without building a `Term` first; every other control message, and any send
//! in another shape, goes through distproto's decoder and `ControlMessage::from_term`, so what
//! is accepted and refused is what distproto's `DistReceiver` accepts and refuses (a test feeds
//! both the same packets). Connections without a distribution header use `DistReceiver` itself.

use bytes::Bytes;
use distproto::control::{ControlMessage, ProcRef};
use distproto::dist::{DistError, DistLimits, DistMessage, DistReceiver, InAtomCache, Reassembler};
use distproto::etf::{decode_term_bytes_at, tag, AtomCacheLookup, DecodeOptions};
use distproto::handshake::DistFlags;
use distproto::term::{Atom, Pid, RefIds, Reference};

/// Packet tags after the 4-byte length.
const VERSION: u8 = 131;
const HEADER: u8 = 68;
const FRAGMENT_FIRST: u8 = 69;
const FRAGMENT_CONT: u8 = 70;
const PASS_THROUGH: u8 = 112;

pub(crate) struct FrameDecoder {
    mode: Mode,
}

enum Mode {
    PassThrough(DistReceiver),
    Headers(HeaderDecoder),
}

struct HeaderDecoder {
    cache: InAtomCache,
    fragments: Reassembler,
    limits: DistLimits,
    /// The cache slots the current packet's header lists, in order (reused from packet to
    /// packet): references resolve through the cache, so no atom is copied for the list.
    slots: Vec<u16>,
    /// The header's atoms themselves, when it wrote a slot that it also lists elsewhere (a
    /// slot then stands for two atoms) or when a fragmented message needs them kept.
    atoms: Vec<Atom>,
    /// Whether `atoms` (rather than `slots`) holds the current header's list.
    listed: bool,
}

/// The atoms of one header, for ATOM_CACHE_REF indexes.
enum HeaderAtoms<'a> {
    Slots {
        cache: &'a InAtomCache,
        slots: &'a [u16],
    },
    List(&'a [Atom]),
}

impl HeaderAtoms<'_> {
    fn len(&self) -> usize {
        match self {
            HeaderAtoms::Slots { slots, .. } => slots.len(),
            HeaderAtoms::List(atoms) => atoms.len(),
        }
    }
}

impl AtomCacheLookup for HeaderAtoms<'_> {
    fn lookup(&self, index: u8) -> Option<Atom> {
        match self {
            HeaderAtoms::Slots { cache, slots } => cache
                .get(usize::from(*slots.get(usize::from(index))?))
                .cloned(),
            HeaderAtoms::List(atoms) => atoms.get(usize::from(index)).cloned(),
        }
    }
}

impl FrameDecoder {
    /// A decoder for a connection that negotiated `flags`.
    pub fn new(flags: DistFlags, limits: DistLimits) -> FrameDecoder {
        let headers =
            flags.contains(DistFlags::DIST_HDR_ATOM_CACHE) || flags.contains(DistFlags::FRAGMENTS);
        let mode = if headers {
            Mode::Headers(HeaderDecoder {
                cache: InAtomCache::default(),
                fragments: Reassembler::new(limits.fragments),
                limits,
                slots: Vec::new(),
                atoms: Vec::new(),
                listed: false,
            })
        } else {
            Mode::PassThrough(DistReceiver::new(flags, limits))
        };
        FrameDecoder { mode }
    }

    /// One packet (without its 4-byte length; ticks never get here). `Ok(None)` when it was a
    /// fragment of a message not yet complete. `now` is the caller's clock, for fragment expiry.
    pub fn receive(&mut self, packet: Bytes, now: u64) -> Result<Option<DistMessage>, DistError> {
        match &mut self.mode {
            Mode::PassThrough(receiver) => receiver.receive(packet, now),
            Mode::Headers(decoder) => decoder.receive(packet, now),
        }
    }
}

impl HeaderDecoder {
    fn receive(&mut self, packet: Bytes, now: u64) -> Result<Option<DistMessage>, DistError> {
        match (packet.first().copied(), packet.get(1).copied()) {
            (Some(PASS_THROUGH), _) => Err(DistError::UnexpectedPassThrough),
            (Some(VERSION), Some(HEADER)) => {
                let pos = self.read_header(&packet, 2)?;
                decode(&packet, pos, &self.header_atoms(), &self.limits)
            }
            (Some(VERSION), Some(FRAGMENT_FIRST)) => {
                let (sequence, fragments) = (u64_at(&packet, 2)?, u64_at(&packet, 10)?);
                let pos = self.read_header(&packet, 18)?;
                let rest = packet.get(pos..).unwrap_or_default();
                self.list_atoms();
                let atoms = std::mem::take(&mut self.atoms);
                match self
                    .fragments
                    .first(sequence, fragments, atoms, rest, now)?
                {
                    Some((atoms, bytes)) => decode(
                        &Bytes::from(bytes),
                        0,
                        &HeaderAtoms::List(&atoms),
                        &self.limits,
                    ),
                    None => Ok(None),
                }
            }
            (Some(VERSION), Some(FRAGMENT_CONT)) => {
                let (sequence, fragment) = (u64_at(&packet, 2)?, u64_at(&packet, 10)?);
                match self.fragments.continuation(
                    sequence,
                    fragment,
                    packet.get(18..).unwrap_or_default(),
                )? {
                    Some((atoms, bytes)) => decode(
                        &Bytes::from(bytes),
                        0,
                        &HeaderAtoms::List(&atoms),
                        &self.limits,
                    ),
                    None => Ok(None),
                }
            }
            _ => Err(DistError::BadPacketStart(
                packet.iter().take(2).copied().collect(),
            )),
        }
    }

    /// The current header's atoms.
    fn header_atoms(&self) -> HeaderAtoms<'_> {
        if self.listed {
            HeaderAtoms::List(&self.atoms)
        } else {
            HeaderAtoms::Slots {
                cache: &self.cache,
                slots: &self.slots,
            }
        }
    }

    /// Makes `atoms` hold the current header's list (from then on for this header).
    fn list_atoms(&mut self) {
        if !self.listed {
            self.atoms.clear();
            let cache = &self.cache;
            self.atoms.extend(
                self.slots
                    .iter()
                    .filter_map(|&slot| cache.get(usize::from(slot)).cloned()),
            );
            self.listed = true;
        }
    }

    /// Reads the atom-cache header at `pos` (at NumberOfAtomCacheRefs), updating the cache with
    /// new entries, as distproto's `read_header` does; returns the end. The list of the header's
    /// atoms is left in `slots` (or in `atoms`, see `listed`).
    fn read_header(&mut self, buf: &[u8], pos: usize) -> Result<usize, DistError> {
        self.slots.clear();
        self.atoms.clear();
        self.listed = false;
        let mut r = Reader { buf, pos };
        let count = usize::from(r.u8()?);
        if count == 0 {
            return Ok(r.pos);
        }
        let flags = r.take(count / 2 + 1)?;
        let nibble = |k: usize| (flags[k / 2] >> (4 * (k % 2))) & 0x0f;
        let long_atoms = nibble(count) & 1 == 1;
        for k in 0..count {
            let segment = usize::from(nibble(k) & 0x07);
            let is_new = nibble(k) & 0x08 != 0;
            let slot = segment * 256 + usize::from(r.u8()?);
            if is_new {
                let len = if long_atoms {
                    usize::from(r.u16()?)
                } else {
                    usize::from(r.u8()?)
                };
                let text = std::str::from_utf8(r.take(len)?)
                    .map_err(|_| DistError::BadHeader("cached atom is not UTF-8"))?;
                let atom = Atom::new(text).ok_or(DistError::BadHeader(
                    "cached atom longer than 255 characters",
                ))?;
                // Rewriting a slot this header already lists: keep the earlier atom as it was.
                if !self.listed && self.slots.contains(&(slot as u16)) {
                    self.list_atoms();
                }
                self.cache.set(slot, atom.clone());
                if self.listed {
                    self.atoms.push(atom);
                }
            } else {
                let atom = self
                    .cache
                    .get(slot)
                    .ok_or(DistError::EmptyCacheSlot(slot))?;
                if self.listed {
                    self.atoms.push(atom.clone());
                }
            }
            if !self.listed {
                self.slots.push(slot as u16);
            }
        }
        Ok(r.pos)
    }
}

/// Control term then payload term, both without 131, starting at `pos`.
fn decode(
    bytes: &Bytes,
    pos: usize,
    atoms: &HeaderAtoms<'_>,
    limits: &DistLimits,
) -> Result<Option<DistMessage>, DistError> {
    let options = DecodeOptions {
        max_depth: limits.max_depth,
        max_size: limits.fragments.max_message_size,
        atom_cache: Some(atoms),
    };
    // The sends and monitors: the payload first, then the message built where it is returned
    // (a `ControlMessage` is large, and each move of one is a copy).
    if let Some((fast, pos)) = fast_control(bytes, pos, atoms) {
        let payload = if fast.has_payload() {
            if pos >= bytes.len() {
                return Err(DistError::MissingPayload(fast.op()));
            }
            Some(decode_term_bytes_at(bytes, pos, &options)?.0)
        } else {
            None
        };
        return Ok(Some(DistMessage {
            control: fast.into_control(),
            payload,
        }));
    }
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
    Ok(Some(DistMessage { control, payload }))
}

/// A control tuple of the hot path, read in place (smaller than a `ControlMessage`).
enum FastControl {
    Send { to: Pid },
    RegSend { from: Pid, to_name: Atom },
    SendSender { from: Pid, to: Pid },
    MonitorP(Monitor),
    DemonitorP(Monitor),
}

/// The fields of MONITOR_P and DEMONITOR_P.
struct Monitor {
    from: Pid,
    to: ProcRef,
    reference: Reference,
}

impl FastControl {
    fn op(&self) -> u8 {
        match self {
            FastControl::Send { .. } => 2,
            FastControl::RegSend { .. } => 6,
            FastControl::MonitorP(_) => 19,
            FastControl::DemonitorP(_) => 20,
            FastControl::SendSender { .. } => 22,
        }
    }

    fn has_payload(&self) -> bool {
        !matches!(self, FastControl::MonitorP(_) | FastControl::DemonitorP(_))
    }

    fn into_control(self) -> ControlMessage {
        match self {
            FastControl::Send { to } => ControlMessage::Send { to },
            FastControl::RegSend { from, to_name } => ControlMessage::RegSend { from, to_name },
            FastControl::SendSender { from, to } => ControlMessage::SendSender { from, to },
            FastControl::MonitorP(Monitor {
                from,
                to,
                reference,
            }) => ControlMessage::MonitorP {
                from,
                to,
                reference,
            },
            FastControl::DemonitorP(Monitor {
                from,
                to,
                reference,
            }) => ControlMessage::DemonitorP {
                from,
                to,
                reference,
            },
        }
    }
}

/// SEND `{2, '', To}`, REG_SEND `{6, From, '', ToName}`, SEND_SENDER `{22, From, To}`,
/// MONITOR_P `{19, From, ToProc, Ref}` and DEMONITOR_P `{20, From, ToProc, Ref}` with their
/// atoms as cache references, read in place; `None` for anything else (the caller then decodes
/// the general way, which also reports what is wrong with a malformed tuple).
fn fast_control(bytes: &[u8], pos: usize, atoms: &HeaderAtoms<'_>) -> Option<(FastControl, usize)> {
    let mut r = Fast { bytes, pos, atoms };
    let [tuple, arity, int, op] = r.take::<4>()?;
    if tuple != tag::SMALL_TUPLE_EXT || int != tag::SMALL_INTEGER_EXT {
        return None;
    }
    let control = match (op, arity) {
        (2, 3) => {
            r.any_atom()?;
            FastControl::Send { to: r.pid()? }
        }
        (6, 4) => {
            let from = r.pid()?;
            r.any_atom()?;
            FastControl::RegSend {
                from,
                to_name: r.atom()?,
            }
        }
        (22, 3) => FastControl::SendSender {
            from: r.pid()?,
            to: r.pid()?,
        },
        (19 | 20, 4) => {
            let monitor = Monitor {
                from: r.pid()?,
                to: r.proc_ref()?,
                reference: r.reference()?,
            };
            if op == 19 {
                FastControl::MonitorP(monitor)
            } else {
                FastControl::DemonitorP(monitor)
            }
        }
        _ => return None,
    };
    Some((control, r.pos))
}

/// A cursor for `fast_control`: every read is checked; `None` means "not the fast shape".
struct Fast<'a> {
    bytes: &'a [u8],
    pos: usize,
    atoms: &'a HeaderAtoms<'a>,
}

impl Fast<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes: [u8; N] = self.bytes.get(self.pos..self.pos + N)?.try_into().ok()?;
        self.pos += N;
        Some(bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take::<4>().map(u32::from_be_bytes)
    }

    /// An atom by cache reference.
    fn atom(&mut self) -> Option<Atom> {
        let [tag, index] = self.take::<2>()?;
        if tag != tag::ATOM_CACHE_REF {
            return None;
        }
        self.atoms.lookup(index)
    }

    /// An atom whose value is not needed: by cache reference, or the empty atom written out.
    fn any_atom(&mut self) -> Option<()> {
        match self.take::<2>()? {
            [tag::ATOM_CACHE_REF, index] if usize::from(index) < self.atoms.len() => Some(()),
            [tag::SMALL_ATOM_UTF8_EXT | tag::SMALL_ATOM_EXT, 0] => Some(()),
            _ => None,
        }
    }

    /// A pid, or a registered name by cache reference.
    fn proc_ref(&mut self) -> Option<ProcRef> {
        match self.bytes.get(self.pos) {
            Some(&tag::ATOM_CACHE_REF) => self.atom().map(ProcRef::Name),
            _ => self.pid().map(ProcRef::Pid),
        }
    }

    /// NEWER_REFERENCE_EXT with its node by cache reference (what OTP 23+ sends).
    fn reference(&mut self) -> Option<Reference> {
        let [kind, hi, lo] = self.take::<3>()?;
        let words = usize::from(u16::from_be_bytes([hi, lo]));
        if kind != tag::NEWER_REFERENCE_EXT || words > Reference::MAX_WORDS {
            return None;
        }
        let node = self.atom()?;
        let creation = self.u32()?;
        let mut ids = RefIds::default();
        for _ in 0..words {
            ids.push(self.u32()?).ok()?;
        }
        Some(Reference {
            node,
            creation,
            ids,
        })
    }

    fn pid(&mut self) -> Option<Pid> {
        let [kind] = self.take::<1>()?;
        if kind != tag::NEW_PID_EXT && kind != tag::PID_EXT {
            return None;
        }
        let node = self.atom()?;
        let id = self.u32()?;
        let serial = self.u32()?;
        let creation = if kind == tag::PID_EXT {
            u32::from(self.take::<1>()?[0])
        } else {
            self.u32()?
        };
        Some(Pid {
            node,
            id,
            serial,
            creation,
        })
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DistError> {
        let slice = self
            .buf
            .get(self.pos..self.pos + n)
            .ok_or(DistError::Truncated(self.pos))?;
        self.pos += n;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, DistError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DistError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

fn u64_at(packet: &[u8], pos: usize) -> Result<u64, DistError> {
    let bytes = packet.get(pos..pos + 8).ok_or(DistError::Truncated(pos))?;
    let mut array = [0u8; 8];
    array.copy_from_slice(bytes);
    Ok(u64::from_be_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::encoder::FrameEncoder;
    use distproto::dist::DistSender;
    use distproto::term::{Reference, Term};

    fn pid(node: &str, id: u32) -> Pid {
        Pid {
            node: Atom::new(node).unwrap(),
            id,
            serial: 1,
            creation: 7,
        }
    }

    fn messages() -> Vec<(ControlMessage, Option<Term>)> {
        let a = pid("a@localhost", 40);
        let b = pid("b_with_a_long_node_name_for_the_heap@localhost", 41);
        let payload = Term::tuple(vec![
            Term::atom("msg"),
            Term::from(12345i64),
            Term::binary(b"payload".to_vec()),
            Term::Pid(a.clone()),
        ]);
        let many_atoms = Term::list((0..300).map(|i| Term::atom(&format!("atom_{i}"))).collect());
        let alias = Reference {
            node: b.node.clone(),
            creation: 7,
            ids: [1, 2, 3].into(),
        };
        let reference = Reference {
            node: a.node.clone(),
            creation: 7,
            ids: [4, 5, 6].into(),
        };
        let reg_send = ControlMessage::RegSend {
            from: a.clone(),
            to_name: Atom::new("sink").unwrap(),
        };
        vec![
            (
                ControlMessage::Send { to: b.clone() },
                Some(payload.clone()),
            ),
            (reg_send.clone(), Some(payload.clone())),
            (
                ControlMessage::SendSender {
                    from: a.clone(),
                    to: b.clone(),
                },
                Some(payload.clone()),
            ),
            (reg_send.clone(), Some(payload.clone())),
            (
                ControlMessage::Link {
                    from: a.clone(),
                    to: b.clone(),
                },
                None,
            ),
            (
                ControlMessage::AliasSend {
                    from: a.clone(),
                    alias,
                },
                Some(many_atoms),
            ),
            (
                ControlMessage::Send { to: b.clone() },
                Some(Term::binary(vec![7u8; 5000])),
            ),
            (
                ControlMessage::MonitorP {
                    from: a.clone(),
                    to: ProcRef::Name(Atom::new("bench_echo").unwrap()),
                    reference: reference.clone(),
                },
                None,
            ),
            (reg_send, Some(payload)),
            (
                ControlMessage::DemonitorP {
                    from: a.clone(),
                    to: ProcRef::Name(Atom::new("bench_echo").unwrap()),
                    reference: reference.clone(),
                },
                None,
            ),
            (
                ControlMessage::MonitorP {
                    from: b.clone(),
                    to: ProcRef::Pid(a.clone()),
                    reference: Reference {
                        ids: [9].into(),
                        ..reference.clone()
                    },
                },
                None,
            ),
            (
                ControlMessage::DemonitorP {
                    from: b,
                    to: ProcRef::Pid(a),
                    reference,
                },
                None,
            ),
        ]
    }

    /// Packets (without their 4-byte lengths) for `messages()`, as a connection with `flags`
    /// would carry them, from both our encoder and distproto's (pass-through included).
    fn packets(flags: DistFlags) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut ours = FrameEncoder::new(flags);
        for (control, payload) in messages() {
            ours.encode(&control, payload.as_ref(), &mut out).unwrap();
        }
        let mut theirs = DistSender::new(flags).with_fragment_size(1000);
        for (control, payload) in messages() {
            theirs.encode(&control, payload.as_ref(), &mut out).unwrap();
        }
        let mut packets = Vec::new();
        let mut rest = &out[..];
        while rest.len() >= 4 {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            packets.push(Bytes::copy_from_slice(&rest[4..4 + len]));
            rest = &rest[4 + len..];
        }
        packets
    }

    /// Feeds `packets` to ours and to distproto's receiver; both must give the same results.
    fn same_results(flags: DistFlags, packets: &[Bytes]) -> usize {
        let mut ours = FrameDecoder::new(flags, DistLimits::default());
        let mut theirs = DistReceiver::new(flags, DistLimits::default());
        let mut decoded = 0;
        for packet in packets {
            let a = ours.receive(packet.clone(), 0);
            let b = theirs.receive(packet.clone(), 0);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "packet {packet:?}");
            if let Ok(Some(_)) = &a {
                decoded += 1;
            }
        }
        decoded
    }

    #[test]
    fn decodes_what_dist_receiver_decodes() {
        for flags in [
            DistFlags::OTP_DEFAULT,
            DistFlags::OTP_DEFAULT.difference(DistFlags::DIST_HDR_ATOM_CACHE),
            DistFlags::OTP_DEFAULT.difference(DistFlags::FRAGMENTS),
            DistFlags::OTP_DEFAULT
                .difference(DistFlags::FRAGMENTS)
                .difference(DistFlags::DIST_HDR_ATOM_CACHE),
        ] {
            let packets = packets(flags);
            assert_eq!(same_results(flags, &packets), 2 * messages().len());
        }
    }

    #[test]
    fn a_header_that_rewrites_a_slot_it_lists() {
        // Two new entries in slot 5 ('a', then 'b'); SEND to a pid of node 'b', payload 'a'.
        let mut packet = vec![131, 68, 2, 0x88, 0x00, 5, 1, b'a', 5, 1, b'b'];
        packet.extend_from_slice(&[104, 3, 97, 2, 82, 0, 88, 82, 1]);
        packet.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1]);
        packet.extend_from_slice(&[82, 0]);
        let mut then = vec![131, 68, 1, 0x00, 5];
        then.extend_from_slice(&[104, 3, 97, 2, 82, 0, 88, 82, 0]);
        then.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 82, 0]);
        let packets = [Bytes::from(packet), Bytes::from(then)];
        assert_eq!(same_results(DistFlags::OTP_DEFAULT, &packets), 2);
        let mut ours = FrameDecoder::new(DistFlags::OTP_DEFAULT, DistLimits::default());
        let first = ours.receive(packets[0].clone(), 0).unwrap().unwrap();
        assert_eq!(first.payload, Some(Term::atom("a")));
        assert!(matches!(first.control, ControlMessage::Send { to } if to.node.as_str() == "b"));
    }

    #[test]
    fn refuses_what_dist_receiver_refuses() {
        let flags = DistFlags::OTP_DEFAULT;
        let packets = packets(flags);
        // Every packet truncated at every length, and every byte of the small ones changed,
        // each after the packets before it (so the atom caches hold the same entries).
        for (i, packet) in packets.iter().enumerate().filter(|(_, p)| p.len() < 400) {
            let before = &packets[..i];
            for cut in 0..packet.len() {
                let mut feed = before.to_vec();
                feed.push(packet.slice(..cut));
                same_results(flags, &feed);
            }
            for at in 0..packet.len() {
                for value in [0u8, 1, 2, 6, 22, 82, 88, 103, 104, 119, 255] {
                    let mut bad = packet.to_vec();
                    bad[at] = value;
                    let mut feed = before.to_vec();
                    feed.push(Bytes::from(bad));
                    same_results(flags, &feed);
                }
            }
        }
    }
}
