//! Taking a term apart by value. `Term` implements `Drop` (see `drop.rs`), so a pattern cannot
//! move a vector or a pid out of it; these do, and give the term back when it is something else.

use bytes::Bytes;

use super::{Atom, Map, Pid, Term};

impl Term {
    /// The elements of a tuple, or the term itself when it is not a tuple.
    pub fn into_tuple(self) -> Result<Vec<Term>, Term> {
        let mut this = self;
        match &mut this {
            Term::Tuple(items) => Ok(std::mem::take(items)),
            _ => Err(this),
        }
    }

    /// The elements of a proper list (`[]` included), or the term itself when it is not one.
    pub fn into_list(self) -> Result<Vec<Term>, Term> {
        let mut this = self;
        match &mut this {
            Term::List(items) => Ok(std::mem::take(items)),
            _ => Err(this),
        }
    }

    /// The map, or the term itself when it is not a map.
    pub fn into_map(self) -> Result<Map, Term> {
        let mut this = self;
        match &mut this {
            Term::Map(map) => Ok(std::mem::take(map)),
            _ => Err(this),
        }
    }

    /// The bytes of a binary, or the term itself when it is not a binary.
    pub fn into_binary(self) -> Result<Bytes, Term> {
        let mut this = self;
        match &mut this {
            Term::Binary(bytes) => Ok(std::mem::take(bytes)),
            _ => Err(this),
        }
    }

    /// The pid, or the term itself when it is not a pid.
    pub fn into_pid(self) -> Result<Pid, Term> {
        let mut this = self;
        match &mut this {
            Term::Pid(pid) => {
                let empty = Pid {
                    node: Atom::from_str_unchecked(""),
                    id: 0,
                    serial: 0,
                    creation: 0,
                };
                Ok(std::mem::replace(pid, empty))
            }
            _ => Err(this),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_parts_or_gives_the_term_back() {
        let pair = Term::tuple(vec![Term::from(1), Term::atom("a")]);
        assert_eq!(
            pair.clone().into_tuple(),
            Ok(vec![Term::from(1), Term::atom("a")])
        );
        assert_eq!(pair.clone().into_list(), Err(pair.clone()));
        assert_eq!(Term::nil().into_list(), Ok(vec![]));
        let pid = Pid {
            node: Atom::from_str_unchecked("a@h"),
            id: 1,
            serial: 2,
            creation: 3,
        };
        assert_eq!(Term::Pid(pid.clone()).into_pid(), Ok(pid));
        assert_eq!(pair.clone().into_pid(), Err(pair.clone()));
        assert_eq!(
            Term::binary(b"ab".to_vec()).into_binary(),
            Ok(Bytes::from_static(b"ab"))
        );
        assert_eq!(pair.clone().into_binary(), Err(pair.clone()));
        let map = Map::from_pairs([(Term::atom("k"), Term::from(1))]).unwrap();
        assert_eq!(Term::Map(map.clone()).into_map(), Ok(map));
        assert_eq!(pair.clone().into_map(), Err(pair));
    }
}
