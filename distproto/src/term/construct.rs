//! Constructors and conversions that build terms already in normal form (see [`Term`]'s
//! invariants), and [`Term::normalize`] for terms built by hand.

use bytes::{Bytes, BytesMut};
use num_bigint::BigInt;
use num_traits::ToPrimitive;

use super::{Atom, BitString, Float, Map, Pid, Port, Reference, Term};

impl Term {
    /// An atom term. Panics if `text` has more than 255 characters (use [`Term::try_atom`] for
    /// text that is not a literal).
    pub fn atom(text: &str) -> Term {
        match Atom::new(text) {
            Some(atom) => Term::Atom(atom),
            None => panic!("atom longer than 255 characters: {text:?}"),
        }
    }

    /// An atom term, or `None` when `text` has more than 255 characters.
    pub fn try_atom(text: &str) -> Option<Term> {
        Atom::new(text).map(Term::Atom)
    }

    /// `[]`.
    pub fn nil() -> Term {
        Term::List(Vec::new())
    }

    /// A proper list.
    pub fn list(items: Vec<Term>) -> Term {
        Term::List(items)
    }

    /// `[H1, H2, ... | Tail]`, normalised: a list tail is appended, an empty head gives the tail.
    pub fn improper_list(head: Vec<Term>, tail: Term) -> Term {
        let mut head = head;
        let mut tail = tail;
        match &mut tail {
            Term::List(rest) | Term::ImproperList(rest, _) => {
                // The tail's elements go after the head's, in the tail's own vector.
                head.append(rest);
                std::mem::swap(&mut head, rest);
                tail
            }
            _ if head.is_empty() => tail,
            _ => Term::ImproperList(head, Box::new(tail)),
        }
    }

    pub fn tuple(items: Vec<Term>) -> Term {
        Term::Tuple(items)
    }

    pub fn binary(data: impl Into<Bytes>) -> Term {
        Term::Binary(data.into())
    }

    /// A bitstring of `data` whose last byte has `bits` used bits (most significant first),
    /// normalised: `bits` 0 or 8 (or more) means whole bytes and gives a `Binary`; unused low bits
    /// are cleared.
    pub fn bitstring(data: impl Into<Bytes>, bits: u8) -> Term {
        let data: Bytes = data.into();
        if bits == 0 || bits >= 8 || data.is_empty() {
            return Term::Binary(data);
        }
        let mask = !(0xFFu8 >> bits);
        match data.last() {
            Some(&last) if last & !mask != 0 => {
                let mut owned = BytesMut::from(data.as_ref());
                if let Some(b) = owned.last_mut() {
                    *b &= mask;
                }
                Term::BitString(Box::new(BitString {
                    data: owned.freeze(),
                    bits,
                }))
            }
            _ => Term::BitString(Box::new(BitString { data, bits })),
        }
    }

    /// A float term, or `None` for NaN and infinities.
    pub fn float(value: f64) -> Option<Term> {
        Float::new(value).map(Term::Float)
    }

    /// Is this `[]`?
    pub fn is_nil(&self) -> bool {
        matches!(self, Term::List(items) if items.is_empty())
    }

    /// The atom's text, if this is an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Term::Atom(a) => Some(a.as_str()),
            _ => None,
        }
    }

    /// Re-establishes the invariants documented on [`Term`] everywhere in the term: bigints that
    /// fit become `Integer`, list tails are flattened, bitstrings of whole bytes become binaries,
    /// map keys are re-sorted (a key that became equal to another keeps the first value).
    pub fn normalize(self) -> Term {
        // `Term` implements `Drop`, so parts are taken out of it rather than moved.
        let mut this = self;
        match &mut this {
            Term::BigInt(b) => Term::from(std::mem::take(b)),
            Term::Tuple(items) => Term::Tuple(normalize_all(std::mem::take(items))),
            Term::List(items) => Term::List(normalize_all(std::mem::take(items))),
            Term::ImproperList(items, tail) => {
                let tail = std::mem::replace(&mut **tail, Term::nil());
                Term::improper_list(normalize_all(std::mem::take(items)), tail.normalize())
            }
            Term::BitString(b) => Term::bitstring(b.data.clone(), b.bits),
            Term::Map(map) => {
                let mut entries: Vec<(Term, Term)> = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (k.normalize(), v.normalize()))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                entries.dedup_by(|later, earlier| later.0 == earlier.0);
                match Map::from_entries(entries) {
                    Ok(map) => Term::Map(map),
                    Err(_) => Term::Map(Map::new()),
                }
            }
            Term::Fun(super::Fun::Local(f)) => {
                f.free_vars = normalize_all(std::mem::take(&mut f.free_vars));
                this
            }
            _ => this,
        }
    }
}

fn normalize_all(items: Vec<Term>) -> Vec<Term> {
    items.into_iter().map(Term::normalize).collect()
}

macro_rules! from_small_int {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Term {
            fn from(n: $ty) -> Term {
                Term::Integer(i64::from(n))
            }
        }
    )*};
}

from_small_int!(i8, u8, i16, u16, i32, u32, i64);

impl From<u64> for Term {
    fn from(n: u64) -> Term {
        match i64::try_from(n) {
            Ok(i) => Term::Integer(i),
            Err(_) => Term::BigInt(BigInt::from(n)),
        }
    }
}

impl From<i128> for Term {
    fn from(n: i128) -> Term {
        match i64::try_from(n) {
            Ok(i) => Term::Integer(i),
            Err(_) => Term::BigInt(BigInt::from(n)),
        }
    }
}

/// Normalising: a value that fits in `i64` becomes `Term::Integer`.
impl From<BigInt> for Term {
    fn from(n: BigInt) -> Term {
        match n.to_i64() {
            Some(i) => Term::Integer(i),
            None => Term::BigInt(n),
        }
    }
}

impl From<bool> for Term {
    fn from(b: bool) -> Term {
        Term::atom(if b { "true" } else { "false" })
    }
}

impl From<Atom> for Term {
    fn from(a: Atom) -> Term {
        Term::Atom(a)
    }
}

impl From<Float> for Term {
    fn from(f: Float) -> Term {
        Term::Float(f)
    }
}

impl From<Pid> for Term {
    fn from(p: Pid) -> Term {
        Term::Pid(p)
    }
}

impl From<Port> for Term {
    fn from(p: Port) -> Term {
        Term::Port(p)
    }
}

impl From<Reference> for Term {
    fn from(r: Reference) -> Term {
        Term::Reference(Box::new(r))
    }
}

impl From<Map> for Term {
    fn from(m: Map) -> Term {
        Term::Map(m)
    }
}

impl From<Bytes> for Term {
    fn from(b: Bytes) -> Term {
        Term::Binary(b)
    }
}

impl From<Vec<Term>> for Term {
    /// A proper list.
    fn from(items: Vec<Term>) -> Term {
        Term::List(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_normalise() {
        assert_eq!(Term::from(BigInt::from(5)), Term::Integer(5));
        assert_eq!(
            Term::improper_list(vec![Term::from(1)], Term::list(vec![Term::from(2)])),
            Term::list(vec![Term::from(1), Term::from(2)])
        );
        assert_eq!(
            Term::improper_list(vec![], Term::atom("a")),
            Term::atom("a")
        );
        assert_eq!(Term::bitstring(vec![1u8, 2], 8), Term::binary(vec![1u8, 2]));
        assert_eq!(
            Term::bitstring(vec![0xFFu8], 3),
            Term::BitString(Box::new(BitString {
                data: Bytes::from_static(&[0xE0]),
                bits: 3
            }))
        );
    }
}
