//! Atoms: short immutable names, compared by their text.
//! Never longer than 255 characters; the constructor refuses longer ones as OTP does.

use std::sync::Arc;

/// An atom. Cheap to clone; the text is UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Atom(Arc<str>);

impl Atom {
    /// The most characters an atom may have (OTP's `MAX_ATOM_CHARACTERS`).
    pub const MAX_CHARS: usize = 255;

    /// Makes an atom, or `None` when `text` has more than 255 characters.
    pub fn new(text: &str) -> Option<Atom> {
        (text.chars().count() <= Self::MAX_CHARS).then(|| Atom(Arc::from(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
