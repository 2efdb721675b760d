//! Erlang's term order and exact equality for the term model, checked against OTP 25.
//! numbers < atoms < refs < funs < ports < pids < tuples < maps < nil < lists < bitstrings.
//!
//! The exact rules, as OTP 25's `erts_cmp` behaves (verified with `erl` experiments):
//! - numbers by value, exactly (an integer and a float are compared without rounding, bigints
//!   too). `==` ([`Term::erlang_eq`]) calls `1` and `1.0` equal; `Ord` breaks that tie
//!   integer-first so that it agrees with `Eq` (`=:=`). `0.0 =:= -0.0` as in OTP 25.
//! - atoms by their UTF-8 bytes; tuples by size, then elements; lists element by element, a tail
//!   compared as a term; bitstrings bit by bit, a prefix first.
//! - maps by size, then their keys in *map key order* (every integer before every float:
//!   `#{2 => a} < #{1.0 => a}`), then their values in that key order.
//! - references by node name, creation, then the id words as one little-endian number (high zero
//!   words ignored, so `[1,2]` equals `[1,2,0]`).
//! - ports by node name, creation, then id. Pids by serial, then id, then node name, then creation.
//! - funs: local funs before external ones; external by module, function, arity; local by module,
//!   old index, old uniq, number of free variables, free variables (OTP's rule), then, so that
//!   `Ord` agrees with `Eq`, by index, uniq, arity and pid.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};

use super::{BitString, Float, Fun, LocalFun, Map, Pid, Port, Reference, Term};

/// Which of Erlang's three comparisons to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `<`/`==`: an integer and a float of the same value are equal.
    Arith,
    /// Term order refined to agree with `=:=`: an integer comes before an equal float.
    Exact,
    /// OTP's map key order: every integer comes before every float.
    MapKey,
}

/// The place of a term's type in the term order.
fn rank(t: &Term) -> u8 {
    match t {
        Term::Integer(_) | Term::BigInt(_) | Term::Float(_) => 0,
        Term::Atom(_) => 1,
        Term::Reference(_) => 2,
        Term::Fun(_) => 3,
        Term::Port(_) => 4,
        Term::Pid(_) => 5,
        Term::Tuple(_) => 6,
        Term::Map(_) => 7,
        Term::List(items) if items.is_empty() => 8,
        Term::List(_) | Term::ImproperList(..) => 9,
        Term::Binary(_) | Term::BitString(_) => 10,
    }
}

/// Compares two terms with one of Erlang's comparisons.
pub(crate) fn compare(a: &Term, b: &Term, mode: Mode) -> Ordering {
    match (a, b) {
        (Term::Integer(x), Term::Integer(y)) => x.cmp(y),
        (Term::Atom(x), Term::Atom(y)) => x.cmp(y),
        (Term::Binary(x), Term::Binary(y)) => x.as_ref().cmp(y.as_ref()),
        (Term::Tuple(x), Term::Tuple(y)) => x
            .len()
            .cmp(&y.len())
            .then_with(|| compare_slices(x, y, mode)),
        (Term::List(x), Term::List(y)) => compare_lists(x, None, y, None, mode),
        (Term::List(x), Term::ImproperList(y, yt)) => compare_lists(x, None, y, Some(yt), mode),
        (Term::ImproperList(x, xt), Term::List(y)) => compare_lists(x, Some(xt), y, None, mode),
        (Term::ImproperList(x, xt), Term::ImproperList(y, yt)) => {
            compare_lists(x, Some(xt), y, Some(yt), mode)
        }
        (Term::Map(x), Term::Map(y)) => compare_maps(x, y, mode),
        (Term::Reference(x), Term::Reference(y)) => compare_refs(x, y),
        (Term::Pid(x), Term::Pid(y)) => compare_pids(x, y),
        (Term::Port(x), Term::Port(y)) => compare_ports(x, y),
        (Term::Fun(x), Term::Fun(y)) => compare_funs(x, y, mode),
        (Term::Binary(_) | Term::BitString(_), Term::Binary(_) | Term::BitString(_)) => {
            compare_bits(bits_of(a), bits_of(b))
        }
        _ => match (rank(a), rank(b)) {
            (0, 0) => compare_numbers(a, b, mode),
            (ra, rb) => ra.cmp(&rb),
        },
    }
}

