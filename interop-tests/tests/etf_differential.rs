//! Differential test of our ETF codec against OTP 25: BEAM generates thousands of terms of every
//! kind, we decode and re-encode them, BEAM checks our bytes; plus term order and malformed input.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use distproto::etf::{self, EncodeOptions};
use distproto::term::Term;
use interop_tests::{compile_erl, free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};

/// How many terms the generator makes for the round trip.
const TERMS: usize = 3000;

/// One term as BEAM wrote it: its kind, the options index, and three encodings.
struct Generated {
    kind: String,
    options: u8,
    etf: Vec<u8>,
    minor1: Vec<u8>,
    minor2: Vec<u8>,
}

/// The seed: `ETF_DIFF_SEED` if set, else from the clock; printed so a failure can be replayed.
fn seed() -> u64 {
    let seed = std::env::var("ETF_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_micros() as u64 % 1_000_000_007)
        });
    eprintln!("etf_differential: seed {seed} (replay with ETF_DIFF_SEED={seed})");
    seed
}

fn start_node(sname: Option<String>, cookie: &str, epmd_port: Option<u16>) -> ErlNode {
    ErlNode::start(ErlOptions {
        sname,
        cookie: Some(cookie.to_string()),
        epmd_port,
        args: vec!["-pa".into(), compile_erl("etf_gen").display().to_string()],
        ..Default::default()
    })
}

