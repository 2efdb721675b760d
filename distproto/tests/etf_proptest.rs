//! Property tests of the codec and the term order: decode(encode(t)) == t for every kind of term
//! and every encoding option, and `Ord`/`Eq`/`Hash` behave as one consistent total order.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use distproto::etf::{self, DecodeOptions, EncodeOptions};
use distproto::term::{Atom, ExportFun, Fun, LocalFun, Map, Pid, Port, RefIds, Reference, Term};
use num_bigint::{BigInt, Sign};
use proptest::prelude::*;

fn atom_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_]{0,12}",
        1 => "[a-zA-Z0-9@.]{20,40}",
        1 => "[a-zé\u{ff}]{1,8}",
        1 => "[a-zĀ-ſ\u{1F600}]{1,8}",
    ]
}

fn atom() -> impl Strategy<Value = Atom> {
    atom_text().prop_map(|t| Atom::new(&t).unwrap())
}

fn pid() -> impl Strategy<Value = Pid> {
    (atom(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(node, id, serial, creation)| {
        Pid {
            node,
            id,
            serial,
            creation,
        }
    })
}

fn leaf() -> impl Strategy<Value = Term> {
    prop_oneof![
        any::<i64>().prop_map(Term::from),
        (0i64..300).prop_map(Term::from),
        (any::<bool>(), prop::collection::vec(any::<u8>(), 8..40)).prop_map(|(neg, bytes)| {
            let sign = if neg { Sign::Minus } else { Sign::Plus };
            Term::from(BigInt::from_bytes_le(sign, &bytes))
        }),
        any::<f64>().prop_filter_map("finite", Term::float),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(-1.0)]
            .prop_map(|f| Term::float(f).unwrap()),
        atom().prop_map(Term::Atom),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(Term::binary),
        (prop::collection::vec(any::<u8>(), 1..6), 1u8..8).prop_map(|(d, b)| Term::bitstring(d, b)),
        pid().prop_map(Term::Pid),
        (atom(), any::<u64>(), any::<u32>()).prop_map(|(node, id, creation)| Term::Port(Port {
            node,
            id,
            creation
        })),
        (
            atom(),
            any::<u32>(),
            prop::collection::vec(any::<u32>(), 0..=5)
        )
            .prop_map(|(node, creation, ids)| Term::Reference(Box::new(Reference {
                node,
                creation,
                ids: RefIds::new(&ids).unwrap_or_default(),
            }))),
        (atom(), atom(), any::<u8>()).prop_map(|(module, function, arity)| {
            Term::Fun(Fun::Export(Box::new(ExportFun {
                module,
                function,
                arity,
            })))
        }),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Term::tuple),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Term::list),
            (prop::collection::vec(inner.clone(), 0..4), inner.clone())
                .prop_map(|(head, tail)| Term::improper_list(head, tail)),
            prop::collection::vec((inner.clone(), inner.clone()), 0..6).prop_map(|pairs| {
                let mut map = Map::new();
                for (k, v) in pairs {
                    map.insert(k, v);
                }
                Term::Map(map)
            }),
            (
                pid(),
                atom(),
                any::<[u8; 16]>(),
                any::<u32>(),
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(pid, module, uniq, index, free_vars)| {
                    Term::Fun(Fun::Local(Box::new(LocalFun {
                        arity: (index % 5) as u8,
                        uniq,
                        index,
                        module,
                        old_index: index / 3,
                        old_uniq: index.rotate_left(7),
                        pid,
                        free_vars,
                    })))
                }),
        ]
    })
}

fn all_options() -> Vec<EncodeOptions> {
    let mut all = Vec::new();
    for minor_version in 0..=2 {
        for compressed in [None, Some(1), Some(6), Some(9)] {
            all.push(EncodeOptions {
                minor_version,
                compressed,
            });
        }
    }
    all
}

