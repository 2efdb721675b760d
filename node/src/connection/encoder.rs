//! The sending half of a connection's message layer, tuned for the hot path: the control tuples
//! of sends (SEND, REG_SEND, SEND_SENDER, ALIAS_SEND) and of a gen call's MONITOR_P and
//! DEMONITOR_P are written straight to bytes without building a `Term`, a gen call's request
//! tuple is written from its borrowed parts ([`Payload::GenCall`]), and the atoms of one message
//! are collected in a short list instead of a hash map. The bytes are exactly what distproto's `DistSender` writes (a test checks it);
//! connections without a distribution header (pass-through) use `DistSender` itself.

use distproto::control::{ControlMessage, ProcRef};
use distproto::dist::{DistError, DistSender, ATOM_CACHE_SIZE, DEFAULT_FRAGMENT_SIZE};
use distproto::etf::{encode_term_with_atom_cache, tag, AtomCacheRefs, EncodeOptions};
use distproto::handshake::DistFlags;
use distproto::term::{Atom, Pid, Reference, Term};

use super::payload::{gen_call_message, Payload};

/// Packet tags after the 4-byte length.
const VERSION: u8 = 131;
const HEADER: u8 = 68;
const FRAGMENT_FIRST: u8 = 69;
const FRAGMENT_CONT: u8 = 70;

/// Most atoms one message may list in its header (OTP's limit).
const MAX_REFS: usize = 255;

pub(crate) struct FrameEncoder {
    mode: Mode,
}

enum Mode {
    /// No distribution header negotiated: distproto's sender does pass-through packets.
    PassThrough(DistSender),
    Headers(HeaderEncoder),
}

struct HeaderEncoder {
    fragments: bool,
    cache: OutCache,
    atoms: MessageAtoms,
    fragment_size: usize,
    next_sequence: u64,
    body: Vec<u8>,
    /// `''`, which SEND and REG_SEND carry.
    empty: Atom,
    /// `'$gen_call'`, the first element of a gen call's request.
    gen_call: Atom,
    /// The cache slots of the atoms of the message being written (reused).
    slots: Vec<OutSlot>,
}

impl FrameEncoder {
    /// An encoder for a connection that negotiated `flags`.
    pub fn new(flags: DistFlags) -> FrameEncoder {
        let headers =
            flags.contains(DistFlags::DIST_HDR_ATOM_CACHE) || flags.contains(DistFlags::FRAGMENTS);
        let mode = if headers {
            Mode::Headers(HeaderEncoder {
                fragments: flags.contains(DistFlags::FRAGMENTS),
                cache: OutCache::default(),
                atoms: MessageAtoms::new(flags.contains(DistFlags::DIST_HDR_ATOM_CACHE)),
                fragment_size: DEFAULT_FRAGMENT_SIZE,
                next_sequence: 1,
                body: Vec::new(),
                empty: Atom::new("").expect("the empty atom is an atom"),
                gen_call: Atom::new("$gen_call").expect("an atom"),
                slots: Vec::new(),
            })
        } else {
            Mode::PassThrough(DistSender::new(flags))
        };
        FrameEncoder { mode }
    }

    /// Sets the payload bytes per fragment (at least 1).
    #[cfg(test)]
    fn with_fragment_size(mut self, size: usize) -> FrameEncoder {
        self.mode = match self.mode {
            Mode::PassThrough(sender) => Mode::PassThrough(sender.with_fragment_size(size)),
            Mode::Headers(mut h) => {
                h.fragment_size = size.max(1);
                Mode::Headers(h)
            }
        };
        self
    }

    /// Appends the framed packet(s) for one message to `out`. On error `out` is unchanged.
    #[cfg(test)]
    pub fn encode(
        &mut self,
        control: &ControlMessage,
        payload: Option<&Term>,
        out: &mut Vec<u8>,
    ) -> Result<(), DistError> {
        match &mut self.mode {
            Mode::PassThrough(sender) => sender.encode(control, payload, out),
            Mode::Headers(encoder) => encoder.encode(control, payload.map(Body::Term), out),
        }
    }

