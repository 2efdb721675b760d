//! The Erlang term model: what a term *is*, independent of how it is encoded.
//! Equality (`Eq`) is Erlang's exact `=:=`; `Ord` is Erlang's term order (see `order.rs`).

mod atom;
mod bitstring;
mod construct;
mod drop;
pub(crate) use drop::owns_nothing;
mod float;
mod fun;
mod ids;
mod map;
mod order;
mod ref_ids;
mod take;

pub use atom::Atom;
pub use bitstring::BitString;
pub use float::Float;
pub use fun::{ExportFun, Fun, LocalFun};
pub use ids::{Pid, Port, Reference};
pub use map::{DuplicateKey, Map};
pub use ref_ids::{RefIds, TooManyIds};

use bytes::Bytes;
use num_bigint::BigInt;

/// One Erlang term.
///
/// Invariants kept by the constructors and the decoder (build terms with them, or normalise with
/// [`Term::normalize`] when building by hand):
/// - an integer that fits in `i64` is always `Integer`, never `BigInt`;
/// - `List` is a proper list (`[]`, nil, is the empty `List`); `ImproperList` has at least one
///   element and a tail that is not a list;
/// - a `BitString` always has 1..=7 bits in its last byte (a whole number of bytes is a `Binary`);
/// - `Float` is finite.
///
/// `PartialEq`/`Eq`/`Ord`/`Hash` are implemented by hand in `order.rs`.
///
/// Dropping, comparing and encoding recurse into nested terms: a term nested much deeper than the
/// decoder's default `max_depth` can exhaust the stack. Terms from the decoder are bounded by it.
#[derive(Debug, Clone)]
pub enum Term {
    Integer(i64),
    BigInt(BigInt),
    Float(Float),
    Atom(Atom),
    Reference(Box<Reference>),
    Fun(Fun),
    Port(Port),
    Pid(Pid),
    Tuple(Vec<Term>),
    Map(Map),
    List(Vec<Term>),
    ImproperList(Vec<Term>, Box<Term>),
    Binary(Bytes),
    BitString(Box<BitString>),
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Decoded data is mostly `Term`s: their size is most of the decoder's memory traffic.
    #[test]
    fn term_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Term>(), 40);
        assert_eq!(std::mem::size_of::<Pid>(), 32);
        // No variant fills all 40 bytes, so the discriminant is a byte of its own, not packed
        // into a niche of a variant (which makes every match on a term dearer).
        assert!(std::mem::size_of::<Fun>() <= 32);
    }
}
