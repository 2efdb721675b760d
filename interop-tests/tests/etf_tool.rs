//! The `etf` tool against real OTP 25: `etf decode` prints exactly what `io_lib:format("~w", [T])`
//! prints, `etf encode` produces what `binary_to_term` reads as the term erl_eval reads from the text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use interop_tests::{cargo_bin, compile_erl, free_port, unique_name, ErlNode, ErlOptions, OtpEpmd};

/// Seed of the random terms (BEAM's `rand`, exsss); change it to explore other terms.
const SEED: u32 = 20261126;
/// How many random terms to add to the fixed tricky ones.
const RANDOM_TERMS: u32 = 300;

fn node_options() -> ErlOptions {
    let dir = compile_erl("etf_tool_gen");
    ErlOptions {
        args: vec!["-pa".into(), dir.display().to_string()],
        ..Default::default()
    }
}

/// Our `etf` binary, rebuilt once per test run: `cargo test -p interop-tests` alone does not
/// rebuild another package's binaries, and a stale one would test old code.
fn etf_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let path = cargo_bin("etf");
        let profile_dir = path.parent().expect("target/<profile>");
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args(["build", "-p", "distproto", "--bin", "etf"]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cargo.arg("--release");
        }
        if let Some(target) = profile_dir.parent() {
            cargo.env("CARGO_TARGET_DIR", target);
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "cargo build --bin etf failed");
        path
    })
}

/// Runs `etf ARGS` with `stdin` (or nothing) on standard input.
fn etf(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(etf_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run etf");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.unwrap_or_default());
    }
    child.wait_with_output().expect("wait for etf")
}

