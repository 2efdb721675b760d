//! Atoms: short immutable names, compared by their text (UTF-8 bytes, which is also OTP's order).
//! Never longer than 255 characters; short atoms are stored inline so decoding them never allocates.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// How many UTF-8 bytes an atom may have and still be stored inline (no allocation).
pub(crate) const INLINE_CAP: usize = 21;

/// An atom. Cheap to clone (a copy of 24 bytes, or a reference-count increment for long atoms);
/// the text is UTF-8.
#[derive(Clone)]
pub struct Atom(Repr);

#[derive(Clone)]
enum Repr {
    /// `len` bytes of UTF-8 text at the start of `bytes`; the rest is unspecified. `ascii` says
    /// whether the text is all ASCII (the encoder's ATOM_EXT choice needs it).
    Inline {
        len: u8,
        ascii: bool,
        bytes: [u8; INLINE_CAP],
    },
    Heap(Arc<str>),
}

impl Atom {
    /// The most characters an atom may have (OTP's `MAX_ATOM_CHARACTERS`).
    pub const MAX_CHARS: usize = 255;

    /// The most UTF-8 bytes an atom may have (255 characters of up to 4 bytes).
    pub const MAX_BYTES: usize = 4 * Self::MAX_CHARS;

    /// Makes an atom, or `None` when `text` has more than 255 characters.
    pub fn new(text: &str) -> Option<Atom> {
        if text.len() <= Self::MAX_CHARS || text.chars().count() <= Self::MAX_CHARS {
            Some(Self::from_str_unchecked(text))
        } else {
            None
        }
    }

    /// Makes an atom from text the caller has already checked to be at most 255 characters.
    /// Inline atoms keep `len` bytes of text at the start of `bytes`; the bytes after are
    /// unspecified and never read.
    #[inline]
    pub(crate) fn from_str_unchecked(text: &str) -> Atom {
        let src = text.as_bytes();
        if src.len() <= INLINE_CAP {
            let mut bytes = [0u8; INLINE_CAP];
            bytes[..src.len()].copy_from_slice(src);
            Atom(Repr::Inline {
                len: src.len() as u8,
                ascii: src.is_ascii(),
                bytes,
            })
        } else {
            Atom(Repr::Heap(Arc::from(text)))
        }
    }

    /// Makes an atom from the first `len` bytes of `window`, which the caller checked to be ASCII
    /// (and `len` at most 255). `window` may run on past the atom: for short atoms a fixed-size
    /// block is copied, which is faster than an exact copy; bytes past `len` are never read.
    #[inline]
    pub(crate) fn from_ascii_prefix(window: &[u8], len: usize) -> Atom {
        if len <= INLINE_CAP {
            let mut bytes = [0u8; INLINE_CAP];
            match window.get(..INLINE_CAP) {
                Some(block) => bytes.copy_from_slice(block),
                None => {
                    for (slot, b) in bytes.iter_mut().zip(window.iter().take(len)) {
                        *slot = *b;
                    }
                }
            }
            return Atom(Repr::Inline {
                len: len as u8,
                ascii: true,
                bytes,
            });
        }
        let text = window.get(..len).unwrap_or_default();
        match std::str::from_utf8(text) {
            Ok(text) => Self::from_str_unchecked(text),
            Err(_) => Self::from_str_unchecked(""),
        }
    }

    /// Makes an atom from Latin-1 bytes (ATOM_EXT, SMALL_ATOM_EXT), or `None` above 255 bytes.
    pub fn from_latin1(latin1: &[u8]) -> Option<Atom> {
        if latin1.len() > Self::MAX_CHARS {
            return None;
        }
        if latin1.is_ascii() {
            // ASCII is valid UTF-8 as it is.
            return Some(Self::from_ascii_prefix(latin1, latin1.len()));
        }
        let text: String = latin1.iter().map(|&b| char::from(b)).collect();
        Some(Self::from_str_unchecked(&text))
    }

    /// The atom's text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes, .. } => {
                let used = bytes.get(..usize::from(*len)).unwrap_or_default();
                // SAFETY: inline bytes are only ever copied whole from a `&str` (see
                // `from_str_unchecked`), so they are valid UTF-8.
                unsafe { std::str::from_utf8_unchecked(used) }
            }
            Repr::Heap(text) => text,
        }
    }

    /// Whether every character is ASCII.
    #[inline]
    pub(crate) fn is_ascii(&self) -> bool {
        match &self.0 {
            Repr::Inline { ascii, .. } => *ascii,
            Repr::Heap(text) => text.is_ascii(),
        }
    }

    /// For an inline atom: its whole fixed-size buffer and how many bytes of it are the text, so
    /// the encoder can copy a fixed-size block (fast) and then drop the unused tail.
    #[inline]
    pub(crate) fn inline_block(&self) -> Option<(&[u8; INLINE_CAP], usize)> {
        match &self.0 {
            Repr::Inline { len, bytes, .. } => Some((bytes, usize::from(*len))),
            Repr::Heap(_) => None,
        }
    }

    /// The atom's text as UTF-8 bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// The text as Latin-1 bytes when every character is at most U+00FF (what ATOM_EXT carries),
    /// written to `out`; returns false (and writes nothing) otherwise.
    pub(crate) fn write_latin1(&self, out: &mut Vec<u8>) -> bool {
        let text = self.as_str();
        if text.is_ascii() {
            out.extend_from_slice(text.as_bytes());
            return true;
        }
        if text.chars().any(|c| u32::from(c) > 0xFF) {
            return false;
        }
        out.extend(text.chars().map(|c| u32::from(c) as u8));
        true
    }

    /// How many bytes [`Atom::write_latin1`] writes, or `None` when the atom is not Latin-1.
    pub(crate) fn latin1_len(&self) -> Option<usize> {
        let text = self.as_str();
        if text.is_ascii() {
            return Some(text.len());
        }
        let mut n = 0;
        for c in text.chars() {
            if u32::from(c) > 0xFF {
                return None;
            }
            n += 1;
        }
        Some(n)
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Atom {}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Atom) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// OTP orders atoms by their text; comparing UTF-8 bytes gives the same order as comparing code
/// points (checked against OTP 25: `a < 'aé' < 'aĀ' < b < z < é < ÿ < 'Ā'`).
impl Ord for Atom {
    fn cmp(&self, other: &Atom) -> std::cmp::Ordering {
        self.as_str().as_bytes().cmp(other.as_str().as_bytes())
    }
}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", self.as_str())
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_atoms_compare_by_text() {
        let short = Atom::new("ok").unwrap();
        let long = Atom::new("a_rather_long_atom_name_that_is_on_the_heap").unwrap();
        assert_eq!(short.as_str(), "ok");
        assert_eq!(long.as_str(), "a_rather_long_atom_name_that_is_on_the_heap");
        assert!(short > long);
        assert_eq!(Atom::from_latin1(&[0xE9]).unwrap().as_str(), "é");
    }

    #[test]
    fn limits_are_characters_not_bytes() {
        assert!(Atom::new(&"é".repeat(255)).is_some());
        assert!(Atom::new(&"é".repeat(256)).is_none());
        assert!(Atom::new(&"a".repeat(256)).is_none());
    }
}
