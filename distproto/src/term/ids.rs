//! Node-qualified identifiers: pids, ports and references, as OTP 25+ carries them (32-bit
//! creation, 64-bit port ids, references of up to 5 words). Their order is in `order.rs`.

use std::hash::{Hash, Hasher};

use super::{Atom, RefIds};

/// A process identifier of any node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pid {
    pub node: Atom,
    pub id: u32,
    pub serial: u32,
    pub creation: u32,
}

/// A port identifier of any node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Port {
    pub node: Atom,
    pub id: u64,
    pub creation: u32,
}

/// A reference: the node, its creation, and 0 to 5 id words (OTP makes 3; with V4_NC up to 5).
///
/// Equality follows OTP: the words form one little-endian number, so high zero words do not
/// count (`[1,2]` equals `[1,2,0]`, as `=:=` says in OTP 25). The words are kept as given so they
/// re-encode unchanged. The words are inline ([`RefIds`]), so a reference owns no allocation.
#[derive(Debug, Clone)]
pub struct Reference {
    pub node: Atom,
    pub creation: u32,
    pub ids: RefIds,
}

impl Reference {
    /// The most id words a reference may have on the wire (with DFLAG_V4_NC).
    pub const MAX_WORDS: usize = RefIds::MAX;

    /// The id words without high (trailing) zero words: what equality and order look at.
    pub fn significant_ids(&self) -> &[u32] {
        let used = self.ids.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
        self.ids.get(..used).unwrap_or_default()
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Reference) -> bool {
        self.node == other.node
            && self.creation == other.creation
            && self.significant_ids() == other.significant_ids()
    }
}

impl Eq for Reference {}

impl Hash for Reference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.node.hash(state);
        self.creation.hash(state);
        self.significant_ids().hash(state);
    }
}
