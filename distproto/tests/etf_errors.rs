//! Malformed and hostile input: every case must be a typed error (never a panic, never a huge
//! allocation), and limits must hold. Expectations on what OTP refuses come from OTP 25.2.3.

use distproto::etf::{self, DecodeErrorKind as K, DecodeOptions, EncodeOptions};
use distproto::term::{Atom, Term};

fn kind(bytes: &[u8]) -> K {
    etf::decode(bytes).expect_err("must be refused").kind
}

#[test]
fn version_byte() {
    assert_eq!(kind(&[]), K::BadVersion { found: None });
    assert_eq!(kind(&[130, 97, 1]), K::BadVersion { found: Some(130) });
}

#[test]
fn every_prefix_of_a_valid_term_is_an_error_not_a_panic() {
    let term = Term::tuple(vec![
        Term::atom("ok"),
        Term::list(vec![Term::from(1_000_000), Term::binary(vec![1u8, 2, 3])]),
        Term::float(2.5).unwrap(),
        Term::from(num_bigint::BigInt::from(1) << 80u32),
        Term::bitstring(vec![0xF0u8], 4),
    ]);
    let bytes = etf::encode(&term).unwrap();
    for end in 0..bytes.len() {
        let err = etf::decode(&bytes[..end]).expect_err("prefix must fail");
        if end > 0 {
            assert!(matches!(err.kind, K::Truncated { .. }), "{end}: {err}");
        }
    }
    assert_eq!(etf::decode(&bytes).unwrap(), term);
}

#[test]
fn tags_otp_refuses() {
    assert_eq!(kind(&[131, 200]), K::UnknownTag(200));
    assert_eq!(kind(&[131, 117, 0, 0, 0, 0]), K::FunExt);
    assert_eq!(kind(&[131, 121, 0, 0, 0, 0]), K::LocalExt);
    assert_eq!(kind(&[131, 68, 0]), K::DistHeader(68));
    assert_eq!(kind(&[131, 104, 1, 80, 0, 0, 0, 1]), K::NestedCompression);
}

#[test]
fn atoms() {
    let err = etf::decode(&[131, 119, 1, 0xFF]).unwrap_err();
    assert_eq!(err.to_string(), "at byte 1: atom is not valid UTF-8");
    let mut long = vec![131, 100, 1, 0];
    long.extend(std::iter::repeat_n(b'a', 256));
    assert!(matches!(kind(&long), K::AtomTooLong { .. }));
    // 255 two-byte characters are fine, 256 are not (OTP 25 agrees).
    for (chars, ok) in [(255usize, true), (256, false)] {
        let text = "é".repeat(chars);
        let mut bytes = vec![131, 118];
        bytes.extend((text.len() as u16).to_be_bytes());
        bytes.extend(text.as_bytes());
        assert_eq!(etf::decode(&bytes).is_ok(), ok, "{chars}");
    }
    // Latin-1 atoms become UTF-8 text.
    assert_eq!(etf::decode(&[131, 115, 1, 0xE9]).unwrap(), Term::atom("é"));
}

#[test]
fn floats() {
    let nan = f64::NAN.to_bits().to_be_bytes();
    let inf = f64::INFINITY.to_bits().to_be_bytes();
    for bits in [nan, inf] {
        let mut bytes = vec![131, 70];
        bytes.extend(bits);
        assert_eq!(kind(&bytes), K::NotFinite);
    }
    let mut text = vec![131, 99];
    text.extend(b"15");
    text.resize(2 + 31, 0);
    assert!(matches!(kind(&text), K::BadFloatText(_)));
    assert!(etf::encode(&Term::Float(distproto::term::Float(f64::NAN))).is_err());
}

#[test]
fn maps() {
    let dup = [131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2];
    assert_eq!(kind(&dup), K::DuplicateMapKey);
    // Any key order is accepted and gives the same map.
    let ba = [131, 116, 0, 0, 0, 2, 97, 2, 97, 0, 97, 1, 97, 0];
    let ab = [131, 116, 0, 0, 0, 2, 97, 1, 97, 0, 97, 2, 97, 0];
    assert_eq!(etf::decode(&ba).unwrap(), etf::decode(&ab).unwrap());
}