fn hash(t: &Term) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn decode_inverts_encode(t in term()) {
        for options in all_options() {
            let bytes = etf::encode_with(&t, &options).unwrap();
            let (back, used) = etf::decode_with(&bytes, &DecodeOptions::default()).unwrap();
            prop_assert_eq!(&back, &t, "{:?}", options);
            prop_assert_eq!(used, bytes.len());
            let shared = etf::decode_bytes(bytes::Bytes::from(bytes.clone())).unwrap();
            prop_assert_eq!(&shared, &t);
            // Encoding is canonical: the decoded term encodes to the same bytes.
            prop_assert_eq!(etf::encode_with(&back, &options).unwrap(), bytes);
        }
    }

    #[test]
    fn bare_terms_round_trip(t in term()) {
        let mut out = vec![0xAA];
        etf::encode_term_into(&t, &mut out, &EncodeOptions::default()).unwrap();
        let (back, end) = etf::decode_term_at(&out, 1, &DecodeOptions::default()).unwrap();
        prop_assert_eq!(back, t);
        prop_assert_eq!(end, out.len());
    }

    #[test]
    fn order_is_total_and_agrees_with_eq_and_hash(a in term(), b in term(), c in term()) {
        for (x, y) in [(&a, &b), (&b, &c), (&a, &c), (&a, &a)] {
            prop_assert_eq!(x.cmp(y), y.cmp(x).reverse());
            prop_assert_eq!(x == y, x.cmp(y) == std::cmp::Ordering::Equal);
            if x == y {
                prop_assert_eq!(hash(x), hash(y));
                prop_assert!(x.erlang_eq(y));
            }
            // `==` only merges integers with equal floats, so it never reverses the order.
            let arith = x.erlang_cmp(y);
            prop_assert!(arith == std::cmp::Ordering::Equal || arith == x.cmp(y));
        }
        let mut v = [a, b, c];
        v.sort();
        prop_assert!(v[0] <= v[1] && v[1] <= v[2] && v[0] <= v[2]);
        let clone = v[1].clone();
        prop_assert_eq!(&clone, &v[1]);
        prop_assert_eq!(hash(&clone), hash(&v[1]));
    }

    #[test]
    fn maps_built_in_any_order_are_equal(
        pairs in prop::collection::btree_map(leaf(), leaf(), 0..40)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
    ) {
        let shuffled = Map::from_pairs(pairs.clone()).unwrap();
        let mut sorted_pairs = pairs;
        sorted_pairs.sort();
        let sorted = Map::from_pairs(sorted_pairs.clone()).unwrap();
        prop_assert_eq!(&shuffled, &sorted);
        prop_assert_eq!(etf::encode(&Term::Map(shuffled.clone())).unwrap(), etf::encode(&Term::Map(sorted)).unwrap());
        for (k, v) in &sorted_pairs {
            prop_assert_eq!(shuffled.get(k), Some(v));
        }
        if let Some((k, v)) = sorted_pairs.first() {
            let mut dup = sorted_pairs.clone();
            dup.push((k.clone(), v.clone()));
            prop_assert!(Map::from_pairs(dup).is_err());
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut input = vec![131];
        input.extend(bytes);
        if let Ok(t) = etf::decode(&input) {
            let again = etf::decode(&etf::encode(&t).unwrap()).unwrap();
            prop_assert_eq!(again, t);
        }
    }
}

#[test]
fn numbers_compare_exactly_and_ties_put_integers_first() {
    let int = |i: i64| Term::from(i);
    let float = |f: f64| Term::float(f).unwrap();
    let big = |b: BigInt| Term::from(b);
    // Checked against OTP 25: 2^53+1 > 2^53.0, exact at every magnitude.
    assert!(int(9007199254740993) > float(9007199254740992.0));
    assert!(int(-9007199254740993) < float(-9007199254740992.0));
    assert!(big((BigInt::from(1) << 100u32) + 1) > float(2f64.powi(100)));
    assert!(big(BigInt::from(1) << 100u32) > float(1.0e30));
    assert!(int(1) < float(1.5) && float(1.5) < int(2));
    assert!(int(1) != float(1.0));
    assert!(int(1).erlang_eq(&float(1.0)));
    assert!(int(1) < float(1.0), "integer first on a tie");
    assert_eq!(float(0.0), float(-0.0));
    // Type order.
    let pid = Term::Pid(Pid {
        node: Atom::new("a").unwrap(),
        id: 1,
        serial: 0,
        creation: 1,
    });
    let ordered = [
        int(5),
        Term::atom("a"),
        Term::Reference(Box::new(Reference {
            node: Atom::new("a").unwrap(),
            creation: 1,
            ids: [1].into(),
        })),
        Term::Fun(Fun::Export(Box::new(ExportFun {
            module: Atom::new("m").unwrap(),
            function: Atom::new("f").unwrap(),
            arity: 0,
        }))),
        Term::Port(Port {
            node: Atom::new("a").unwrap(),
            id: 1,
            creation: 1,
        }),
        pid,
        Term::tuple(vec![]),
        Term::Map(Map::new()),
        Term::nil(),
        Term::list(vec![int(1)]),
        Term::bitstring(vec![0u8], 1),
    ];
    for w in ordered.windows(2) {
        assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
    }
}