/// Path as an Erlang string literal.
fn erl_path(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

/// Reads BEAM's `orig.bin` (see `etf_gen:generate/4`).
fn read_generated(path: &Path) -> Vec<Generated> {
    let data = std::fs::read(path).expect("read orig.bin");
    let mut r = Reader {
        data: &data,
        pos: 0,
    };
    let mut out = Vec::new();
    while r.pos < data.len() {
        let kind_len = r.u8() as usize;
        let kind = String::from_utf8(r.take(kind_len).to_vec()).expect("kind name");
        let options = r.u8();
        let etf = r.chunk();
        let minor1 = r.chunk();
        let minor2 = r.chunk();
        out.push(Generated {
            kind,
            options,
            etf,
            minor1,
            minor2,
        });
    }
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn chunk(&mut self) -> Vec<u8> {
        let len = u32::from_be_bytes(self.take(4).try_into().unwrap()) as usize;
        self.take(len).to_vec()
    }
}

/// A record of `ours.bin`: `<<Index:32, Variant:8, Len:32, Etf>>`.
fn push_ours(out: &mut Vec<u8>, index: usize, variant: u8, etf: &[u8]) {
    out.extend_from_slice(&(index as u32).to_be_bytes());
    out.push(variant);
    out.extend_from_slice(&(etf.len() as u32).to_be_bytes());
    out.extend_from_slice(etf);
}

/// `Debug` of a term, cut to a readable length.
fn show(term: &Term) -> String {
    let text = format!("{term:?}");
    if text.len() > 600 {
        format!(
            "{}... ({} chars)",
            &text[..floor_char(&text, 600)],
            text.len()
        )
    } else {
        text
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn hex(bytes: &[u8]) -> String {
    hex_from(bytes, 0)
}

/// Bytes as an Erlang binary, from offset `from` (up to 300 of them).
fn hex_from(bytes: &[u8], from: usize) -> String {
    let from = from.min(bytes.len());
    let shown: Vec<String> = bytes[from..]
        .iter()
        .take(300)
        .map(|b| b.to_string())
        .collect();
    let before = if from > 0 {
        format!("(from byte {from}) ...,")
    } else {
        String::new()
    };
    let after = if bytes.len() > from + 300 { ",..." } else { "" };
    format!(
        "{before}<<{}{after}>> ({} bytes)",
        shown.join(","),
        bytes.len()
    )
}

/// Whether the term holds a map of more than 32 keys: OTP writes those in hash order, so our
/// (sorted) bytes cannot be byte-identical.
fn has_big_map(term: &Term) -> bool {
    match term {
        Term::Map(m) => m.len() > 32 || m.iter().any(|(k, v)| has_big_map(k) || has_big_map(v)),
        Term::Tuple(items) | Term::List(items) => items.iter().any(has_big_map),
        Term::ImproperList(items, tail) => items.iter().any(has_big_map) || has_big_map(tail),
        Term::Fun(distproto::term::Fun::Local(f)) => f.free_vars.iter().any(has_big_map),
        _ => false,
    }
}

/// Per kind: how many terms, how many of our encodings equal OTP 25's byte for byte, and how
/// many terms hold a map of more than 32 keys (never identical: OTP writes those in hash order).
#[derive(Default)]
struct Identical {
    terms: usize,
    minor1: usize,
    minor2: usize,
    big_maps: usize,
}

/// Where our bytes first differ from OTP's, with the bytes around it.
fn byte_diff(g: &Generated, i: usize, what: &str, ours: &[u8]) -> String {
    let otp = if what == "minor 1" {
        &g.minor1
    } else {
        &g.minor2
    };
    let first = otp.iter().zip(ours).take_while(|(x, y)| x == y).count();
    let from = first.saturating_sub(40);
    format!(
        "#{i} {}: {what} bytes differ from OTP 25's at byte {first}\n  term {}\n  OTP  {}\n  ours {}",
        g.kind,
        etf::decode(otp).map_or_else(|e| e.to_string(), |t| show(&t)),
        hex_from(otp, from),
        hex_from(ours, from)
    )
}

/// Our bytes (variant `variant`) for term `i`, found again in the `ours.bin` records.
fn our_record(ours: &[u8], i: usize, variant: u8) -> Vec<u8> {
    let mut r = Reader { data: ours, pos: 0 };
    while r.pos < ours.len() {
        let index = u32::from_be_bytes(r.take(4).try_into().unwrap()) as usize;
        let v = r.u8();
        let bytes = r.chunk();
        if index == i && v == variant {
            return bytes;
        }
    }
    Vec::new()
}

/// A term BEAM did not read back from our bytes: the term and both byte strings.
fn rejected_detail(g: &Generated, i: usize, variant: u8, ours: &[u8]) -> String {
    format!(
        "#{i} {} variant {variant}: BEAM did not read back our bytes as the term\n  term {}\n  OTP  {}\n  ours {}",
        g.kind,
        etf::decode(&g.etf).map_or_else(|e| e.to_string(), |t| show(&t)),
        hex(&g.minor1),
        hex(&our_record(ours, i, variant))
    )
}

/// Decodes without letting a panic escape: a panic is a failure of its own kind.
fn decode_no_panic(bytes: &[u8]) -> Result<Result<Term, String>, String> {
    std::panic::catch_unwind(|| etf::decode(bytes).map_err(|e| e.to_string()))
        .map_err(|_| "decoder panicked".to_string())
}

#[test]
fn beam_terms_survive_our_decode_and_encode() {
    let seed = seed();
    let epmd = OtpEpmd::start(free_port(), &[]);
    let cookie = unique_name("cookie");
    let mut a = start_node(
        Some(format!("{}@localhost", unique_name("etfa"))),
        &cookie,
        Some(epmd.port),
    );
    let mut b = start_node(
        Some(format!("{}@localhost", unique_name("etfb"))),
        &cookie,
        Some(epmd.port),
    );
    let b_name = b.eval("node().");
    assert_eq!(a.eval(&format!("net_adm:ping({b_name}).")), "pong");
    let dir = tempfile::tempdir().expect("temp dir");
    let count = a.eval(&format!(
        "etf_gen:generate({seed}, {TERMS}, {b_name}, {}).",
        erl_path(dir.path())
    ));
    assert_eq!(count, TERMS.to_string());
    let generated = read_generated(&dir.path().join("orig.bin"));
    assert_eq!(generated.len(), TERMS);

    let mut failures = Vec::new();
    let mut ours = Vec::new();
    let mut identical: BTreeMap<&str, Identical> = BTreeMap::new();
    let mut not_identical = Vec::new();
    let mut minor2_notes = BTreeMap::new();
    for (i, g) in generated.iter().enumerate() {
        let term = match decode_no_panic(&g.etf) {
            Ok(Ok(term)) => term,
            Ok(Err(e)) | Err(e) => {
                failures.push(format!(
                    "#{i} {} (options {}): decode failed: {e}\n  OTP bytes {}",
                    g.kind,
                    g.options,
                    hex(&g.etf)
                ));
                continue;
            }
        };
        let from_bytes = etf::decode_bytes(Bytes::from(g.etf.clone()));
        if from_bytes.as_ref() != Ok(&term) {
            failures.push(format!("#{i} {}: decode_bytes differs from decode", g.kind));
        }
        for (what, other) in [("minor 1", &g.minor1), ("minor 2", &g.minor2)] {
            if etf::decode(other).as_ref() != Ok(&term) {
                failures.push(format!(
                    "#{i} {}: OTP's {what} bytes decode to another term",
                    g.kind
                ));
            }
        }
        // 1: minor 1 (OTP 25), 2: minor 2 (OTP 26), 3: compressed (every 4th term),
        // 4: minor 0, floats as text (every 4th term).
        let variants = [
            (1u8, EncodeOptions::OTP25),
            (2, EncodeOptions::OTP26),
            (
                3,
                EncodeOptions {
                    minor_version: 1,
                    compressed: Some(if i % 8 == 0 { 6 } else { 9 }),
                },
            ),
            (
                4,
                EncodeOptions {
                    minor_version: 0,
                    compressed: None,
                },
            ),
        ];
        let mut encoded = Vec::new();
        for (variant, options) in variants {
            if (variant == 3 && i % 4 != 0) || (variant == 4 && i % 4 != 1) {
                continue;
            }
            match etf::encode_with(&term, &options) {
                Ok(bytes) => {
                    if etf::decode(&bytes).as_ref() != Ok(&term) {
                        failures.push(format!(
                            "#{i} {}: our variant {variant} bytes do not decode back to the term\n  term {}\n  ours {}",
                            g.kind,
                            show(&term),
                            hex(&bytes)
                        ));
                    }
                    push_ours(&mut ours, i, variant, &bytes);
                    encoded.push(bytes);
                }
                Err(e) => failures.push(format!(
                    "#{i} {}: encode variant {variant} failed: {e}\n  term {}",
                    g.kind,
                    show(&term)
                )),
            }
        }
        let stats = identical.entry(g.kind.as_str()).or_default();
        stats.terms += 1;
        if let [ours1, ours2, ..] = &encoded[..] {
            stats.minor1 += usize::from(*ours1 == g.minor1);
            stats.minor2 += usize::from(*ours2 == g.minor2);
            if has_big_map(&term) {
                stats.big_maps += 1;
            } else if *ours1 != g.minor1 {
                not_identical.push((i, "minor 1", ours1.clone()));
            } else if *ours2 != g.minor2 && !minor2_notes.contains_key(g.kind.as_str()) {
                minor2_notes.insert(g.kind.as_str(), (i, "minor 2", ours2.clone()));
            }
        }
    }
    std::fs::write(dir.path().join("ours.bin"), &ours).expect("write ours.bin");
    let verdict = a.eval(&format!("etf_gen:check({}).", erl_path(dir.path())));

    eprintln!("byte-identical with OTP 25's term_to_binary(T, [{{minor_version, 1 | 2}}]):");
    eprintln!(
        "  {:<18} {:>6} {:>6} {:>6} {:>9}",
        "kind", "terms", "minor1", "minor2", "big maps"
    );
    for (kind, st) in &identical {
        eprintln!(
            "  {kind:<18} {:>6} {:>6} {:>6} {:>9}",
            st.terms, st.minor1, st.minor2, st.big_maps
        );
    }
    for (i, what, ours) in minor2_notes.values() {
        eprintln!(
            "note (not a failure: minor 2 follows OTP 26):\n{}",
            byte_diff(&generated[*i], *i, what, ours)
        );
    }
    for (i, what, ours) in not_identical.iter().take(8) {
        failures.push(byte_diff(&generated[*i], *i, what, ours));
    }
    if !not_identical.is_empty() {
        failures.push(format!(
            "{} terms without maps of more than 32 keys are not byte-identical with OTP 25's minor_version 1",
            not_identical.len()
        ));
    }
    if !verdict.starts_with("{ok,") {
        failures.push(format!(
            "BEAM rejected some of our bytes (seed {seed}): {verdict}"
        ));
        let listed = std::fs::read_to_string(dir.path().join("mismatch.txt")).unwrap_or_default();
        for line in listed.lines().take(5) {
            let mut words = line.split(' ').filter_map(|w| w.parse::<usize>().ok());
            if let (Some(i), Some(variant)) = (words.next(), words.next()) {
                failures.push(rejected_detail(&generated[i], i, variant as u8, &ours));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    drop(b);
}

#[test]
fn our_term_order_and_equality_agree_with_beam() {
    let seed = seed();
    let mut a = start_node(None, "unused", None);
    let dir = tempfile::tempdir().expect("temp dir");
    let sizes = a.eval(&format!(
        "etf_gen:order_data({seed}, 1500, {}).",
        erl_path(dir.path())
    ));
    eprintln!("order data {{distinct terms, pairs}}: {sizes}");
    let data = std::fs::read(dir.path().join("order.bin")).expect("read order.bin");
    let Ok(Ok(parts)) = etf::decode(&data).map(Term::into_tuple) else {
        panic!("seed {seed}: order.bin did not decode to a tuple");
    };
    let [Term::List(shuffled), Term::List(beam_sorted), Term::List(pairs)] = &parts[..] else {
        panic!("seed {seed}: order.bin is not {{Shuffled, Sorted, Pairs}}");
    };

    let mut failures = Vec::new();
    let mut sorted = shuffled.clone();
    sorted.sort();
    assert_eq!(sorted.len(), beam_sorted.len());
    for (i, (ours, beam)) in sorted.iter().zip(beam_sorted).enumerate() {
        if ours != beam {
            failures.push(format!(
                "sorted position {i}: ours {} but lists:sort/1 has {}",
                show(ours),
                show(beam)
            ));
            break;
        }
    }

    for pair in pairs {
        let Term::Tuple(p) = pair else {
            panic!("pair is not a tuple")
        };
        let [x, y, Term::Integer(cmp), Term::Atom(exact)] = &p[..] else {
            panic!("pair is not {{A, B, Cmp, Exact}}")
        };
        let exact = exact.as_str() == "true";
        let beam = cmp.cmp(&0);
        let mut wrong = Vec::new();
        if x.erlang_cmp(y) != beam {
            wrong.push(format!("erlang_cmp {:?} vs BEAM {beam:?}", x.erlang_cmp(y)));
        }
        if x.erlang_eq(y) != (*cmp == 0) {
            wrong.push(format!(
                "erlang_eq {} vs BEAM == {}",
                x.erlang_eq(y),
                *cmp == 0
            ));
        }
        if (x == y) != exact {
            wrong.push(format!("Eq {} vs BEAM =:= {exact}", x == y));
        }
        let ord = x.cmp(y);
        if (ord == std::cmp::Ordering::Equal) != exact || (beam.is_ne() && ord != beam) {
            wrong.push(format!("Ord {ord:?} vs BEAM {beam:?} (=:= {exact})"));
        }
        if y.cmp(x) != ord.reverse() {
            wrong.push("Ord is not antisymmetric".to_string());
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "pair {} vs {}: {}",
                show(x),
                show(y),
                wrong.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Hand-made external terms that `binary_to_term/1` rejects with badarg.
fn malformed() -> Vec<(&'static str, Vec<u8>)> {
    let bad: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("version 130", vec![130, 97, 1]),
        ("version only", vec![131]),
        ("tag 0", vec![131, 0]),
        ("tag 200", vec![131, 200]),
        ("tag 255", vec![131, 255, 0, 0, 0, 0]),
        ("FUN_EXT", vec![131, 117, 0, 0, 0, 0, 97, 1]),
        ("ATOM_CACHE_REF", vec![131, 82, 0]),
        ("LOCAL_EXT", vec![131, 121, 0, 0, 0, 0, 97, 1]),
        ("dist header", vec![131, 68, 0]),
        ("SMALL_ATOM_UTF8 0xff", vec![131, 119, 1, 0xff]),
        (
            "ATOM_UTF8 bad continuation",
            vec![131, 118, 0, 2, 0xc3, 0x28],
        ),
        ("ATOM_UTF8 overlong", vec![131, 118, 0, 2, 0xc0, 0x80]),
        ("ATOM_UTF8 surrogate", vec![131, 119, 3, 0xed, 0xa0, 0x80]),
        ("ATOM_UTF8 cut char", vec![131, 119, 2, b'a', 0xc3]),
        ("NaN", vec![131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]),
        (
            "signalling NaN",
            vec![131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 1],
        ),
        ("+Inf", vec![131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]),
        ("-Inf", vec![131, 70, 0xff, 0xf0, 0, 0, 0, 0, 0, 0]),
        (
            "duplicate map key",
            vec![131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3],
        ),
        (
            "duplicate map key, two encodings",
            vec![131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 98, 0, 0, 0, 1, 97, 3],
        ),
        (
            "duplicate atom key, two tags",
            vec![
                131, 116, 0, 0, 0, 2, 100, 0, 1, b'k', 97, 2, 119, 1, b'k', 97, 3,
            ],
        ),
        ("bit binary, 0 bits", vec![131, 77, 0, 0, 0, 1, 0, 0xff]),
        ("bit binary, 9 bits", vec![131, 77, 0, 0, 0, 1, 9, 0xff]),
        (
            "reference of 6 words",
            [
                &[131, 90, 0, 6, 119, 3, b'a', b'@', b'b', 0, 0, 0, 1][..],
                &[0; 24][..],
            ]
            .concat(),
        ),
        (
            "LIST_EXT length 2^32-1",
            vec![131, 108, 255, 255, 255, 255, 106],
        ),
        (
            "BINARY_EXT length 2^32-1",
            vec![131, 109, 255, 255, 255, 255, 1],
        ),
        (
            "LARGE_TUPLE arity 2^32-1",
            vec![131, 105, 255, 255, 255, 255],
        ),
        (
            "MAP_EXT 2^32-1 pairs",
            vec![131, 116, 255, 255, 255, 255, 97, 1],
        ),
        ("STRING_EXT short", vec![131, 107, 0, 10, 1, 2, 3]),
        (
            "LARGE_BIG length 2^32-1",
            vec![131, 111, 255, 255, 255, 255, 0, 1],
        ),
        (
            "pid with integer node",
            vec![131, 88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        ),
        (
            "export fun with atom arity",
            vec![131, 113, 100, 0, 1, b'm', 100, 0, 1, b'f', 100, 0, 1, b'a'],
        ),
        (
            "nested compressed",
            vec![131, 108, 0, 0, 0, 1, 80, 0, 0, 0, 2, 120, 156, 0, 106],
        ),
        (
            "compressed, garbage zlib",
            vec![131, 80, 0, 0, 0, 2, 1, 2, 3, 4, 5],
        ),
        ("compressed, empty stream", vec![131, 80, 0, 0, 0, 2]),
        ("FLOAT_EXT not a float", {
            let mut v = vec![131, 99];
            v.extend_from_slice(b"abc");
            v.resize(2 + 31, 0);
            v
        }),
        ("ATOM_EXT of 256 chars", {
            let mut v = vec![131, 100, 1, 0];
            v.extend_from_slice(&[b'a'; 256]);
            v
        }),
        ("ATOM_UTF8_EXT of 256 chars", {
            let mut v = vec![131, 118, 2, 0];
            v.extend_from_slice(&[0xce, 0xbb].repeat(256));
            v
        }),
        ("SMALL_TUPLE missing elements", vec![131, 104, 3, 97, 1]),
        (
            "improper list without tail",
            vec![131, 108, 0, 0, 0, 1, 97, 1],
        ),
    ];
    bad
}

/// Real compressed terms made by BEAM, with the declared size one too small and one too large.
fn wrong_compressed_sizes(generated: &[Generated]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, g) in generated.iter().enumerate() {
        if g.etf.get(1) != Some(&80) || out.len() >= 20 {
            continue;
        }
        let size = u32::from_be_bytes(g.etf[2..6].try_into().unwrap());
        for wrong in [size - 1, size + 1] {
            let mut v = g.etf.clone();
            v[2..6].copy_from_slice(&wrong.to_be_bytes());
            out.push((
                format!("#{i} {} compressed, size {wrong} for {size}", g.kind),
                v,
            ));
        }
    }
    assert!(!out.is_empty(), "BEAM made no compressed term");
    out
}

#[test]
fn malformed_inputs_are_rejected_by_beam_and_by_us() {
    let seed = seed();
    let mut a = start_node(None, "unused", None);
    let dir = tempfile::tempdir().expect("temp dir");
    // Valid terms to cut short: a smaller generated set.
    let node = a.eval("node().");
    a.eval(&format!(
        "etf_gen:generate({seed}, 400, {node}, {}).",
        erl_path(dir.path())
    ));
    let generated = read_generated(&dir.path().join("orig.bin"));

    let mut failures = Vec::new();
    let mut cases: Vec<(String, Vec<u8>)> = malformed()
        .into_iter()
        .map(|(name, bytes)| (name.to_string(), bytes))
        .collect();
    cases.extend(wrong_compressed_sizes(&generated));
    // Our decoder must reject every strict prefix of every term (up to a size); BEAM checks the
    // prefixes of the smaller ones.
    let mut prefixes_checked = 0;
    for (i, g) in generated.iter().enumerate() {
        if g.etf.len() > 4000 {
            continue;
        }
        for cut in 0..g.etf.len() {
            let prefix = &g.etf[..cut];
            prefixes_checked += 1;
            match decode_no_panic(prefix) {
                Ok(Err(_)) => {}
                Ok(Ok(term)) => failures.push(format!(
                    "#{i} {}: prefix of {cut} of {} bytes decoded to {}",
                    g.kind,
                    g.etf.len(),
                    show(&term)
                )),
                Err(panic) => failures.push(format!(
                    "#{i} {}: prefix of {cut} bytes: {panic}; bytes {}",
                    g.kind,
                    hex(prefix)
                )),
            }
            if g.etf.len() <= 300 {
                cases.push((format!("#{i} {} cut at {cut}", g.kind), prefix.to_vec()));
            }
        }
    }
    let mut file = Vec::new();
    for (_, bytes) in &cases {
        file.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        file.extend_from_slice(bytes);
    }
    let path = dir.path().join("bad.bin");
    std::fs::write(&path, &file).expect("write bad.bin");
    let verdict = a.eval(&format!("etf_gen:expect_badarg({}).", erl_path(&path)));
    if !verdict.starts_with("{ok,") {
        failures.push(format!("BEAM accepted some inputs: {verdict}"));
        let accepted =
            std::fs::read_to_string(format!("{}.accepted", path.display())).unwrap_or_default();
        for i in accepted
            .lines()
            .filter_map(|l| l.parse::<usize>().ok())
            .take(10)
        {
            let (name, bytes) = &cases[i];
            failures.push(format!("  BEAM accepted {name}: {}", hex(bytes)));
        }
    }
    for (name, bytes) in &cases {
        match decode_no_panic(bytes) {
            Ok(Err(_)) => {}
            Ok(Ok(term)) => failures.push(format!(
                "{name}: we accepted {} as {}",
                hex(bytes),
                show(&term)
            )),
            Err(panic) => failures.push(format!("{name}: {panic} on {}", hex(bytes))),
        }
    }
    eprintln!(
        "malformed: {} cases checked by BEAM and us, {prefixes_checked} prefixes by us",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "seed {seed}: {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