#[test]
fn bitstrings() {
    assert!(matches!(
        kind(&[131, 77, 0, 0, 0, 1, 0, 0xFF]),
        K::BadBitStringBits { .. }
    ));
    assert!(matches!(
        kind(&[131, 77, 0, 0, 0, 0, 3]),
        K::BadBitStringBits { .. }
    ));
    assert!(matches!(
        kind(&[131, 77, 0, 0, 0, 1, 9, 0xFF]),
        K::BadBitStringBits { .. }
    ));
    assert_eq!(
        etf::decode(&[131, 77, 0, 0, 0, 0, 0]).unwrap(),
        Term::binary(vec![])
    );
    assert_eq!(
        etf::decode(&[131, 77, 0, 0, 0, 1, 8, 7]).unwrap(),
        Term::binary(vec![7u8])
    );
    // Unused bits are cleared, as OTP does (<<255:8>> with 3 bits is <<7:3>>).
    assert_eq!(
        etf::decode(&[131, 77, 0, 0, 0, 1, 3, 0xFF]).unwrap(),
        Term::bitstring(vec![0xE0u8], 3)
    );
}

#[test]
fn references_and_funs() {
    let mut six = vec![131, 90, 0, 6, 119, 1, b'a', 0, 0, 0, 1];
    six.extend([0u8; 24]);
    assert_eq!(kind(&six), K::ReferenceTooLong { words: 6 });
    let mut zero = vec![131, 90, 0, 0, 119, 1, b'a', 0, 0, 0, 1];
    assert!(etf::decode(&zero).is_ok());
    zero.truncate(5);
    assert!(etf::decode(&zero).is_err());
    // EXPORT_EXT arity as INTEGER_EXT is accepted (OTP does); 256 does not fit our u8 arity.
    let export = |arity: &[u8]| {
        let mut b = vec![131, 113, 119, 1, b'm', 119, 1, b'f'];
        b.extend(arity);
        b
    };
    assert!(etf::decode(&export(&[98, 0, 0, 0, 2])).is_ok());
    assert!(matches!(
        kind(&export(&[98, 0, 0, 1, 0])),
        K::OutOfRange { .. }
    ));
    assert!(matches!(
        kind(&export(&[100, 0, 1, b'x'])),
        K::ExpectedInteger(100)
    ));
}