    /// [`FrameEncoder::encode`] for a [`Payload`]: the same bytes as for the payload's term.
    pub fn encode_payload(
        &mut self,
        control: &ControlMessage,
        payload: Option<&Payload<'_>>,
        out: &mut Vec<u8>,
    ) -> Result<(), DistError> {
        let body = payload.map(|payload| match payload {
            Payload::Term(term) => Body::Term(term),
            Payload::GenCall { from, tag, request } => Body::GenCall { from, tag, request },
        });
        match &mut self.mode {
            Mode::Headers(encoder) => encoder.encode(control, body, out),
            Mode::PassThrough(sender) => match body {
                None => sender.encode(control, None, out),
                Some(Body::Term(term)) => sender.encode(control, Some(term), out),
                // Connections without a distribution header are rare: the tuple is built.
                Some(Body::GenCall { from, tag, request }) => {
                    let message = gen_call_message(from, tag, request.clone());
                    sender.encode(control, Some(&message), out)
                }
            },
        }
    }
}

/// A payload as the header encoder reads it (borrowed).
#[derive(Clone, Copy)]
enum Body<'a> {
    Term(&'a Term),
    GenCall {
        from: &'a Pid,
        tag: &'a Term,
        request: &'a Term,
    },
}

impl HeaderEncoder {
    fn encode(
        &mut self,
        control: &ControlMessage,
        payload: Option<Body<'_>>,
        out: &mut Vec<u8>,
    ) -> Result<(), DistError> {
        let options = EncodeOptions::OTP26;
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        self.atoms.clear();
        let encoded = self.encode_control(control, &mut body).and_then(|()| {
            let control_len = body.len();
            match payload {
                None => {}
                Some(Body::Term(term)) => {
                    encode_term_with_atom_cache(term, &mut body, &options, &mut self.atoms)?
                }
                Some(Body::GenCall {
                    from,
                    tag: call_tag,
                    request,
                }) => {
                    // {'$gen_call', {From, Tag}, Request}, as the encoder writes that tuple.
                    body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 3]);
                    self.atom(&self.gen_call.clone(), &mut body);
                    body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 2]);
                    self.pid(from, &mut body);
                    encode_term_with_atom_cache(call_tag, &mut body, &options, &mut self.atoms)?;
                    encode_term_with_atom_cache(request, &mut body, &options, &mut self.atoms)?;
                }
            }
            Ok(control_len)
        });
        let result = match encoded {
            Ok(control_len) => {
                let start = out.len();
                let result = if self.fragments && body.len() - control_len > self.fragment_size {
                    self.fragmented(&body, control_len, out)
                } else {
                    let frame = begin_frame(out);
                    out.extend_from_slice(&[VERSION, HEADER]);
                    self.write_header(out);
                    out.extend_from_slice(&body);
                    end_frame(out, frame)
                };
                if result.is_err() {
                    out.truncate(start);
                }
                result
            }
            Err(e) => Err(e.into()),
        };
        self.body = body;
        result
    }

    /// The control tuple, written directly for the sends; other ops go through their `Term`.
    fn encode_control(
        &mut self,
        control: &ControlMessage,
        body: &mut Vec<u8>,
    ) -> Result<(), distproto::etf::EncodeError> {
        use ControlMessage::*;
        let op = control.op();
        match control {
            Send { to } => {
                body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 3, tag::SMALL_INTEGER_EXT, op]);
                self.atom(&self.empty.clone(), body);
                self.pid(to, body);
            }
            RegSend { from, to_name } => {
                body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 4, tag::SMALL_INTEGER_EXT, op]);
                self.pid(from, body);
                self.atom(&self.empty.clone(), body);
                self.atom(to_name, body);
            }
            SendSender { from, to } => {
                body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 3, tag::SMALL_INTEGER_EXT, op]);
                self.pid(from, body);
                self.pid(to, body);
            }
            // A gen call's monitor and demonitor, and a gen reply to an alias. A reference too
            // long to encode goes the general way, which reports it.
            MonitorP {
                from,
                to,
                reference,
            }
            | DemonitorP {
                from,
                to,
                reference,
            } if reference.ids.len() <= Reference::MAX_WORDS => {
                body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 4, tag::SMALL_INTEGER_EXT, op]);
                self.pid(from, body);
                match to {
                    ProcRef::Pid(pid) => self.pid(pid, body),
                    ProcRef::Name(name) => self.atom(name, body),
                }
                self.reference(reference, body);
            }
            AliasSend { from, alias } if alias.ids.len() <= Reference::MAX_WORDS => {
                body.extend_from_slice(&[tag::SMALL_TUPLE_EXT, 3, tag::SMALL_INTEGER_EXT, op]);
                self.pid(from, body);
                self.reference(alias, body);
            }
            other => {
                return encode_term_with_atom_cache(
                    &other.to_term(),
                    body,
                    &EncodeOptions::OTP26,
                    &mut self.atoms,
                )
            }
        }
        Ok(())
    }

    /// An atom as EncodeOptions::OTP26 writes it: a cache reference when the header lists it.
    fn atom(&mut self, atom: &Atom, body: &mut Vec<u8>) {
        if let Some(index) = self.atoms.index_of(atom) {
            body.extend_from_slice(&[tag::ATOM_CACHE_REF, index]);
            return;
        }
        let text = atom.as_bytes();
        match u8::try_from(text.len()) {
            Ok(n) => body.extend_from_slice(&[tag::SMALL_ATOM_UTF8_EXT, n]),
            Err(_) => {
                body.push(tag::ATOM_UTF8_EXT);
                body.extend_from_slice(&(text.len() as u16).to_be_bytes());
            }
        }
        body.extend_from_slice(text);
    }

    fn pid(&mut self, pid: &Pid, body: &mut Vec<u8>) {
        body.push(tag::NEW_PID_EXT);
        self.atom(&pid.node, body);
        body.extend_from_slice(&pid.id.to_be_bytes());
        body.extend_from_slice(&pid.serial.to_be_bytes());
        body.extend_from_slice(&pid.creation.to_be_bytes());
    }

    /// NEWER_REFERENCE_EXT, as distproto writes it (at most `Reference::MAX_WORDS` ids).
    fn reference(&mut self, reference: &Reference, body: &mut Vec<u8>) {
        body.push(tag::NEWER_REFERENCE_EXT);
        body.extend_from_slice(&(reference.ids.len() as u16).to_be_bytes());
        self.atom(&reference.node, body);
        body.extend_from_slice(&reference.creation.to_be_bytes());
        for id in &reference.ids {
            body.extend_from_slice(&id.to_be_bytes());
        }
    }

    /// The distribution header for the atoms this message listed. Only now, with both terms
    /// encoded, is our side of the cache told what the peer will hold after reading it.
    fn write_header(&mut self, out: &mut Vec<u8>) {
        // The same atoms as the previous message, which the peer all had: the same header.
        if !self.atoms.previous_header.is_empty() && self.atoms.same_as_previous() {
            out.extend_from_slice(&self.atoms.previous_header);
            return;
        }
        self.atoms.leave_track();
        let start = out.len();
        self.write_new_header(out);
        let all_cached = self.slots.iter().all(|s| matches!(s, OutSlot::Cached(_)));
        let atoms = &mut self.atoms;
        atoms.previous_header.clear();
        if all_cached && !atoms.list.is_empty() {
            atoms.previous_header.extend_from_slice(&out[start..]);
            atoms.previous.clone_from(&atoms.list);
        }
    }

    fn write_new_header(&mut self, out: &mut Vec<u8>) {
        self.slots.clear();
        let atoms = &self.atoms.list;
        let count = atoms.len();
        out.push(count as u8);
        if count == 0 {
            return;
        }
        let slots = &mut self.slots;
        slots.clear();
        slots.extend(atoms.iter().map(|atom| self.cache.slot_for(atom)));
        let long_atoms = slots
            .iter()
            .zip(atoms)
            .any(|(slot, atom)| matches!(slot, OutSlot::New(_)) && atom.as_bytes().len() > 255);
        let flags_at = out.len();
        out.resize(flags_at + count / 2 + 1, 0);
        let mut set_nibble = |k: usize, value: u8| out[flags_at + k / 2] |= value << (4 * (k % 2));
        for (k, slot) in slots.iter().enumerate() {
            let (slot, new) = match *slot {
                OutSlot::Cached(slot) => (slot, 0),
                OutSlot::New(slot) => (slot, 0x08),
            };
            set_nibble(k, new | (slot / 256) as u8);
        }
        if long_atoms {
            set_nibble(count, 1);
        }
        for (slot, atom) in slots.iter().zip(atoms) {
            match *slot {
                OutSlot::Cached(slot) => out.push((slot % 256) as u8),
                OutSlot::New(slot) => {
                    out.push((slot % 256) as u8);
                    let text = atom.as_bytes();
                    if long_atoms {
                        out.extend_from_slice(&(text.len() as u16).to_be_bytes());
                    } else {
                        out.push(text.len() as u8);
                    }
                    out.extend_from_slice(text);
                }
            }
        }
    }

    /// The control term and the first `fragment_size` payload bytes go in the first fragment.
    fn fragmented(
        &mut self,
        body: &[u8],
        control_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), DistError> {
        let chunks: Vec<&[u8]> = body[control_len..].chunks(self.fragment_size).collect();
        let count = chunks.len() as u64;
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        for (i, chunk) in chunks.iter().enumerate() {
            let fragment_id = count - i as u64;
            let frame = begin_frame(out);
            if i == 0 {
                out.extend_from_slice(&[VERSION, FRAGMENT_FIRST]);
                out.extend_from_slice(&sequence.to_be_bytes());
                out.extend_from_slice(&fragment_id.to_be_bytes());
                self.write_header(out);
                out.extend_from_slice(&body[..control_len]);
            } else {
                out.extend_from_slice(&[VERSION, FRAGMENT_CONT]);
                out.extend_from_slice(&sequence.to_be_bytes());
                out.extend_from_slice(&fragment_id.to_be_bytes());
            }
            out.extend_from_slice(chunk);
            end_frame(out, frame)?;
        }
        Ok(())
    }
}

