//! `etf`: decode an external-term-format file to Erlang text (exactly as `io_lib:format("~w", [T])`
//! prints it) and encode Erlang term text to ETF bytes. Never panics on input; errors exit 1.

use std::io::{Read, Write};
use std::process::ExitCode;

use distproto::etf::{self, EncodeOptions};
use distproto::text::{parse_term, write_term, ID_FORMS};

const USAGE: &str = "\
usage: etf decode [--hex] [FILE]
       etf encode [--hex] [--compressed[=LEVEL]] [--minor-version N] [FILE]
       etf --help";

fn help() -> String {
    format!(
        "\
etf: the Erlang external term format (term_to_binary) on the command line.

{USAGE}

etf decode [FILE]
    Reads one external term (as written by term_to_binary, compressed or not) from FILE, or
    from standard input when FILE is absent, and prints it on one line exactly as OTP 25's
    io_lib:format(\"~w\", [Term]) does (UTF-8). Maps of more than 32 keys print their keys in
    term order (OTP prints them in its internal hash order).
    --hex    the input is hexadecimal text (white space ignored) instead of raw bytes

etf encode [FILE]
    Reads one Erlang term written as text (FILE, or standard input), optionally ending with
    '.', and writes its external format to standard output. The text is what erl_parse accepts
    as a term: integers (-12, 16#FF, 2#101, 1_000, $a, $\\n), floats (1.5e3), atoms (ok,
    'quoted\\n'), \"strings\" (lists of code points; \"a\" \"b\" concatenates), tuples, lists
    ([1,2|T]), maps (#{{k => v}}), binaries (<<1,2>>, <<\"text\">>, <<\"é\"/utf8>>, <<1:3>>,
    <<-1:12/little-signed>>, <<1.5/float>>, <<<<1>>/binary>>), fun M:F/A, and the forms below.
    --compressed[=LEVEL]  compress as term_to_binary(T, [{{compressed, LEVEL}}]) (default 6)
    --minor-version N     0, 1 (OTP 25's term_to_binary default) or 2 (default, OTP 26+)
    --hex                 write hexadecimal text instead of raw bytes

Pids, ports, references and local funs, which ~w prints as <0.80.0>, #Ref<0.1.2.3> etc.
(without the node name), are printed and read in these forms (NODE and MODULE are quoted
atoms; the numbers are decimal):
{ID_FORMS}

Errors (malformed ETF with its byte offset, or a syntax error as LINE:COLUMN) go to standard
error and exit with status 1; nothing is written to standard output then. Usage errors exit
with status 2.
"
    )
}

/// A failure to report: the message, and the exit status.
struct Failure(String, u8);

fn fail(message: impl Into<String>) -> Failure {
    Failure(message.into(), 1)
}

fn usage_error(message: impl Into<String>) -> Failure {
    Failure(format!("{}\n{USAGE}", message.into()), 2)
}

/// Stack for the worker thread: parsing and printing recurse once per nesting level (at most 512).
const STACK_SIZE: usize = 64 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || run(&args));
    let result = match worker.map(|handle| handle.join()) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(fail(
            "internal error (this is a bug in etf; please report it)",
        )),
        Err(e) => Err(fail(format!("cannot start the worker thread: {e}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message, code)) => {
            eprintln!("etf: {message}");
            ExitCode::from(code)
        }
    }
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some((command, rest)) = args.split_first() else {
        return Err(usage_error("missing command: decode or encode"));
    };
    if rest.iter().any(|a| a == "--help" || a == "-h") || command == "--help" || command == "-h" {
        print!("{}", help());
        return Ok(());
    }
    match command.as_str() {
        "decode" => decode(rest),
        "encode" => encode(rest),
        other => Err(usage_error(format!(
            "unknown command {other:?}: use decode or encode"
        ))),
    }
}

/// Reads FILE, or standard input when `path` is `None`.
fn read_input(path: Option<&str>) -> Result<Vec<u8>, Failure> {
    let mut data = Vec::new();
    match path {
        Some(path) => {
            data = std::fs::read(path).map_err(|e| fail(format!("cannot read {path}: {e}")))?
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut data)
                .map_err(|e| fail(format!("cannot read standard input: {e}")))?;
        }
    }
    Ok(data)
}

fn write_output(data: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)
        .and_then(|()| out.flush())
        .map_err(|e| fail(format!("cannot write standard output: {e}")))
}

fn decode(args: &[String]) -> Result<(), Failure> {
    let mut hex = false;
    let mut path = None;
    for arg in args {
        match arg.as_str() {
            "--hex" => hex = true,
            flag if flag.starts_with("--") => {
                return Err(usage_error(format!("unknown option {flag} for decode")))
            }
            file if path.is_none() => path = Some(file),
            extra => return Err(usage_error(format!("unexpected argument {extra:?}"))),
        }
    }
    let mut data = read_input(path)?;
    if hex {
        data = from_hex(&data)?;
    }
    let source = path.unwrap_or("standard input");
    let (term, used) = etf::decode_with(&data, &etf::DecodeOptions::default())
        .map_err(|e| fail(format!("{source} is not a valid external term: {e}")))?;
    if used < data.len() {
        eprintln!(
            "etf: note: {} byte(s) after the term in {source} were ignored",
            data.len() - used
        );
    }
    let mut text = write_term(&term);
    text.push('\n');
    write_output(text.as_bytes())
}

fn encode(args: &[String]) -> Result<(), Failure> {
    let mut hex = false;
    let mut path = None;
    let mut options = EncodeOptions::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--hex" => hex = true,
            "--compressed" => options.compressed = Some(6),
            level if level.starts_with("--compressed=") => {
                let value = level.trim_start_matches("--compressed=");
                options.compressed =
                    Some(value.parse().ok().filter(|l| *l <= 9).ok_or_else(|| {
                        usage_error(format!("bad compression level {value:?}: use 0..9"))
                    })?);
            }
            "--minor-version" => {
                let value = iter
                    .next()
                    .ok_or_else(|| usage_error("--minor-version needs a value: 0, 1 or 2"))?;
                options.minor_version = parse_minor(value)?;
            }
            minor if minor.starts_with("--minor-version=") => {
                options.minor_version = parse_minor(minor.trim_start_matches("--minor-version="))?;
            }
            flag if flag.starts_with("--") => {
                return Err(usage_error(format!("unknown option {flag} for encode")))
            }
            file if path.is_none() => path = Some(file),
            extra => return Err(usage_error(format!("unexpected argument {extra:?}"))),
        }
    }
    let data = read_input(path)?;
    let source = path.unwrap_or("standard input");
    let text =
        String::from_utf8(data).map_err(|e| fail(format!("{source} is not UTF-8 text: {e}")))?;
    let term = parse_term(&text).map_err(|e| fail(e.to_string()))?;
    let bytes = etf::encode_with(&term, &options)
        .map_err(|e| fail(format!("cannot encode the term: {e}")))?;
    if hex {
        let mut text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        text.push('\n');
        write_output(text.as_bytes())
    } else {
        write_output(&bytes)
    }
}

fn parse_minor(value: &str) -> Result<u8, Failure> {
    value
        .parse()
        .ok()
        .filter(|m| *m <= 2)
        .ok_or_else(|| usage_error(format!("bad minor version {value:?}: use 0, 1 or 2")))
}

/// Hexadecimal text to bytes; white space is ignored.
fn from_hex(text: &[u8]) -> Result<Vec<u8>, Failure> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() & 1 == 1 {
        return Err(fail("hex input has an odd number of digits"));
    }
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| fail(format!("hex input: bad digit pair at byte {i}")))
        })
        .collect()
}
