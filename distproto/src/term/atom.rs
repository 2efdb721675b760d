//! Atoms: short immutable names, compared by their text (UTF-8 bytes, which is also OTP's order).
//! Never longer than 255 characters; atoms of up to 15 bytes are stored inline (16 bytes in all,
//! so that a `Pid` fits in 32 bytes and a `Term` in 40) and decoding them never allocates.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// How many UTF-8 bytes an atom may have and still be stored inline (no allocation).
pub(crate) const INLINE_CAP: usize = 15;

/// An atom. Cheap to clone (a copy of 16 bytes, or a reference-count increment for atoms longer
/// than 15 bytes); the text is UTF-8.
#[derive(Clone)]
pub struct Atom(Repr);

#[derive(Clone)]
enum Repr {
    /// `meta.len()` bytes of UTF-8 text at the start of `bytes`; the rest is unspecified.
    Inline { meta: Meta, bytes: [u8; INLINE_CAP] },
    /// A thin pointer (8 bytes), so that the whole enum fits in 16 bytes: the values `Meta`
    /// does not use serve as the discriminant.
    Heap(Arc<Box<str>>),
}

macro_rules! meta_enum {
    ($($name:ident = $value:literal),* $(,)?) => {
        /// Length (low 4 bits, 0..=15) and "not ASCII" (bit 4) of an inline atom, as an enum so
        /// that the values 32..=255 are free for the compiler to tag `Repr::Heap` with.
        #[derive(Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        enum Meta { $($name = $value),* }

        const METAS: [Meta; 32] = [$(Meta::$name),*];
    };
}

meta_enum!(
    M0 = 0,
    M1 = 1,
    M2 = 2,
    M3 = 3,
    M4 = 4,
    M5 = 5,
    M6 = 6,
    M7 = 7,
    M8 = 8,
    M9 = 9,
    M10 = 10,
    M11 = 11,
    M12 = 12,
    M13 = 13,
    M14 = 14,
    M15 = 15,
    M16 = 16,
    M17 = 17,
    M18 = 18,
    M19 = 19,
    M20 = 20,
    M21 = 21,
    M22 = 22,
    M23 = 23,
    M24 = 24,
    M25 = 25,
    M26 = 26,
    M27 = 27,
    M28 = 28,
    M29 = 29,
    M30 = 30,
    M31 = 31,
);

impl Meta {
    /// `len` must be at most [`INLINE_CAP`] (larger values are clamped).
    #[inline]
    fn new(len: usize, ascii: bool) -> Meta {
        let index = len.min(INLINE_CAP) | if ascii { 0 } else { 16 };
        METAS[index & 31]
    }

    #[inline]
    fn len(self) -> usize {
        usize::from(self as u8 & 15)
    }

    #[inline]
    fn ascii(self) -> bool {
        self as u8 & 16 == 0
    }
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
    /// Inline atoms keep their text at the start of `bytes`; the bytes after are unspecified
    /// and never read.
    #[inline]
    pub(crate) fn from_str_unchecked(text: &str) -> Atom {
        let src = text.as_bytes();
        if src.len() <= INLINE_CAP {
            let mut bytes = [0u8; INLINE_CAP];
            bytes[..src.len()].copy_from_slice(src);
            Atom(Repr::Inline {
                meta: Meta::new(src.len(), src.is_ascii()),
                bytes,
            })
        } else {
            Atom(Repr::Heap(Arc::new(Box::from(text))))
        }
    }

    /// Whether an atom of `len` UTF-8 bytes is stored inline (no allocation).
    #[inline]
    pub(crate) fn fits_inline(len: usize) -> bool {
        len <= INLINE_CAP
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
                meta: Meta::new(len, true),
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
            Repr::Inline { meta, bytes } => {
                let used = bytes.get(..meta.len()).unwrap_or_default();
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
            Repr::Inline { meta, .. } => meta.ascii(),
            Repr::Heap(text) => text.is_ascii(),
        }
    }

    /// Whether the atom is stored inline (dropping it frees nothing).
    #[inline(always)]
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    /// For an inline atom: its whole fixed-size buffer and how many bytes of it are the text, so
    /// the encoder can copy a fixed-size block (fast) and then drop the unused tail.
    #[inline]
    pub(crate) fn inline_block(&self) -> Option<(&[u8; INLINE_CAP], usize)> {
        match &self.0 {
            Repr::Inline { meta, bytes } => Some((bytes, meta.len())),
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
    #[inline]
    fn eq(&self, other: &Atom) -> bool {
        let (a, b) = (self.as_bytes(), other.as_bytes());
        // Clones of one long atom share their text: equal without reading it.
        a.len() == b.len() && (a.as_ptr() == b.as_ptr() || a == b)
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
    #[inline]
    fn cmp(&self, other: &Atom) -> std::cmp::Ordering {
        let (a, b) = (self.as_bytes(), other.as_bytes());
        if a.len() == b.len() && a.as_ptr() == b.as_ptr() {
            // Clones of one long atom share their text.
            return std::cmp::Ordering::Equal;
        }
        a.cmp(b)
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
    fn atom_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Atom>(), 16);
        assert_eq!(std::mem::size_of::<Option<Atom>>(), 16);
        let fifteen = Atom::new("abcdefghijklmno").unwrap();
        let sixteen = Atom::new("abcdefghijklmnop").unwrap();
        assert!(fifteen.inline_block().is_some() && sixteen.inline_block().is_none());
        assert_eq!(fifteen.as_str(), "abcdefghijklmno");
        assert_eq!(sixteen.as_str(), "abcdefghijklmnop");
        assert!(Atom::new("é").unwrap().inline_block().is_some());
        assert!(!Atom::new("é").unwrap().is_ascii());
        assert!(Atom::new("").unwrap().is_ascii());
    }

    #[test]
    fn limits_are_characters_not_bytes() {
        assert!(Atom::new(&"é".repeat(255)).is_some());
        assert!(Atom::new(&"é".repeat(256)).is_none());
        assert!(Atom::new(&"a".repeat(256)).is_none());
    }
}