/// What we have told the peer to cache: distproto's `OutAtomCache` (same slots, same hash),
/// kept here because its slot type is not exported.
struct OutCache {
    slots: Vec<Option<Atom>>,
}

impl Default for OutCache {
    fn default() -> Self {
        OutCache {
            slots: vec![None; ATOM_CACHE_SIZE],
        }
    }
}

/// Where an atom of an outgoing message goes in the cache.
#[derive(Clone, Copy)]
enum OutSlot {
    /// The peer already has it in this slot.
    Cached(usize),
    /// Put it in this slot (replacing whatever was there).
    New(usize),
}

impl OutCache {
    /// The slot for `atom`: its hash picks one; if that slot holds the atom already it is reused.
    fn slot_for(&mut self, atom: &Atom) -> OutSlot {
        let slot = slot_hash(atom.as_bytes());
        match self.slots.get_mut(slot) {
            Some(Some(cached)) if cached == atom => OutSlot::Cached(slot),
            Some(entry) => {
                *entry = Some(atom.clone());
                OutSlot::New(slot)
            }
            None => OutSlot::New(slot),
        }
    }
}

/// FNV-1a of the atom text, folded to a slot number (as distproto's cache does).
fn slot_hash(text: &[u8]) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    for &byte in text {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as usize % ATOM_CACHE_SIZE
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

/// The atoms one message refers to through the header, in header order (at most 255). Messages
/// name few atoms, so a list searched from the start beats hashing each one.
struct MessageAtoms {
    enabled: bool,
    /// The message's atoms, in header order, once it strays from `previous`.
    list: Vec<Atom>,
    /// The previous message's list when its header was all cache hits, and that header.
    previous: Vec<Atom>,
    previous_header: Vec<u8>,
    /// While the message lists the same atoms as `previous`, in the same order (as messages
    /// of one shape do), its list is `previous[..matched]` and no atom is copied.
    on_track: bool,
    matched: usize,
    /// The index the previous lookup of this message gave: an atom often comes many times in a
    /// row (the node of every pid in a list of pids), and is then found without a search.
    last: u8,
}

impl MessageAtoms {
    fn new(enabled: bool) -> MessageAtoms {
        MessageAtoms {
            enabled,
            list: Vec::new(),
            previous: Vec::new(),
            previous_header: Vec::new(),
            on_track: false,
            matched: 0,
            last: 0,
        }
    }

    fn clear(&mut self) {
        self.list.clear();
        self.on_track = true;
        self.matched = 0;
        self.last = 0;
    }

    /// The atoms the message has listed so far.
    fn listed(&self) -> &[Atom] {
        if self.on_track {
            &self.previous[..self.matched]
        } else {
            &self.list
        }
    }

    /// The message listed exactly the previous message's atoms.
    fn same_as_previous(&self) -> bool {
        self.on_track && self.matched == self.previous.len()
    }

    /// Makes `list` hold the message's atoms.
    fn leave_track(&mut self) {
        if self.on_track {
            self.list.clear();
            self.list.extend_from_slice(&self.previous[..self.matched]);
            self.on_track = false;
        }
    }
}

impl AtomCacheRefs for MessageAtoms {
    fn index_of(&mut self, atom: &Atom) -> Option<u8> {
        if !self.enabled {
            return None;
        }
        if self
            .listed()
            .get(usize::from(self.last))
            .is_some_and(|a| a == atom)
        {
            return Some(self.last);
        }
        let index = self.search(atom)?;
        self.last = index;
        Some(index)
    }
}

impl MessageAtoms {
    /// The index of `atom` in the message's list, adding it if new.
    fn search(&mut self, atom: &Atom) -> Option<u8> {
        if self.on_track {
            // `previous` lists no atom twice: its next atom is not among the matched ones.
            if let Some(next) = self.previous.get(self.matched) {
                if next == atom {
                    self.matched += 1;
                    return Some((self.matched - 1) as u8);
                }
            }
            if let Some(i) = self.previous[..self.matched].iter().position(|a| a == atom) {
                return Some(i as u8);
            }
            self.leave_track();
        }
        if let Some(i) = self.list.iter().position(|a| a == atom) {
            return Some(i as u8);
        }
        let i = u8::try_from(self.list.len())
            .ok()
            .filter(|&i| usize::from(i) < MAX_REFS)?;
        self.list.push(atom.clone());
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let long = Term::atom(&"x".repeat(250).replace('x', "é"));
        let big = Term::binary(vec![7u8; 200_000]);
        // Runs of one atom (the node of pids), broken by others, and an atom first met late.
        let pids = Term::list(
            (0..40)
                .map(|i| match i % 10 {
                    3 => Term::atom("between"),
                    7 => Term::Pid(pid(&format!("n{i}@h"), i)),
                    _ => Term::Pid(pid("b_with_a_long_node_name_for_the_heap@localhost", i)),
                })
                .collect(),
        );
        let alias = Reference {
            node: b.node.clone(),
            creation: 7,
            ids: [1, 2, 3].into(),
        };
        vec![
            (
                ControlMessage::Send { to: b.clone() },
                Some(payload.clone()),
            ),
            (
                ControlMessage::RegSend {
                    from: a.clone(),
                    to_name: Atom::new("sink").unwrap(),
                },
                Some(payload.clone()),
            ),
            (
                ControlMessage::SendSender {
                    from: a.clone(),
                    to: b.clone(),
                },
                Some(payload.clone()),
            ),
            (
                ControlMessage::RegSend {
                    from: a.clone(),
                    to_name: Atom::new("sink").unwrap(),
                },
                Some(payload.clone()),
            ),
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
            (ControlMessage::Send { to: a.clone() }, Some(long)),
            (ControlMessage::Send { to: b.clone() }, Some(big)),
            (ControlMessage::Send { to: b.clone() }, Some(pids)),
            (
                ControlMessage::MonitorP {
                    from: a.clone(),
                    to: ProcRef::Name(Atom::new("bench_echo").unwrap()),
                    reference: Reference {
                        node: a.node.clone(),
                        creation: 7,
                        ids: [4, 5, 6].into(),
                    },
                },
                None,
            ),
            (
                ControlMessage::DemonitorP {
                    from: b.clone(),
                    to: ProcRef::Pid(a.clone()),
                    reference: Reference {
                        node: b.node.clone(),
                        creation: 9,
                        ids: [1, 2, 3, 4, 5].into(),
                    },
                },
                None,
            ),
            (
                ControlMessage::MonitorP {
                    from: a.clone(),
                    to: ProcRef::Pid(b.clone()),
                    reference: Reference {
                        node: a.node.clone(),
                        creation: 7,
                        ids: distproto::term::RefIds::default(),
                    },
                },
                None,
            ),
            (ControlMessage::Send { to: b.clone() }, Some(payload)),
        ]
    }

    /// Gen call requests as (control, from, tag, request): to a name and to a pid, with an
    /// alias tag and a plain reference, a small request and a large one (many pids of one node,
    /// fragmented with small fragments).
    fn gen_calls() -> Vec<(ControlMessage, Pid, Term, Term)> {
        let a = pid("a@localhost", 40);
        let b = pid("b_with_a_long_node_name_for_the_heap@localhost", 41);
        let mref = Reference {
            node: b.node.clone(),
            creation: 7,
            ids: [1, 2, 3].into(),
        };
        let alias_tag = Term::improper_list(vec![Term::atom("alias")], Term::from(mref.clone()));
        let pids = Term::list(
            (0..200)
                .map(|i| Term::Pid(pid(b.node.as_str(), i)))
                .collect(),
        );
        vec![
            (
                ControlMessage::RegSend {
                    from: b.clone(),
                    to_name: Atom::new("bench_echo").unwrap(),
                },
                b.clone(),
                alias_tag.clone(),
                pids,
            ),
            (
                ControlMessage::SendSender {
                    from: b.clone(),
                    to: a.clone(),
                },
                b.clone(),
                Term::from(mref),
                Term::atom("get"),
            ),
            (
                ControlMessage::Send { to: a.clone() },
                b,
                alias_tag,
                Term::tuple(vec![Term::atom("$gen_call"), Term::from(12345i64)]),
            ),
        ]
    }

    fn same_bytes_as_dist_sender(flags: DistFlags, fragment_size: usize) {
        let mut ours = FrameEncoder::new(flags).with_fragment_size(fragment_size);
        let mut theirs = DistSender::new(flags).with_fragment_size(fragment_size);
        // Three passes: repeated shapes reuse the previous header, others must not.
        let all = messages();
        let repeated = all.iter().chain(&all).chain(all.iter().rev());
        for (control, payload) in repeated.chain(all.iter().flat_map(|m| [m, m, m])) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            ours.encode(control, payload.as_ref(), &mut a).unwrap();
            theirs.encode(control, payload.as_ref(), &mut b).unwrap();
            assert_eq!(a, b, "op {}", control.op());
        }
        // A gen call written from its parts, between other messages and repeated.
        let calls = gen_calls();
        for (i, (control, from, tag, request)) in calls.iter().chain(&calls).enumerate() {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let payload = Payload::GenCall { from, tag, request };
            ours.encode_payload(control, Some(&payload), &mut a)
                .unwrap();
            let message = payload.into_term();
            theirs.encode(control, Some(&message), &mut b).unwrap();
            assert_eq!(a, b, "gen call {i}");
            let (control, payload) = &all[i % all.len()];
            let (mut a, mut b) = (Vec::new(), Vec::new());
            ours.encode(control, payload.as_ref(), &mut a).unwrap();
            theirs.encode(control, payload.as_ref(), &mut b).unwrap();
            assert_eq!(a, b, "op {} after a gen call", control.op());
        }
    }

    #[test]
    fn writes_what_dist_sender_writes() {
        same_bytes_as_dist_sender(DistFlags::OTP_DEFAULT, DEFAULT_FRAGMENT_SIZE);
        same_bytes_as_dist_sender(DistFlags::OTP_DEFAULT, 1000);
        same_bytes_as_dist_sender(DistFlags::OTP_DEFAULT, 100);
        same_bytes_as_dist_sender(
            DistFlags::OTP_DEFAULT.difference(DistFlags::DIST_HDR_ATOM_CACHE),
            DEFAULT_FRAGMENT_SIZE,
        );
        same_bytes_as_dist_sender(
            DistFlags::OTP_DEFAULT.difference(DistFlags::FRAGMENTS),
            DEFAULT_FRAGMENT_SIZE,
        );
        same_bytes_as_dist_sender(
            DistFlags::OTP_DEFAULT
                .difference(DistFlags::FRAGMENTS)
                .difference(DistFlags::DIST_HDR_ATOM_CACHE),
            DEFAULT_FRAGMENT_SIZE,
        );
    }
}