#[test]
fn atom_cache_refs() {
    assert_eq!(kind(&[131, 82, 3]), K::NoAtomCache { index: 3 });
    let cache = vec![Atom::new("zero").unwrap(), Atom::new("one").unwrap()];
    let opts = DecodeOptions {
        atom_cache: Some(&cache),
        ..DecodeOptions::default()
    };
    let (term, used) = etf::decode_with(&[131, 82, 1], &opts).unwrap();
    assert_eq!((term, used), (Term::atom("one"), 3));
    let err = etf::decode_with(&[131, 82, 2], &opts).unwrap_err();
    assert_eq!(err.kind, K::AtomCacheMiss { index: 2 });
    // Node names may be cache refs too.
    let pid = [131, 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    assert!(etf::decode_with(&pid, &opts).is_ok());
}

#[test]
fn non_canonical_input_is_normalised() {
    // Bignum with high zero bytes, zero-length bignum, large tuple of small arity.
    assert_eq!(
        etf::decode(&[131, 110, 4, 0, 1, 0, 0, 0]).unwrap(),
        Term::from(1)
    );
    assert_eq!(
        etf::decode(&[131, 111, 0, 0, 0, 0, 0]).unwrap(),
        Term::from(0)
    );
    assert_eq!(
        etf::decode(&[131, 105, 0, 0, 0, 1, 97, 5]).unwrap(),
        Term::tuple(vec![Term::from(5)])
    );
    // A list whose tail is a list is one list; an empty list with a tail is the tail.
    let nested = [131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106];
    assert_eq!(
        etf::decode(&nested).unwrap(),
        Term::list(vec![Term::from(1), Term::from(2)])
    );
    assert_eq!(
        etf::decode(&[131, 108, 0, 0, 0, 0, 119, 1, b'a']).unwrap(),
        Term::atom("a")
    );
    let string_tail = [131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 1, 2];
    assert_eq!(
        etf::decode(&string_tail).unwrap(),
        Term::list(vec![Term::from(1), Term::from(1), Term::from(2)])
    );
}

#[test]
fn length_fields_never_allocate_beyond_the_input() {
    for tag in [104u8, 105, 108, 116, 109, 107, 111] {
        let bytes = [131, tag, 0xFF, 0xFF, 0xFF, 0xFF, 97, 1, 97, 1];
        assert!(matches!(kind(&bytes), K::Truncated { .. }), "tag {tag}");
    }
}

#[test]
fn size_limit() {
    let big = etf::encode(&Term::binary(vec![0u8; 10_000])).unwrap();
    let small = DecodeOptions {
        max_size: 1000,
        ..DecodeOptions::default()
    };
    assert_eq!(
        etf::decode_with(&big, &small).unwrap_err().kind,
        K::TooLarge { max: 1000 }
    );
    // A compressed bomb is refused from its header, before inflating anything.
    let packed = etf::encode_with(
        &Term::binary(vec![0u8; 1 << 20]),
        &EncodeOptions {
            minor_version: 2,
            compressed: Some(9),
        },
    )
    .unwrap();
    assert_eq!(packed[1], 80);
    assert!(packed.len() < 5000);
    assert_eq!(
        etf::decode_with(&packed, &small).unwrap_err().kind,
        K::TooLarge { max: 1000 }
    );
    assert!(etf::decode(&packed).is_ok());
}

#[test]
fn compressed_size_must_match() {
    let term = Term::list(vec![Term::atom("ok"); 100]);
    let packed = etf::encode_with(
        &term,
        &EncodeOptions {
            minor_version: 2,
            compressed: Some(6),
        },
    )
    .unwrap();
    for delta in [-1i64, 1] {
        let mut wrong = packed.clone();
        let size = u32::from_be_bytes([wrong[2], wrong[3], wrong[4], wrong[5]]) as i64 + delta;
        wrong[2..6].copy_from_slice(&(size as u32).to_be_bytes());
        assert!(
            matches!(kind(&wrong), K::BadCompressedSize { .. }),
            "{delta}"
        );
    }
    let mut broken = packed.clone();
    broken[8] ^= 0xFF;
    assert!(etf::decode(&broken).is_err());
    let truncated = &packed[..packed.len() - 3];
    assert!(etf::decode(truncated).is_err());
}

/// Runs `f` on a thread with the default 2 MiB stack of test threads.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_million_nested_lists_are_refused_without_overflowing_the_stack() {
    on_small_stack(|| {
        let depth = 1_000_000;
        let mut bytes = vec![131];
        for _ in 0..depth {
            bytes.extend([108, 0, 0, 0, 1]);
        }
        // The innermost nil, then one nil tail per level.
        bytes.extend(std::iter::repeat_n(106, depth + 1));
        let err = etf::decode(&bytes).unwrap_err();
        assert_eq!(
            err.kind,
            K::TooDeep {
                max: DecodeOptions::DEFAULT_MAX_DEPTH
            }
        );
        // Tuples too.
        let mut tuples = vec![131];
        for _ in 0..depth {
            tuples.extend([104, 1]);
        }
        tuples.push(106);
        assert!(matches!(kind(&tuples), K::TooDeep { .. }));
    });
}

