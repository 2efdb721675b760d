//! Maps: key/value pairs kept sorted in OTP's map key order, so two maps with the same pairs are
//! equal however they were built or decoded. Keys are unique; building with a repeated key fails.

use std::cmp::Ordering;

use super::order::{compare, Mode};
use super::Term;

/// An Erlang map. Entries are sorted by key in OTP's *map key order*: term order, except that every
/// integer sorts before every float (`#{2 => a, 1.0 => b}` iterates `2` first, as `maps:keys/1` and
/// OTP 25's `term_to_binary` do for maps of up to 32 keys).
#[derive(Debug, Clone, Default)]
pub struct Map {
    entries: Vec<(Term, Term)>,
}

/// Building a map met the same key twice (`=:=`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("duplicate map key {0:?}")]
pub struct DuplicateKey(pub Term);

impl Map {
    /// The empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// Builds a map from pairs in any order; a key given twice is an error.
    pub fn from_pairs<I>(pairs: I) -> Result<Map, DuplicateKey>
    where
        I: IntoIterator<Item = (Term, Term)>,
    {
        Map::from_entries(pairs.into_iter().collect())
    }

    /// Builds a map from a vector of pairs in any order (no copy when already sorted, which is
    /// what OTP emits for small maps); a key given twice is an error.
    pub fn from_entries(mut entries: Vec<(Term, Term)>) -> Result<Map, DuplicateKey> {
        let sorted = entries
            .windows(2)
            .all(|w| matches!(w, [a, b] if compare(&a.0, &b.0, Mode::MapKey) == Ordering::Less));
        if !sorted {
            entries.sort_unstable_by(|a, b| compare(&a.0, &b.0, Mode::MapKey));
            let duplicate = entries.windows(2).find(
                |w| matches!(w, [a, b] if compare(&a.0, &b.0, Mode::MapKey) == Ordering::Equal),
            );
            if let Some([a, _]) = duplicate {
                return Err(DuplicateKey(a.0.clone()));
            }
        }
        Ok(Map { entries })
    }

    /// The value stored under `key` (matched with `=:=`).
    pub fn get(&self, key: &Term) -> Option<&Term> {
        self.position(key)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: Term, value: Term) -> Option<Term> {
        match self.position(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|slot| std::mem::replace(&mut slot.1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &Term) -> Option<Term> {
        let i = self.position(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// The pairs in map key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Term, &Term)> + DoubleEndedIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The pairs in map key order, as a slice.
    pub fn entries(&self) -> &[(Term, Term)] {
        &self.entries
    }

    /// The pairs in map key order, by value.
    pub fn into_entries(self) -> Vec<(Term, Term)> {
        self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &Term) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(k, _)| compare(k, key, Mode::MapKey))
    }
}

impl IntoIterator for Map {
    type Item = (Term, Term);
    type IntoIter = std::vec::IntoIter<(Term, Term)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a (Term, Term);
    type IntoIter = std::slice::Iter<'a, (Term, Term)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}
