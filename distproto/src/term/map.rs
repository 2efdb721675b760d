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
    /// what OTP emits for small maps: checked in one pass); a key given twice is an error.
    pub fn from_entries(mut entries: Vec<(Term, Term)>) -> Result<Map, DuplicateKey> {
        let sorted = entries
            .windows(2)
            .all(|w| matches!(w, [a, b] if compare(&a.0, &b.0, Mode::MapKey) == Ordering::Less));
        if sorted {
            return Ok(Map { entries });
        }
        if let Some(result) = sort_uniform(&mut entries) {
            return result.map(|()| Map { entries });
        }
        entries.sort_unstable_by(|a, b| compare(&a.0, &b.0, Mode::MapKey));
        let duplicate = entries
            .windows(2)
            .find(|w| matches!(w, [a, b] if compare(&a.0, &b.0, Mode::MapKey) == Ordering::Equal));
        if let Some([a, _]) = duplicate {
            return Err(DuplicateKey(a.0.clone()));
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
        let mut map = self;
        std::mem::take(&mut map.entries)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// For `Drop` (in `drop.rs`): the pairs, to be emptied.
    pub(super) fn entries_mut(&mut self) -> &mut Vec<(Term, Term)> {
        &mut self.entries
    }

    fn position(&self, key: &Term) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(k, _)| compare(k, key, Mode::MapKey))
    }
}

/// Sorts `entries` when every key is an integer, or every key an atom, or every key a binary (what
/// large maps usually have; OTP writes maps of more than 32 keys in hash order): on
/// (8-byte prefix, index) pairs, much cheaper to compare and move than the entries, which are then
/// moved once into place. `None` when the keys are of mixed kinds (the caller sorts generically);
/// else `Err` for a repeated key.
fn sort_uniform(entries: &mut [(Term, Term)]) -> Option<Result<(), DuplicateKey>> {
    if entries.len() > u32::MAX as usize {
        return None;
    }
    let mut order: Vec<(u64, u32)> = Vec::with_capacity(entries.len());
    match entries.first().map(|(k, _)| k) {
        Some(Term::Integer(_)) => {
            for (i, (key, _)) in entries.iter().enumerate() {
                let Term::Integer(x) = key else { return None };
                // Flipping the sign bit maps i64 order onto u64 order.
                order.push(((*x as u64) ^ (1 << 63), i as u32));
            }
            order.sort_unstable();
            if order.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
                return Some(Err(duplicate(entries, &order)));
            }
        }
        Some(Term::Atom(_) | Term::Binary(_)) => {
            for (i, (key, _)) in entries.iter().enumerate() {
                let bytes = byte_key(key, &entries[0].0)?;
                order.push((prefix(bytes), i as u32));
            }
            let full = |i: u32| entries.get(i as usize).and_then(|(k, _)| key_bytes(k));
            order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| full(a.1).cmp(&full(b.1))));
            if order
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.0 == b.0 && full(a.1) == full(b.1)))
            {
                return Some(Err(duplicate(entries, &order)));
            }
        }
        _ => return None,
    }
    // Move each entry to its place by following the permutation's cycles.
    let mut source: Vec<u32> = order.iter().map(|&(_, i)| i).collect();
    for start in 0..source.len() {
        let mut at = start;
        loop {
            let from = source.get(at).map_or(at, |&i| i as usize);
            if from == at {
                break;
            }
            if let Some(slot) = source.get_mut(at) {
                *slot = at as u32;
            }
            if from == start {
                break;
            }
            entries.swap(at, from);
            at = from;
        }
    }
    Some(Ok(()))
}

/// The bytes a key of the same kind as `first` (atom or binary) is ordered by.
fn byte_key<'a>(key: &'a Term, first: &Term) -> Option<&'a [u8]> {
    match (key, first) {
        (Term::Atom(a), Term::Atom(_)) => Some(a.as_bytes()),
        (Term::Binary(b), Term::Binary(_)) => Some(b),
        _ => None,
    }
}

fn key_bytes(key: &Term) -> Option<&[u8]> {
    match key {
        Term::Atom(a) => Some(a.as_bytes()),
        Term::Binary(b) => Some(b),
        _ => None,
    }
}

/// The first 8 bytes, zero-padded, as a big-endian number: ordering these agrees with ordering
/// the byte strings, except that equal prefixes need the full comparison.
fn prefix(bytes: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    for (d, s) in head.iter_mut().zip(bytes) {
        *d = *s;
    }
    u64::from_be_bytes(head)
}

/// The error for the first repeated key in sorted `order` (whose neighbours are equal keys).
#[cold]
fn duplicate(entries: &[(Term, Term)], order: &[(u64, u32)]) -> DuplicateKey {
    let key = order
        .windows(2)
        .find_map(|w| match w {
            [a, b] => {
                let (ka, kb) = (entries.get(a.1 as usize)?, entries.get(b.1 as usize)?);
                (ka.0 == kb.0).then(|| ka.0.clone())
            }
            _ => None,
        })
        .unwrap_or(Term::Integer(0));
    DuplicateKey(key)
}

impl IntoIterator for Map {
    type Item = (Term, Term);
    type IntoIter = std::vec::IntoIter<(Term, Term)>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_entries().into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = &'a (Term, Term);
    type IntoIter = std::slice::Iter<'a, (Term, Term)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Atom;

    fn generic_sorted(mut pairs: Vec<(Term, Term)>) -> Vec<(Term, Term)> {
        pairs.sort_by(|a, b| compare(&a.0, &b.0, Mode::MapKey));
        pairs
    }

    #[test]
    fn uniform_keys_sort_as_the_generic_order() {
        let ints: Vec<i64> = vec![5, -3, i64::MIN, i64::MAX, 0, 77, -1, 1 << 40];
        let binaries: Vec<&[u8]> = vec![
            b"key_0009",
            b"key_0001",
            b"key_00010",
            b"",
            b"a",
            b"a\0",
            b"key_0001\0",
            b"\xff",
            b"ab",
        ];
        let atoms = [
            "zeta",
            "alpha",
            "a_rather_long_atom_name",
            "a_rather_long_atom",
            "é",
            "b",
        ];
        let cases: Vec<Vec<Term>> = vec![
            ints.iter().map(|&i| Term::Integer(i)).collect(),
            binaries.iter().map(|b| Term::binary(b.to_vec())).collect(),
            atoms
                .iter()
                .map(|a| Term::Atom(Atom::new(a).unwrap()))
                .collect(),
        ];
        for keys in cases {
            let pairs: Vec<(Term, Term)> = keys
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k, Term::from(i as i64)))
                .collect();
            let map = Map::from_entries(pairs.clone()).unwrap();
            assert_eq!(map.entries(), generic_sorted(pairs.clone()).as_slice());
            let mut repeated = pairs.clone();
            repeated.push((pairs[2].0.clone(), Term::nil()));
            assert_eq!(
                Map::from_entries(repeated).unwrap_err(),
                DuplicateKey(pairs[2].0.clone())
            );
        }
    }
}