#[test]
fn a_million_chained_list_tails_are_one_flat_list() {
    on_small_stack(|| {
        let n = 1_000_000;
        let mut bytes = vec![131];
        for _ in 0..n {
            bytes.extend([108, 0, 0, 0, 1, 97, 7]);
        }
        bytes.push(106);
        match &etf::decode(&bytes).unwrap() {
            Term::List(items) => assert_eq!(items.len(), n),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn the_deepest_accepted_terms_can_be_used_and_dropped_on_a_small_stack() {
    on_small_stack(|| {
        let depth = DecodeOptions::DEFAULT_MAX_DEPTH;
        // Each kind of container: tuple, list, map value, and list tails (which do not nest).
        let shapes: [(&[u8], &[u8]); 4] = [
            (&[104, 2, 97, 1], &[]),
            (&[108, 0, 0, 0, 1], &[106]),
            (&[116, 0, 0, 0, 1, 97, 1], &[]),
            (&[108, 0, 0, 0, 1, 97, 1], &[]),
        ];
        for (open, close) in shapes {
            let mut bytes = vec![131];
            for _ in 0..depth - 1 {
                bytes.extend(open);
            }
            bytes.extend([116, 0, 0, 0, 0]);
            for _ in 0..depth - 1 {
                bytes.extend(close);
            }
            let term = etf::decode(&bytes).unwrap();
            let again = etf::decode(&etf::encode(&term).unwrap()).unwrap();
            assert_eq!(term, again);
            assert!(term.clone() <= again);
            drop(term);
            drop(again);
            // One more level is refused (except improper-list tails, which do not nest).
            let mut deeper = vec![131];
            deeper.extend(open);
            deeper.extend(&bytes[1..]);
            deeper.extend(close);
            if open != [108, 0, 0, 0, 1, 97, 1] {
                assert!(matches!(kind(&deeper), K::TooDeep { .. }), "{open:?}");
            }
        }
    });
}

#[test]
fn decode_term_at_reads_terms_without_the_version_byte() {
    let bytes = [9, 9, 97, 5, 119, 2, b'o', b'k'];
    let opts = DecodeOptions::default();
    let (first, next) = etf::decode_term_at(&bytes, 2, &opts).unwrap();
    assert_eq!((first, next), (Term::from(5), 4));
    let (second, end) = etf::decode_term_at(&bytes, next, &opts).unwrap();
    assert_eq!((second, end), (Term::atom("ok"), bytes.len()));
    assert!(etf::decode_term_at(&bytes, 100, &opts).is_err());
}

#[test]
fn zero_copy_binaries_share_the_input() {
    let bytes = bytes::Bytes::from(etf::encode(&Term::binary(vec![7u8; 64])).unwrap());
    match &etf::decode_bytes(bytes.clone()).unwrap() {
        Term::Binary(b) => {
            assert_eq!(b.len(), 64);
            assert_eq!(b.as_ptr(), bytes[6..].as_ptr());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn encode_errors() {
    use distproto::term::RefIds;
    assert!(etf::encode(&bad_bits_term()).is_err());
    // A reference of more than 5 id words cannot be built, so it never reaches the encoder.
    assert!(RefIds::new(&[0; 6]).is_err());
    let bad_minor = EncodeOptions {
        minor_version: 3,
        compressed: None,
    };
    assert!(etf::encode_with(&Term::from(1), &bad_minor).is_err());
    let bad_level = EncodeOptions {
        minor_version: 2,
        compressed: Some(10),
    };
    assert!(etf::encode_with(&Term::from(1), &bad_level).is_err());
    // On error the output buffer is left as it was.
    let mut out = vec![1, 2, 3];
    let nested_bad = Term::list(vec![Term::from(1), bad_bits_term()]);
    assert!(etf::encode_into(&nested_bad, &mut out, &EncodeOptions::default()).is_err());
    assert_eq!(out, [1, 2, 3]);
}

fn bad_bits_term() -> Term {
    Term::BitString(Box::new(distproto::term::BitString {
        data: bytes::Bytes::from_static(&[1]),
        bits: 0,
    }))
}

#[test]
fn runs_of_numbers_stop_at_the_right_place() {
    let f = |x: f64| Term::float(x).unwrap();
    let mixed = Term::list(vec![
        Term::from(1),
        Term::from(300),
        Term::from(-5),
        f(1.5),
        f(-2.5),
        Term::atom("a"),
        Term::from(7),
        f(0.25),
    ]);
    let bytes = etf::encode(&mixed).unwrap();
    assert_eq!(etf::decode(&bytes).unwrap(), mixed);
    // A tuple of integers whose last one is cut short.
    assert!(matches!(
        kind(&[131, 104, 3, 97, 1, 97, 2, 98, 0, 0]),
        K::Truncated { .. }
    ));
    // A run of floats with an infinity in the middle.
    let mut floats = vec![131, 104, 3];
    for x in [1.0f64, f64::INFINITY, 2.0] {
        floats.push(70);
        floats.extend(x.to_bits().to_be_bytes());
    }
    assert_eq!(kind(&floats), K::NotFinite);
    // A list whose length ends the run before more integers that belong to the tail.
    let improper = [131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3];
    assert_eq!(
        etf::decode(&improper).unwrap(),
        Term::improper_list(vec![Term::from(1), Term::from(2)], Term::from(3))
    );
}
