//! Maps: key/value pairs kept sorted by key in Erlang's term order, so two maps with the same
//! pairs are equal however they were built or decoded. Keys are unique.

use super::Term;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Map {
    entries: Vec<(Term, Term)>,
}
