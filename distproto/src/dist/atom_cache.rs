//! The per-connection, per-direction atom cache of the distribution header: 2048 slots addressed
//! by segment*256+index. The receiving side remembers what the peer put in; the sending side
//! chooses slots (by a hash of the atom, as OTP) and remembers what the peer already has.

use crate::term::Atom;

/// Slots in one direction's cache (OTP's `ERTS_ATOM_CACHE_SIZE`).
pub const ATOM_CACHE_SIZE: usize = 2048;

/// What the peer has told us to cache.
pub struct InAtomCache {
    slots: Vec<Option<Atom>>,
}

impl Default for InAtomCache {
    fn default() -> Self {
        InAtomCache {
            slots: vec![None; ATOM_CACHE_SIZE],
        }
    }
}

impl InAtomCache {
    pub fn get(&self, slot: usize) -> Option<&Atom> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// Stores `atom` in `slot` (< 2048; the header parser checks).
    pub fn set(&mut self, slot: usize, atom: Atom) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = Some(atom);
        }
    }
}

/// What we have told the peer to cache.
pub struct OutAtomCache {
    slots: Vec<Option<Atom>>,
}

impl Default for OutAtomCache {
    fn default() -> Self {
        OutAtomCache {
            slots: vec![None; ATOM_CACHE_SIZE],
        }
    }
}

/// Where an atom of an outgoing message goes in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutSlot {
    /// The peer already has it in this slot.
    Cached(usize),
    /// Put it in this slot (replacing whatever was there).
    New(usize),
}

impl OutAtomCache {
    /// The slot for `atom`: its hash picks one; if that slot holds the atom already it is reused.
    pub fn slot_for(&mut self, atom: &Atom) -> OutSlot {
        let slot = slot_hash(atom.as_str());
        match &self.slots[slot] {
            Some(cached) if cached == atom => OutSlot::Cached(slot),
            _ => {
                self.slots[slot] = Some(atom.clone());
                OutSlot::New(slot)
            }
        }
    }
}

/// FNV-1a of the atom text, folded to a slot number.
fn slot_hash(text: &str) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as usize % ATOM_CACHE_SIZE
}
