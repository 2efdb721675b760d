//! The id words of a reference, stored inline (at most 5, as OTP allows on the wire), so that a
//! reference is one allocation in a `Term` and none on its own. Never holds more than 5 words.

use std::fmt;
use std::ops::Deref;

/// Up to [`RefIds::MAX`] id words of a reference, kept as given (high zero words included, so a
/// reference re-encodes unchanged). Dereferences to `&[u32]`.
#[derive(Clone, Copy, Default)]
pub struct RefIds {
    len: u8,
    words: [u32; RefIds::MAX],
}

/// More than [`RefIds::MAX`] id words were given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a reference has at most 5 id words, not {0}")]
pub struct TooManyIds(pub usize);

impl RefIds {
    /// The most id words a reference may have (with DFLAG_V4_NC).
    pub const MAX: usize = 5;

    /// The words of `ids`, or an error when there are more than 5.
    pub fn new(ids: &[u32]) -> Result<RefIds, TooManyIds> {
        let mut words = [0u32; RefIds::MAX];
        match words.get_mut(..ids.len()) {
            Some(slot) => {
                slot.copy_from_slice(ids);
                Ok(RefIds {
                    len: ids.len() as u8,
                    words,
                })
            }
            None => Err(TooManyIds(ids.len())),
        }
    }

    /// Appends a word; an error when there are 5 already.
    pub fn push(&mut self, word: u32) -> Result<(), TooManyIds> {
        let len = usize::from(self.len);
        match self.words.get_mut(len) {
            Some(slot) => {
                *slot = word;
                self.len += 1;
                Ok(())
            }
            None => Err(TooManyIds(len + 1)),
        }
    }

    /// The words as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[u32] {
        self.words.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl Deref for RefIds {
    type Target = [u32];

    #[inline]
    fn deref(&self) -> &[u32] {
        self.as_slice()
    }
}

impl<const N: usize> From<[u32; N]> for RefIds {
    /// An array of more than 5 words does not compile; use [`RefIds::new`] for words that
    /// come from elsewhere.
    fn from(ids: [u32; N]) -> RefIds {
        const { assert!(N <= RefIds::MAX, "a reference has at most 5 id words") };
        let mut words = [0u32; RefIds::MAX];
        for (slot, word) in words.iter_mut().zip(ids) {
            *slot = word;
        }
        RefIds {
            len: N as u8,
            words,
        }
    }
}

impl TryFrom<&[u32]> for RefIds {
    type Error = TooManyIds;

    fn try_from(ids: &[u32]) -> Result<RefIds, TooManyIds> {
        RefIds::new(ids)
    }
}

impl TryFrom<Vec<u32>> for RefIds {
    type Error = TooManyIds;

    fn try_from(ids: Vec<u32>) -> Result<RefIds, TooManyIds> {
        RefIds::new(&ids)
    }
}

impl PartialEq for RefIds {
    /// Word for word (unlike [`super::Reference`]'s equality, which ignores high zero words).
    fn eq(&self, other: &RefIds) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for RefIds {}

impl fmt::Debug for RefIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<'a> IntoIterator for &'a RefIds {
    type Item = &'a u32;
    type IntoIter = std::slice::Iter<'a, u32>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_five_words() {
        assert_eq!(&*RefIds::from([1, 2, 3]), &[1, 2, 3]);
        assert_eq!(RefIds::new(&[0; 6]), Err(TooManyIds(6)));
        let mut ids = RefIds::new(&[1, 2, 3, 4]).unwrap_or_default();
        assert_eq!(ids.push(5), Ok(()));
        assert_eq!(ids.push(6), Err(TooManyIds(6)));
        assert_eq!(ids.len(), 5);
    }
}
