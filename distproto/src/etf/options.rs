//! Options of the codec: decoding limits (with safe defaults) and the atom cache of a distribution
//! header, and the encoding choices that select which OTP release's bytes to produce.

use crate::term::Atom;

/// Resolves ATOM_CACHE_REF (tag 82) indexes: the atoms listed in the distribution header that
/// precedes the term.
pub trait AtomCacheLookup {
    fn lookup(&self, index: u8) -> Option<Atom>;
}

/// The encoding side of the atom cache: gives the header index (0..=254) under which an atom
/// of the message being encoded is listed, or `None` to write the atom in full.
pub trait AtomCacheRefs {
    fn index_of(&mut self, atom: &Atom) -> Option<u8>;
}

impl AtomCacheLookup for [Atom] {
    fn lookup(&self, index: u8) -> Option<Atom> {
        self.get(usize::from(index)).cloned()
    }
}

impl AtomCacheLookup for Vec<Atom> {
    fn lookup(&self, index: u8) -> Option<Atom> {
        self.get(usize::from(index)).cloned()
    }
}

impl AtomCacheLookup for [Option<Atom>] {
    fn lookup(&self, index: u8) -> Option<Atom> {
        self.get(usize::from(index)).cloned().flatten()
    }
}

/// Limits and context for decoding. `DecodeOptions::default()` is safe for untrusted input.
#[derive(Clone, Copy)]
pub struct DecodeOptions<'a> {
    /// Deepest nesting of tuples, lists, maps and funs accepted (list tails do not nest).
    pub max_depth: usize,
    /// Most bytes a term may take: the input read, or the inflated size of a compressed term.
    pub max_size: usize,
    /// The atom table for ATOM_CACHE_REF; without one such a reference is an error.
    pub atom_cache: Option<&'a (dyn AtomCacheLookup + Sync)>,
}

impl DecodeOptions<'_> {
    /// Default nesting limit: deep enough for real messages, shallow enough that decoding,
    /// encoding, comparing and dropping the result fit in a 2 MiB thread stack even in debug
    /// builds (where one level of decoding takes about 2 KiB of stack; optimised builds far less).
    /// Raise it only together with the stack size of the threads that handle the terms.
    pub const DEFAULT_MAX_DEPTH: usize = 512;
    /// Default size limit: 128 MiB.
    pub const DEFAULT_MAX_SIZE: usize = 128 << 20;
}

impl Default for DecodeOptions<'_> {
    fn default() -> Self {
        DecodeOptions {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_size: Self::DEFAULT_MAX_SIZE,
            atom_cache: None,
        }
    }
}

impl std::fmt::Debug for DecodeOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeOptions")
            .field("max_depth", &self.max_depth)
            .field("max_size", &self.max_size)
            .field("atom_cache", &self.atom_cache.is_some())
            .finish()
    }
}

/// How to encode. The default is what OTP 26+ `term_to_binary/1` produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// 2 (default, OTP 26+): UTF-8 atoms, V4_PORT_EXT. 1 (OTP 25 `term_to_binary`): ATOM_EXT
    /// when every character is Latin-1, NEW_PORT_EXT when the id fits 32 bits. 0: like 1 but
    /// floats as FLOAT_EXT text.
    pub minor_version: u8,
    /// `Some(level)` (0..=9) compresses as `term_to_binary(T, [{compressed, Level}])` does: the
    /// output stays uncompressed when compressing does not make it smaller.
    pub compressed: Option<u32>,
}

impl EncodeOptions {
    /// OTP 25's `term_to_binary/1`.
    pub const OTP25: EncodeOptions = EncodeOptions {
        minor_version: 1,
        compressed: None,
    };
    /// OTP 26+'s `term_to_binary/1`.
    pub const OTP26: EncodeOptions = EncodeOptions {
        minor_version: 2,
        compressed: None,
    };
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions::OTP26
    }
}
