//! Node-qualified identifiers: pids, ports and references, as OTP 25+ carries them (32-bit
//! creation, 64-bit port ids, references of up to 5 words).

use super::Atom;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pid {
    pub node: Atom,
    pub id: u32,
    pub serial: u32,
    pub creation: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Port {
    pub node: Atom,
    pub id: u64,
    pub creation: u32,
}

/// A reference: the node, its creation, and 0 to 5 id words (OTP makes 3; with V4_NC up to 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub node: Atom,
    pub creation: u32,
    pub ids: Vec<u32>,
}
