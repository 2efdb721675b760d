//! Property tests of the text layer: everything the printer writes parses back to an equal term,
//! and the parser returns an error (never panics) on any input.

use num_bigint::BigInt;
use proptest::prelude::*;

use super::{parse_term, write_term};
use crate::term::{Atom, ExportFun, Fun, LocalFun, Map, Pid, Port, RefIds, Reference, Term};

/// Atom text with characters that need quoting and escaping, Latin-1 and beyond.
fn any_atom() -> impl Strategy<Value = Atom> {
    prop::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => prop::sample::select(vec![
                'A', 'Z', '0', '_', '@', ' ', '.', '\'', '"', '\\', '\n', '\t', '\u{0}', '\u{7}',
                '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}', '\u{a0}', 'ß', 'ä', 'Ä', '÷', '×', 'ÿ',
                'α', '€', '\u{1F600}',
            ]),
        ],
        0..10,
    )
    .prop_filter_map("atom", |cs| Atom::new(&cs.into_iter().collect::<String>()))
}

/// ASCII-only atoms: OTP prints export funs with non-ASCII atoms as UTF-8 bytes, which do not
/// read back (see `atom_text::write_atom_c_style`).
fn ascii_atom() -> impl Strategy<Value = Atom> {
    "[a-zA-Z0-9_@ .'\\\\\n]{0,8}".prop_filter_map("atom", |s| Atom::new(&s))
}

fn pid() -> impl Strategy<Value = Pid> {
    (any_atom(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
        |(node, id, serial, creation)| Pid {
            node,
            id,
            serial,
            creation,
        },
    )
}

fn leaf() -> impl Strategy<Value = Term> {
    prop_oneof![
        any::<i64>().prop_map(Term::Integer),
        prop::collection::vec(any::<u32>(), 3..8).prop_map(|words| {
            let n = BigInt::from_slice(num_bigint::Sign::Minus, &words);
            Term::from(n)
        }),
        any::<f64>().prop_filter_map("finite", Term::float),
        any_atom().prop_map(Term::Atom),
        prop::collection::vec(any::<u8>(), 0..10).prop_map(Term::binary),
        (prop::collection::vec(any::<u8>(), 1..4), 1u8..8)
            .prop_map(|(data, bits)| Term::bitstring(data, bits)),
        prop::collection::vec(0u32..0x11_0000, 0..6).prop_map(|codes| Term::list(
            codes.into_iter().map(|c| Term::Integer(c.into())).collect()
        )),
        pid().prop_map(Term::Pid),
        (any_atom(), any::<u64>(), any::<u32>())
            .prop_map(|(node, id, creation)| Term::Port(Port { node, id, creation })),
        (
            any_atom(),
            any::<u32>(),
            prop::collection::vec(any::<u32>(), 0..=5)
        )
            .prop_map(|(node, creation, ids)| Term::Reference(Box::new(Reference {
                node,
                creation,
                ids: RefIds::new(&ids).unwrap_or_default(),
            }))),
        (ascii_atom(), ascii_atom(), any::<u8>()).prop_map(|(module, function, arity)| {
            Term::Fun(Fun::Export(Box::new(ExportFun {
                module,
                function,
                arity,
            })))
        }),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Term::tuple),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Term::list),
            (prop::collection::vec(inner.clone(), 1..4), inner.clone())
                .prop_map(|(head, tail)| Term::improper_list(head, tail)),
            prop::collection::vec((inner.clone(), inner.clone()), 0..5).prop_map(|pairs| {
                let mut map = Map::new();
                for (key, value) in pairs {
                    map.insert(key, value);
                }
                Term::Map(map)
            }),
            (
                pid(),
                any_atom(),
                any::<[u8; 16]>(),
                any::<(u8, u32, u32, u32)>(),
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(
                    |(pid, module, uniq, (arity, index, old_index, old_uniq), free_vars)| {
                        Term::Fun(Fun::Local(Box::new(LocalFun {
                            arity,
                            uniq,
                            index,
                            module,
                            old_index,
                            old_uniq,
                            pid,
                            free_vars,
                        })))
                    }
                ),
        ]
    })
}

proptest! {
    #[test]
    fn printed_terms_parse_back_equal(t in term()) {
        let text = write_term(&t);
        let parsed = parse_term(&text);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&t), "text: {}", text);
        // A trailing full stop is allowed too.
        let with_stop = format!("{}.\n", text);
        prop_assert!(parse_term(&with_stop).is_ok());
    }

    #[test]
    fn parsing_any_text_never_panics(text in "[-+0-9a-zA-Z_#$<>{}\\[\\]|,.:/='\"\\\\ \n%^xé]{0,40}") {
        let _ = parse_term(&text);
    }

    #[test]
    fn parsing_any_string_never_panics(text in any::<String>()) {
        let _ = parse_term(&text);
    }
}
