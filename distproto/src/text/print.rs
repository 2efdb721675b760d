//! The `~w` printer: a term as OTP 25's `io_lib:format("~w", [Term])` prints it, character for
//! character. Pids, ports, references and local funs use the parseable forms of `ids.rs` instead.

use super::atom_text::{write_atom, write_atom_c_style};
use super::float_text::format_float;
use super::ids::{write_local_fun_head, write_pid, write_port, write_ref};
use crate::term::{BitString, Fun, Term};

/// The text of `term` as `~w` prints it (see the module doc for the exceptions).
///
/// The result is the character list OTP produces; write it out as UTF-8. Maps are printed in the
/// map's key order, which is OTP's for maps of up to 32 keys.
pub fn write_term(term: &Term) -> String {
    let mut out = String::new();
    write(&mut out, term);
    out
}

fn write(out: &mut String, term: &Term) {
    match term {
        Term::Integer(n) => out.push_str(&n.to_string()),
        Term::BigInt(n) => out.push_str(&n.to_string()),
        Term::Float(f) => out.push_str(&format_float(f.value())),
        Term::Atom(atom) => write_atom(out, atom.as_str()),
        Term::Pid(pid) => write_pid(out, pid),
        Term::Port(port) => write_port(out, port),
        Term::Reference(reference) => write_ref(out, reference),
        Term::Fun(Fun::Export(fun)) => {
            out.push_str("fun ");
            write_atom_c_style(out, fun.module.as_str());
            out.push(':');
            write_atom_c_style(out, fun.function.as_str());
            out.push_str(&format!("/{}", fun.arity));
        }
        Term::Fun(Fun::Local(fun)) => {
            write_local_fun_head(out, fun);
            write_sequence(out, '[', &fun.free_vars, None, ']');
            out.push('>');
        }
        Term::Tuple(items) => write_sequence(out, '{', items, None, '}'),
        Term::List(items) => write_sequence(out, '[', items, None, ']'),
        Term::ImproperList(items, tail) => write_sequence(out, '[', items, Some(tail), ']'),
        Term::Map(map) => {
            out.push_str("#{");
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, key);
                out.push_str(" => ");
                write(out, value);
            }
            out.push('}');
        }
        Term::Binary(bytes) => write_binary(out, bytes, None),
        Term::BitString(bits) => write_bitstring(out, bits),
    }
}

/// `{a,b}`, `[a,b]` or `[a,b|tail]`.
fn write_sequence(out: &mut String, open: char, items: &[Term], tail: Option<&Term>, close: char) {
    out.push(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    if let Some(tail) = tail {
        out.push('|');
        write(out, tail);
    }
    out.push(close);
}

/// `<<1,2,3>>`, with an optional last partial byte `LAST:BITS` (`<<1,2:3>>`).
fn write_binary(out: &mut String, bytes: &[u8], partial: Option<(u8, u8)>) {
    out.push_str("<<");
    let mut first = true;
    for byte in bytes {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&byte.to_string());
    }
    if let Some((value, bits)) = partial {
        if !first {
            out.push(',');
        }
        out.push_str(&format!("{value}:{bits}"));
    }
    out.push_str(">>");
}

fn write_bitstring(out: &mut String, bits: &BitString) {
    match bits.data.split_last() {
        Some((&last, whole)) if (1..8).contains(&bits.bits) => {
            let value = last >> (8 - bits.bits);
            write_binary(out, whole, Some((value, bits.bits)));
        }
        // Not a valid partial byte: print what is there rather than fail.
        _ => write_binary(out, &bits.data, None),
    }
}

#[cfg(test)]
mod tests {
    use super::write_term;
    use crate::term::{BitString, ExportFun, Fun, Map, Pid, Term};

    fn atom(name: &str) -> Term {
        Term::atom(name)
    }

    #[test]
    fn prints_like_otp() {
        let map = Map::from_pairs([(atom("b"), Term::Integer(2)), (atom("a"), Term::Integer(1))])
            .unwrap();
        let cases = vec![
            (Term::Map(map), "#{a => 1,b => 2}"),
            (Term::Map(Map::new()), "#{}"),
            (Term::Tuple(vec![]), "{}"),
            (Term::Tuple(vec![atom("a"), Term::Integer(-1)]), "{a,-1}"),
            (Term::List(vec![]), "[]"),
            (
                Term::List(vec![Term::Integer(97), Term::Integer(98)]),
                "[97,98]",
            ),
            (
                Term::ImproperList(vec![Term::Integer(1)], Box::new(Term::Integer(2))),
                "[1|2]",
            ),
            (Term::Binary(vec![1, 2, 3].into()), "<<1,2,3>>"),
            (Term::Binary(Vec::new().into()), "<<>>"),
            (
                Term::BitString(Box::new(BitString {
                    data: vec![0b0010_0000].into(),
                    bits: 3,
                })),
                "<<1:3>>",
            ),
            (
                Term::BitString(Box::new(BitString {
                    data: vec![1, 0b0100_0000].into(),
                    bits: 3,
                })),
                "<<1,2:3>>",
            ),
            (
                Term::Fun(Fun::Export(Box::new(ExportFun {
                    module: crate::term::Atom::new("lists").unwrap(),
                    function: crate::term::Atom::new("map").unwrap(),
                    arity: 2,
                }))),
                "fun lists:map/2",
            ),
            (
                Term::Pid(Pid {
                    node: crate::term::Atom::new("a@b").unwrap(),
                    id: 80,
                    serial: 1,
                    creation: 3,
                }),
                "#Pid<'a@b'.80.1.3>",
            ),
        ];
        for (term, text) in cases {
            assert_eq!(write_term(&term), text);
        }
    }
}