#[test]
fn otp_25_order_of_maps_bitstrings_and_identifiers() {
    let map = |pairs: Vec<(Term, Term)>| Term::Map(Map::from_pairs(pairs).unwrap());
    let (a, b) = (Term::atom("a"), Term::atom("b"));
    let (one, two, onef) = (Term::from(1), Term::from(2), Term::float(1.0).unwrap());
    // Checked against OTP 25 (`erl`): keys in map key order (integers before floats) first.
    assert!(map(vec![(one.clone(), a.clone())]) < map(vec![(onef.clone(), a.clone())]));
    assert!(map(vec![(two.clone(), a.clone())]) < map(vec![(onef.clone(), a.clone())]));
    assert!(map(vec![(one.clone(), two.clone())]) < map(vec![(onef, one.clone())]));
    assert!(
        map(vec![(a.clone(), one.clone()), (b.clone(), two.clone())])
            < map(vec![(a, two), (b, one)])
    );
    // [<<>>, <<0:1>>, <<1>>, <<1,2>>, <<1:4>>, <<1:3>>, <<32>>] is sorted in OTP 25.
    let bits = [
        Term::binary(vec![]),
        Term::bitstring(vec![0u8], 1),
        Term::binary(vec![1u8]),
        Term::binary(vec![1u8, 2]),
        Term::bitstring(vec![0x10u8], 4),
        Term::bitstring(vec![0x20u8], 3),
        Term::binary(vec![32u8]),
    ];
    for w in bits.windows(2) {
        assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
    }
    // Pids: serial, id, node, creation. Ports and references: node, creation, then id.
    let pid = |n: &str, id, serial, creation| {
        Term::Pid(Pid {
            node: Atom::new(n).unwrap(),
            id,
            serial,
            creation,
        })
    };
    assert!(pid("b", 1, 1, 1) < pid("a", 2, 1, 1));
    assert!(pid("a", 2, 1, 1) < pid("a", 1, 2, 1));
    assert!(pid("a", 1, 1, 1) < pid("b", 1, 1, 1));
    assert!(pid("b", 1, 1, 1) > pid("a", 1, 1, 2));
    let port = |n: &str, id, creation| {
        Term::Port(Port {
            node: Atom::new(n).unwrap(),
            id,
            creation,
        })
    };
    assert!(port("b", 1, 1) > port("a", 2, 1));
    assert!(port("a", 1, 3) > port("a", 2, 2));
    let r = |n: &str, creation, ids: Vec<u32>| {
        Term::Reference(Box::new(Reference {
            node: Atom::new(n).unwrap(),
            creation,
            ids: RefIds::new(&ids).unwrap(),
        }))
    };
    assert!(r("b", 1, vec![1, 2, 3]) > r("a", 1, vec![1, 2, 4]));
    assert!(r("a", 3, vec![1, 2, 3]) > r("a", 2, vec![1, 2, 4]));
    assert!(r("a", 1, vec![5, 1, 1]) < r("a", 1, vec![1, 1, 2]));
    assert!(r("a", 1, vec![9, 9]) < r("a", 1, vec![1, 1, 1]));
    assert_eq!(r("a", 1, vec![1, 2]), r("a", 1, vec![1, 2, 0]));
    // Atoms by UTF-8 text: a < 'aé' < 'aĀ' < b < z < é < ÿ < 'Ā'.
    let atoms = ["a", "aé", "aĀ", "b", "z", "é", "ÿ", "Ā"].map(Term::atom);
    for w in atoms.windows(2) {
        assert!(w[0] < w[1]);
    }
    // Lists: an improper tail compares as a term; [1] < [1, 2]; [a, b | c] < [a, b].
    let l = |v: Vec<Term>| Term::list(v);
    assert!(l(vec![Term::from(1)]) < l(vec![Term::from(1), Term::from(2)]));
    let improper = Term::improper_list(vec![Term::atom("a"), Term::atom("b")], Term::atom("c"));
    assert!(improper < l(vec![Term::atom("a"), Term::atom("b")]));
}
