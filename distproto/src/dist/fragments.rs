//! Reassembly of fragmented messages (131,69 first, 131,70 continuations, fragment ids counting
//! down to 1), bounded in sequences in flight, bytes per message, and age.

use super::DistError;
use crate::term::Atom;
use std::collections::HashMap;

/// Bounds on what a peer can make us buffer.
#[derive(Debug, Clone, Copy)]
pub struct FragmentLimits {
    /// Fragmented messages being reassembled at once.
    pub max_sequences: usize,
    /// Size of one reassembled message (control and payload).
    pub max_message_size: usize,
}

impl Default for FragmentLimits {
    fn default() -> Self {
        FragmentLimits {
            max_sequences: 64,
            max_message_size: 128 << 20,
        }
    }
}

struct Partial {
    /// The atoms the first fragment's header listed.
    atoms: Vec<Atom>,
    /// Control and payload bytes received so far.
    bytes: Vec<u8>,
    /// The fragment id the next continuation must carry.
    next: u64,
    /// The caller's clock when the first fragment came.
    started: u64,
}

/// Fragmented messages in flight on one connection.
#[derive(Default)]
pub struct Reassembler {
    limits: FragmentLimits,
    partial: HashMap<u64, Partial>,
}

/// A complete message: its header atoms and its control+payload bytes.
pub type Assembled = (Vec<Atom>, Vec<u8>);

impl Reassembler {
    pub fn new(limits: FragmentLimits) -> Reassembler {
        Reassembler {
            limits,
            partial: HashMap::new(),
        }
    }

    /// A first fragment whose header is already read. `fragments` is the total count.
    pub fn first(
        &mut self,
        sequence: u64,
        fragments: u64,
        atoms: Vec<Atom>,
        rest: &[u8],
        now: u64,
    ) -> Result<Option<Assembled>, DistError> {
        self.check_size(rest.len())?;
        if fragments <= 1 {
            return Ok(Some((atoms, rest.to_vec())));
        }
        if self.partial.contains_key(&sequence) {
            return Err(DistError::DuplicateSequence(sequence));
        }
        if self.partial.len() >= self.limits.max_sequences {
            return Err(DistError::TooManySequences(self.limits.max_sequences));
        }
        self.partial.insert(
            sequence,
            Partial {
                atoms,
                bytes: rest.to_vec(),
                next: fragments - 1,
                started: now,
            },
        );
        Ok(None)
    }

    /// A continuation fragment.
    pub fn continuation(
        &mut self,
        sequence: u64,
        fragment: u64,
        bytes: &[u8],
    ) -> Result<Option<Assembled>, DistError> {
        let partial = self
            .partial
            .get_mut(&sequence)
            .ok_or(DistError::UnknownSequence(sequence))?;
        if fragment != partial.next {
            return Err(DistError::FragmentOrder {
                sequence,
                fragment,
                expected: partial.next,
            });
        }
        let size = partial.bytes.len() + bytes.len();
        if size > self.limits.max_message_size {
            return Err(DistError::MessageTooLarge {
                size,
                limit: self.limits.max_message_size,
            });
        }
        partial.bytes.extend_from_slice(bytes);
        partial.next -= 1;
        if partial.next > 0 {
            return Ok(None);
        }
        Ok(self.partial.remove(&sequence).map(|p| (p.atoms, p.bytes)))
    }

    /// Drops sequences that started before `oldest` (the caller's clock); returns how many.
    pub fn expire(&mut self, oldest: u64) -> usize {
        let before = self.partial.len();
        self.partial.retain(|_, p| p.started >= oldest);
        before - self.partial.len()
    }

    /// Bytes held for incomplete messages.
    pub fn buffered(&self) -> usize {
        self.partial.values().map(|p| p.bytes.len()).sum()
    }

    fn check_size(&self, size: usize) -> Result<(), DistError> {
        if size > self.limits.max_message_size {
            return Err(DistError::MessageTooLarge {
                size,
                limit: self.limits.max_message_size,
            });
        }
        Ok(())
    }
}