fn file(dir: &Path, name: String) -> PathBuf {
    dir.join(name)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// An Erlang string literal for a path.
fn erl_string(path: &Path) -> String {
    format!("{:?}", path_str(path))
}

#[test]
fn decode_prints_what_io_lib_prints_and_encode_reads_it_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut node = ErlNode::start(node_options());
    let counts = node.eval(&format!(
        "etf_tool_gen:write_cases({}, {SEED}, {RANDOM_TERMS}).",
        erl_string(dir.path())
    ));
    let (cases, big_maps) = counts
        .trim_matches(|c| c == '{' || c == '}')
        .split_once(',')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
        .unwrap_or_else(|| panic!("write_cases returned {counts}"));
    assert!(cases > RANDOM_TERMS as usize);

    // Decode: our text must be io_lib:format("~w") character for character.
    let mut mismatches = Vec::new();
    for i in 0..cases {
        let etf_file = file(dir.path(), format!("{i}.etf"));
        let want = std::fs::read_to_string(file(dir.path(), format!("{i}.txt"))).expect("~w text");
        let out = etf(&["decode", path_str(&etf_file)], None);
        let got = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || got.strip_suffix('\n') != Some(want.as_str()) {
            mismatches.push(format!(
                "case {i}: status {:?}, stderr {}\n want {want}\n  got {got}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cases} decodes differ from ~w:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Maps of more than 32 keys: our text (keys in term order) must read back as the same map.
    for i in 0..big_maps {
        let out = etf(
            &["decode", path_str(&file(dir.path(), format!("s_{i}.etf")))],
            None,
        );
        assert!(out.status.success(), "decode of big map {i} failed");
        std::fs::write(file(dir.path(), format!("s_{i}.txt")), &out.stdout).expect("write");
    }

    // Encode: the ~w texts, with every option combination, must give the term BEAM reads.
    let mut refused = Vec::new();
    for i in 0..cases {
        let txt = file(dir.path(), format!("{i}.txt"));
        let minor = (i % 3).to_string();
        let mut args = vec!["encode", "--minor-version", minor.as_str()];
        if i % 4 == 1 {
            args.push("--compressed");
        }
        if i % 4 == 2 {
            args.push("--compressed=9");
        }
        args.push(path_str(&txt));
        let out = etf(&args, None);
        // A failure leaves no file; check_encoded accepts that only where erl_parse fails too.
        if out.status.success() {
            std::fs::write(file(dir.path(), format!("{i}.out.etf")), &out.stdout).expect("write");
        } else {
            refused.push(i);
        }
    }
    assert!(
        refused.len() <= 3,
        "etf encode refused too many ~w texts: cases {refused:?}"
    );
    let bad = node.eval(&format!(
        "etf_tool_gen:check_encoded({}, {{{cases}, {big_maps}}}).",
        erl_string(dir.path())
    ));
    assert_eq!(bad, "[]", "terms that did not round-trip through BEAM");
}

/// Every syntax feature, written as Erlang source; BEAM evaluates the same text.
const TEXTS: &[&str] = &[
    "16#FF",
    "-16#ff",
    "2#101",
    "36#Zz",
    "1_000_000",
    "$a",
    "$\\n",
    "$\\x{3B1}",
    "$\\^A",
    "$\\101",
    "$ ",
    "$\\s",
    "-$a",
    "+7",
    "- 12",
    "1.5e3",
    "1.5E-3",
    "-0.0",
    "1_0.2_5",
    "1.5e1_0",
    "2.2250738585072014e-308",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "'hello world'",
    "'\\n\\t\\'\\\\'",
    "'\\x{3B1}\\x41\\101\\^G\\s\\d\\e\\b\\f\\v\\r\\z'",
    "'end'",
    "maybe",
    "else",
    "'ä'",
    "'Äb'",
    "ok@host",
    "\"abc\"",
    "\"a\" \"b\" \"\"",
    "\"\\x{1F600}\\n\\\"\"",
    "\"ä€\"",
    "\"\"",
    "{}",
    "{a,{b,[c]}}",
    "[1|2]",
    "[1,2|[3,4]]",
    "[a|[]]",
    "[[]|[]]",
    "#{}",
    "#{a => 1, b => #{c => [d]}}",
    "#{1 => a, 1.0 => b}",
    "#{a => 1, a => 2}",
    "<<>>",
    "<<1,2,3>>",
    "<<\"abc\">>",
    "<<\"αβ\"/utf8>>",
    "<<\"ab\"/utf16-little>>",
    "<<\"ab\"/utf32>>",
    "<<945/utf8, 128512/utf16>>",
    "<<1:3>>",
    "<<1,2:3>>",
    "<<-1:12/little>>",
    "<<16#abc:12/little>>",
    "<<16#123456:20/little-unsigned>>",
    "<<-2:7/signed>>",
    "<<1.5/float>>",
    "<<1.5:32/float-little>>",
    "<<7/float>>",
    "<<1.5:16/float, 1.00146484375:16/float, 2.98023223876953125e-8:16/float>>",
    "<<65519.0:16/float-little, 1.0e-7:16/float, -0.0:16/float>>",
    "<<1.0e300:32/float, 1.0e10:16/float, 3.4028235677973366e38:32/float>>",
    "<<<<1,2>>/binary, 3>>",
    "<<<<1:3>>/bits, 1:5>>",
    "<<<<1,2,3>>:2/binary>>",
    "<<7:4/unit:2>>",
    "<<1:8/signed-big>>",
    "<<$a, \"bc\", 0>>",
    "<<300:1000>>",
    "fun lists:map/2",
    "fun 'A':'b c'/0",
    "fun erlang:'+'/2",
    "{ok, \"multi\nline\" % a comment\n, [1,\n2]}.",
    "  [1, 2] . ",
    "%% leading comment\n{done}.\n% trailing comment\n",
];

#[test]
fn encode_reads_every_syntax_feature_as_erlang_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, text) in TEXTS.iter().enumerate() {
        let txt = file(dir.path(), format!("h_{i}.txt"));
        std::fs::write(&txt, text).expect("write text");
        let out = etf(&["encode", path_str(&txt)], None);
        assert!(
            out.status.success(),
            "etf encode {text:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(file(dir.path(), format!("h_{i}.etf")), &out.stdout).expect("write");
    }
    let mut node = ErlNode::start(node_options());
    let bad = node.eval(&format!(
        "etf_tool_gen:check_texts({}, {}).",
        erl_string(dir.path()),
        TEXTS.len()
    ));
    assert_eq!(bad, "[]", "texts that BEAM reads differently");
}

#[test]
fn pids_ports_refs_and_local_funs_round_trip_through_text() {
    let epmd = OtpEpmd::start(free_port(), &[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = node_options();
    options.sname = Some(format!("{}@localhost", unique_name("etftool")));
    options.epmd_port = Some(epmd.port);
    let mut node = ErlNode::start(options);
    let node_name = format!("'{}'", node.eval("node()."));
    node.eval(&format!(
        "etf_tool_gen:write_ids({}).",
        erl_string(dir.path())
    ));

    let out = etf(&["decode", path_str(&dir.path().join("ids.etf"))], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for expected in [
        format!("#Pid<{node_name}."),
        format!("#Ref<{node_name}."),
        format!("#Port<{node_name}."),
        format!("#Pid<{node_name}.1.2."),
        "#Pid<'x@remote'.1.2.4294967295>".to_string(),
        "#Pid<'o@h'.7.8.3>".to_string(),
        "#Ref<'x@remote'.5.1.2.3>".to_string(),
        "#Ref<'r@h'.5.1.2.3.4.5>".to_string(),
        "#Port<'x@remote'.78187493530.9>".to_string(),
        "#Port<'p@h'.77.2>".to_string(),
        "#Fun<'etf_tool_gen'.1.".to_string(),
        "#Fun<'erl_eval'.".to_string(),
        "fun lists:map/2".to_string(),
    ] {
        assert!(text.contains(&expected), "{expected} not in {text}");
    }
    std::fs::write(dir.path().join("ids.txt"), &text).expect("write");
    let out = etf(&["encode", path_str(&dir.path().join("ids.txt"))], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.path().join("ids2.etf"), &out.stdout).expect("write");
    let bad = node.eval(&format!(
        "etf_tool_gen:check_ids({}).",
        erl_string(dir.path())
    ));
    assert_eq!(bad, "[]", "ids that did not round-trip; text was {text}");
}

#[test]
fn syntax_errors_report_line_and_column_like_erl_parse() {
    let cases: &[(&str, &str)] = &[
        (
            "{a b}",
            "expected ',' or '}' after tuple element, found atom 'b'",
        ),
        (
            "[1,\n\n  {x,y,\n   z w}]",
            "expected ',' or '}' after tuple element",
        ),
        ("[1|2,3]", "expected ']' after the tail of a list"),
        ("#{a => 1 b}", "expected ',' or '}' after map value"),
        ("{a,,b}", "expected a term, found ','"),
        ("[1 2]", "expected ',', '|' or ']' after list element"),
        ("<<1 2>>", "expected ',' or '>>' after binary segment"),
        (
            "{a,b",
            "expected ',' or '}' after tuple element, found the end of the input",
        ),
        ("#{a => }", "expected a term, found '}'"),
        (
            "{ok,\n  [1,2,\n   {3 4}]}",
            "expected ',' or '}' after tuple element",
        ),
        // Columns count characters (a tab is one), as erl_scan does.
        ("\t{\"ä€\", a b}", "expected ',' or '}' after tuple element"),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let mut node = ErlNode::start(node_options());
    for (i, (text, message)) in cases.iter().enumerate() {
        let txt = dir.path().join(format!("bad_{i}.txt"));
        std::fs::write(&txt, text).expect("write");
        let out = etf(&["encode", path_str(&txt)], None);
        assert_eq!(out.status.code(), Some(1), "exit status for {text:?}");
        assert!(out.stdout.is_empty(), "stdout must be empty for {text:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let location = node.eval(&format!(
            "etf_tool_gen:error_location({}).",
            erl_string(&txt)
        ));
        let (line, column) = location
            .trim_matches(|c| c == '{' || c == '}')
            .split_once(',')
            .unwrap_or_else(|| panic!("erl_parse location {location}"));
        let prefix = format!("etf: {line}:{column}: {message}");
        assert!(
            stderr.starts_with(&prefix),
            "{text:?}: want {prefix:?}, got {stderr:?}"
        );
    }
}

#[test]
fn malformed_etf_is_an_error_with_an_offset_never_a_panic() {
    let out = etf(&["decode"], Some(&[131, 104, 2, 97]));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("etf: standard input is not a valid external term: at byte"));

    // Truncations and byte flips of valid terms (made by our own encoder): exit 0 or 1, never a
    // panic (101) or a signal.
    let samples = [
        "{ok, [1, 2.5, \"text\", <<1,2:3>>], #{a => {b, -123456789012345678901234567890}}}",
        "[fun lists:map/2, #Pid<'a@b'.1.2.3>, #Ref<'a@b'.1.2.3.4>, #Port<'a@b'.5.6>]",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for sample in samples {
        for compressed in [false, true] {
            let mut args = vec!["encode"];
            if compressed {
                args.push("--compressed");
            }
            let good = etf(&args, Some(sample.as_bytes()));
            assert!(good.status.success());
            let bytes = good.stdout;
            for _ in 0..60 {
                let mut bad = bytes.clone();
                if next() % 2 == 0 {
                    bad.truncate((next() as usize) % bytes.len());
                } else {
                    let at = (next() as usize) % bytes.len();
                    bad[at] = next() as u8;
                }
                let out = etf(&["decode"], Some(&bad));
                let code = out.status.code();
                assert!(
                    code == Some(0) || code == Some(1),
                    "etf decode of {bad:?} ended with {:?}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                );
                if code == Some(1) {
                    assert!(out.stdout.is_empty());
                }
            }
        }
    }
}

#[test]
fn hex_options_and_stdin() {
    let out = etf(&["encode", "--hex"], Some(b"[1,2]."));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "836b00020102\n");
    let out = etf(&["decode", "--hex"], Some(b"83 6b 00 02 01 02\n"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[1,2]\n");
    let out = etf(&["--help"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("#Pid<'NODE'.ID.SERIAL.CREATION>"));
}
