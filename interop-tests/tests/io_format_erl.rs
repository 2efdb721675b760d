//! `distproto::text::format` against OTP 25's `io_lib:format/2`: erl builds the cases
//! (`erl/io_format_gen.erl`: every directive, widths, precisions, pad characters, unicode, depths,
//! terms that wrap under `~p`, random terms, bad formats), formats each, and hands us format,
//! arguments and result as ETF; we format the same and compare character for character.

use distproto::etf;
use distproto::term::Atom;
use distproto::term::Term;
use distproto::text::{format_with, write_term, FormatOptions};
use interop_tests::{compile_erl, ErlNode, ErlOptions};

/// Cases where we knowingly differ from OTP (see `docs/io_format.md`): maps of more than 32 keys
/// print in our key order, not in the hash order of OTP's map iterator.
fn known_difference(args: &Term) -> Option<&'static str> {
    fn find(term: &Term) -> Option<&'static str> {
        match term {
            Term::Map(map) if map.len() > 32 => Some("map of more than 32 keys: key order"),
            Term::Map(map) => map.iter().find_map(|(k, v)| find(k).or_else(|| find(v))),
            Term::List(items) | Term::Tuple(items) => items.iter().find_map(find),
            Term::ImproperList(items, tail) => items.iter().find_map(find).or_else(|| find(tail)),
            _ => None,
        }
    }
    find(args)
}

/// Whether the format itself asks for a line break (`~n` or a literal newline).
fn fmt_has_newline(fmt: &Term) -> bool {
    let mut text = String::new();
    if let Term::List(items) = fmt {
        for item in items {
            if let Term::Integer(c) = item {
                text.extend(char::from_u32(*c as u32));
            }
        }
    }
    text.contains('\n') || text.contains("~n") || text.contains("~3n")
}

fn seed() -> u64 {
    std::env::var("IO_FORMAT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2025)
}

#[test]
fn io_lib_format_matches_otp_25() {
    let seed = seed();
    let mut node = ErlNode::start(ErlOptions {
        args: vec![
            "-pa".into(),
            compile_erl("io_format_gen").display().to_string(),
        ],
        ..Default::default()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cases.etf");
    let count = node.eval(&format!(
        "io_format_gen:run({:?}, {seed}).",
        path.display().to_string()
    ));
    let data = std::fs::read(&path).expect("read cases.etf");
    let Ok(Ok(cases)) = etf::decode(&data).map(Term::into_list) else {
        panic!("cases.etf is not a list");
    };
    assert_eq!(count, cases.len().to_string());

    // The erl node is not distributed: its own pids, ports and refs are on `nonode@nohost`.
    let number = |node: &Atom| (node.as_str() == "nonode@nohost").then_some(0);
    let options = FormatOptions {
        node_number: Some(&number),
    };
    let (mut exact, mut ok_cases, mut error_cases, mut known) = (0, 0, 0, 0);
    let mut wrapped = 0;
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let Term::Tuple(parts) = case else {
            panic!("case {i} is not a tuple");
        };
        let [fmt, args, expected] = &parts[..] else {
            panic!("case {i} is not {{Format, Args, Result}}");
        };
        let ours = format_with(fmt, args, &options);
        let expected: Result<String, String> = match expected {
            Term::Tuple(r) if r.first().and_then(Term::as_atom) == Some("ok") => match &r[1] {
                Term::Binary(b) => Ok(String::from_utf8(b.to_vec()).expect("utf-8 from erl")),
                other => panic!("case {i}: {}", write_term(other)),
            },
            Term::Tuple(r) => Err(write_term(&r[1])),
            other => panic!("case {i}: {}", write_term(other)),
        };
        if let Ok(text) = &expected {
            ok_cases += 1;
            wrapped += usize::from(text.contains('\n') && !fmt_has_newline(fmt));
        } else {
            error_cases += 1;
        }
        let same = match (&ours, &expected) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if same {
            exact += 1;
        } else if let Some(why) = known_difference(args) {
            known += 1;
            eprintln!("case {i}: known difference ({why})");
        } else {
            failures.push(format!(
                "case {i}: io_lib:format({}, {})\n  OTP:  {:?}\n  ours: {:?}",
                write_term(fmt),
                write_term(args),
                expected,
                ours.map_err(|e| e.reason)
            ));
        }
    }
    eprintln!(
        "io_lib:format differential (seed {seed}): {} cases ({ok_cases} formatted, {error_cases} badarg), \
         {wrapped} of them on several lines, {exact} exact matches, {known} known differences, {} mismatches",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