fn compare_slices(x: &[Term], y: &[Term], mode: Mode) -> Ordering {
    for (a, b) in x.iter().zip(y) {
        match compare(a, b, mode) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    x.len().cmp(&y.len())
}

/// Compares two lists given as elements plus tail (`None` = proper list).
fn compare_lists(
    x: &[Term],
    xt: Option<&Term>,
    y: &[Term],
    yt: Option<&Term>,
    mode: Mode,
) -> Ordering {
    for (a, b) in x.iter().zip(y) {
        match compare(a, b, mode) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    // One side ran out of elements: its tail meets the rest of the other list.
    let nil_rank = 8;
    let list_rank = 9;
    let tail_rank = |t: Option<&Term>| t.map_or(nil_rank, rank);
    match x.len().cmp(&y.len()) {
        Ordering::Equal => match (xt, yt) {
            (None, None) => Ordering::Equal,
            (Some(a), Some(b)) => compare(a, b, mode),
            (None, Some(b)) => nil_rank.cmp(&rank(b)),
            (Some(a), None) => rank(a).cmp(&nil_rank),
        },
        Ordering::Less => tail_rank(xt).cmp(&list_rank),
        Ordering::Greater => list_rank.cmp(&tail_rank(yt)),
    }
}

fn compare_maps(x: &Map, y: &Map, mode: Mode) -> Ordering {
    let (xe, ye) = (x.entries(), y.entries());
    xe.len()
        .cmp(&ye.len())
        .then_with(|| {
            for ((a, _), (b, _)) in xe.iter().zip(ye) {
                match compare(a, b, Mode::MapKey) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            Ordering::Equal
        })
        .then_with(|| {
            for ((_, a), (_, b)) in xe.iter().zip(ye) {
                match compare(a, b, mode) {
                    Ordering::Equal => {}
                    other => return other,
                }
            }
            Ordering::Equal
        })
}

fn compare_refs(x: &Reference, y: &Reference) -> Ordering {
    x.node
        .cmp(&y.node)
        .then(x.creation.cmp(&y.creation))
        .then_with(|| {
            let (a, b) = (x.significant_ids(), y.significant_ids());
            a.len()
                .cmp(&b.len())
                .then_with(|| a.iter().rev().cmp(b.iter().rev()))
        })
}

fn compare_pids(x: &Pid, y: &Pid) -> Ordering {
    (x.serial, x.id)
        .cmp(&(y.serial, y.id))
        .then_with(|| x.node.cmp(&y.node))
        .then(x.creation.cmp(&y.creation))
}

fn compare_ports(x: &Port, y: &Port) -> Ordering {
    x.node
        .cmp(&y.node)
        .then(x.creation.cmp(&y.creation))
        .then(x.id.cmp(&y.id))
}

fn compare_funs(x: &Fun, y: &Fun, mode: Mode) -> Ordering {
    match (x, y) {
        (Fun::Local(_), Fun::Export(_)) => Ordering::Less,
        (Fun::Export(_), Fun::Local(_)) => Ordering::Greater,
        (Fun::Export(a), Fun::Export(b)) => {
            (&a.module, &a.function, a.arity).cmp(&(&b.module, &b.function, b.arity))
        }
        (Fun::Local(a), Fun::Local(b)) => compare_local_funs(a, b, mode),
    }
}

fn compare_local_funs(a: &LocalFun, b: &LocalFun, mode: Mode) -> Ordering {
    a.module
        .cmp(&b.module)
        .then(a.old_index.cmp(&b.old_index))
        .then(a.old_uniq.cmp(&b.old_uniq))
        .then(a.free_vars.len().cmp(&b.free_vars.len()))
        .then_with(|| compare_slices(&a.free_vars, &b.free_vars, mode))
        .then(a.index.cmp(&b.index))
        .then(a.uniq.cmp(&b.uniq))
        .then(a.arity.cmp(&b.arity))
        .then_with(|| compare_pids(&a.pid, &b.pid))
}

/// A binary or bitstring as (bytes, number of bits used).
fn bits_of(t: &Term) -> (&[u8], usize) {
    match t {
        Term::Binary(b) => (b, b.len() * 8),
        Term::BitString(b) => {
            let BitString { data, bits } = b.as_ref();
            let whole = data.len().saturating_sub(1) * 8;
            (data, whole + usize::from((*bits).min(8)))
        }
        _ => (&[], 0),
    }
}

/// Bit-by-bit comparison; a strict prefix comes first.
fn compare_bits((a, alen): (&[u8], usize), (b, blen): (&[u8], usize)) -> Ordering {
    let common = alen.min(blen);
    let whole = common / 8;
    let (aw, bw) = (
        a.get(..whole).unwrap_or_default(),
        b.get(..whole).unwrap_or_default(),
    );
    aw.cmp(bw).then_with(|| {
        let rest = common % 8;
        if rest > 0 {
            let mask = !(0xFFu8 >> rest);
            let ab = a.get(whole).copied().unwrap_or(0) & mask;
            let bb = b.get(whole).copied().unwrap_or(0) & mask;
            ab.cmp(&bb).then(alen.cmp(&blen))
        } else {
            alen.cmp(&blen)
        }
    })
}

fn compare_numbers(a: &Term, b: &Term, mode: Mode) -> Ordering {
    let is_float = |t: &Term| matches!(t, Term::Float(_));
    if mode == Mode::MapKey && is_float(a) != is_float(b) {
        return if is_float(a) {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    let by_value = match (a, b) {
        (Term::Integer(x), Term::Integer(y)) => x.cmp(y),
        (Term::Float(x), Term::Float(y)) => compare_floats(x.0, y.0),
        (Term::Integer(x), Term::Float(y)) => compare_i64_f64(*x, y.0),
        (Term::Float(x), Term::Integer(y)) => compare_i64_f64(*y, x.0).reverse(),
        (Term::BigInt(x), Term::Float(y)) => compare_big_f64(x, y.0),
        (Term::Float(x), Term::BigInt(y)) => compare_big_f64(y, x.0).reverse(),
        (Term::BigInt(x), Term::BigInt(y)) => x.cmp(y),
        (Term::BigInt(x), Term::Integer(y)) => x.cmp(&BigInt::from(*y)),
        (Term::Integer(x), Term::BigInt(y)) => BigInt::from(*x).cmp(y),
        _ => Ordering::Equal,
    };
    if by_value == Ordering::Equal && mode != Mode::Arith && is_float(a) != is_float(b) {
        // Integer before an equal float, so that the order agrees with `=:=`.
        return if is_float(a) {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    by_value
}

fn compare_floats(x: f64, y: f64) -> Ordering {
    // Finite floats: `partial_cmp` is total and calls 0.0 and -0.0 equal, as OTP 25 does.
    x.partial_cmp(&y).unwrap_or_else(|| x.total_cmp(&y))
}

/// Exact comparison of an integer with a finite float.
fn compare_i64_f64(x: i64, y: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if y.is_nan() {
        return Ordering::Less;
    }
    if y >= TWO_63 {
        return Ordering::Less;
    }
    if y < -TWO_63 {
        return Ordering::Greater;
    }
    let floor = y.floor();
    // In range [-2^63, 2^63): the cast is exact.
    let whole = floor as i64;
    x.cmp(&whole).then(if floor < y {
        Ordering::Less
    } else {
        Ordering::Equal
    })
}

/// Exact comparison of a bigint with a finite float.
fn compare_big_f64(x: &BigInt, y: f64) -> Ordering {
    let floor = y.floor();
    match BigInt::from_f64(floor) {
        Some(whole) => x.cmp(&whole).then(if floor < y {
            Ordering::Less
        } else {
            Ordering::Equal
        }),
        None if y > 0.0 => Ordering::Less,
        None => Ordering::Greater,
    }
}

impl Term {
    /// Erlang's `==`: like `=:=` but an integer equals a float of the same value (`1 == 1.0`).
    pub fn erlang_eq(&self, other: &Term) -> bool {
        compare(self, other, Mode::Arith) == Ordering::Equal
    }

    /// Erlang's `<`/`>` order (an integer and an equal float compare `Equal`).
    pub fn erlang_cmp(&self, other: &Term) -> Ordering {
        compare(self, other, Mode::Arith)
    }
}

/// `=:=`.
impl PartialEq for Term {
    fn eq(&self, other: &Term) -> bool {
        compare(self, other, Mode::Exact) == Ordering::Equal
    }
}

impl Eq for Term {}

impl PartialOrd for Term {
    fn partial_cmp(&self, other: &Term) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Term order, refined so that it agrees with `=:=` (see the module documentation).
impl Ord for Term {
    fn cmp(&self, other: &Term) -> Ordering {
        compare(self, other, Mode::Exact)
    }
}

impl Hash for Term {
    fn hash<H: Hasher>(&self, state: &mut H) {
        rank(self).hash(state);
        match self {
            Term::Integer(i) => i.hash(state),
            Term::BigInt(b) => match b.to_i64() {
                Some(i) => i.hash(state),
                None => b.hash(state),
            },
            Term::Float(f) => f.hash(state),
            Term::Atom(a) => a.hash(state),
            Term::Reference(r) => r.hash(state),
            Term::Fun(f) => f.hash(state),
            Term::Port(p) => p.hash(state),
            Term::Pid(p) => p.hash(state),
            Term::Tuple(items) => items.hash(state),
            Term::Map(m) => m.hash(state),
            Term::List(items) => items.hash(state),
            Term::ImproperList(items, tail) => {
                items.hash(state);
                tail.hash(state);
            }
            Term::Binary(_) | Term::BitString(_) => {
                let (data, bits) = bits_of(self);
                bits.hash(state);
                data.hash(state);
            }
        }
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        compare_maps(self, other, Mode::Exact) == Ordering::Equal
    }
}

impl Eq for Map {}

impl PartialOrd for Map {
    fn partial_cmp(&self, other: &Map) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Map {
    fn cmp(&self, other: &Map) -> Ordering {
        compare_maps(self, other, Mode::Exact)
    }
}

impl Hash for Map {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.entries().hash(state);
    }
}

/// By value; `0.0` equals `-0.0` as in OTP 25.
impl PartialEq for Float {
    fn eq(&self, other: &Float) -> bool {
        compare_floats(self.0, other.0) == Ordering::Equal
    }
}

impl Eq for Float {}

impl PartialOrd for Float {
    fn partial_cmp(&self, other: &Float) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Float {
    fn cmp(&self, other: &Float) -> Ordering {
        compare_floats(self.0, other.0)
    }
}

impl Hash for Float {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // `+ 0.0` turns -0.0 into 0.0 so that equal floats hash alike.
        (self.0 + 0.0).to_bits().hash(state);
    }
}

macro_rules! ord_by {
    ($ty:ty, $f:expr) => {
        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &$ty) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $ty {
            fn cmp(&self, other: &$ty) -> Ordering {
                $f(self, other)
            }
        }
    };
}

ord_by!(Pid, compare_pids);
ord_by!(Port, compare_ports);
ord_by!(Reference, compare_refs);
ord_by!(Fun, |a, b| compare_funs(a, b, Mode::Exact));
