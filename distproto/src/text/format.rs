//! `io_lib:format/2` as OTP 25 does it, without I/O: what a group leader needs to answer
//! `{put_chars, Enc, io_lib, format, [Format, Args]}`, and a way for Rust code to format text the
//! Erlang way. A port of `io_lib_format.erl` (`~p` and `~P` are in `pretty.rs`); never prints.

use num_bigint::BigInt;

use super::io_write::{chars_length, grapheme_starts, write_depth, Encoding, NodeNumber, Nodes};
use super::pretty;
use crate::term::Term;

/// The largest field width, precision or count a format may ask for (`~1000000000c` would
/// otherwise allocate gigabytes); larger values are a [`FormatError`].
pub const MAX_FIELD: i64 = 1 << 20;

/// `io_lib:format/2` raised `badarg`: the format string or an argument does not fit.
///
/// OTP's group leader (`group.erl`) answers such a request `{error, format}` (the `F` of the MFA),
/// so `io:format/2` raises `badarg` in the caller; a group leader built on this should do the same.
/// `reason` says what was wrong, for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("io_lib:format/2 badarg: {reason}")]
pub struct FormatError {
    pub reason: String,
}

fn bad<T>(reason: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError {
        reason: reason.into(),
    })
}

/// `io_lib:format(Format, Args)`: `format` is a character list (possibly deep), a binary (its
/// bytes are Latin-1 characters, as OTP reads them) or an atom; `args` is a proper list.
///
/// The result is OTP's character list as a `String`. Characters that are not Unicode scalar
/// values (which `io_lib` would return but no device can print) are an error instead.
/// Pids, ports and references print in the forms of `print.rs` (`#Pid<'n@h'.1.2.3>`), since
/// OTP's `<0.80.0>` numbering belongs to the node that prints: see [`format_with`].
pub fn format(format: &Term, args: &Term) -> Result<String, FormatError> {
    format_with(format, args, &FormatOptions::default())
}

/// What [`format_with`] needs from the node that prints.
#[derive(Clone, Copy, Default)]
pub struct FormatOptions<'a> {
    /// The number a pid, port or reference of this node prints with, as OTP's `<N.ID.SERIAL>`:
    /// 0 for the printing node itself, the node's own choice for others. `None` (or no function)
    /// prints the parseable `#Pid<'node'.ID.SERIAL.CREATION>` forms instead.
    pub node_number: Option<NodeNumber<'a>>,
}

/// [`format`], printing pids, ports and references with the node numbers of `options`.
pub fn format_with(
    format: &Term,
    args: &Term,
    options: &FormatOptions,
) -> Result<String, FormatError> {
    let fmt = format_chars(format)?;
    let args: &[Term] = match args {
        Term::List(items) => items,
        _ => return bad("the arguments are not a proper list"),
    };
    let mut f = Formatter {
        nodes: Nodes(options.node_number),
        fmt: &fmt,
        pos: 0,
        args,
        next_arg: 0,
        out: String::new(),
    };
    f.run()?;
    if f.next_arg != args.len() {
        return bad(format!("{} arguments left over", args.len() - f.next_arg));
    }
    Ok(f.out)
}

/// One element of the format list: a character, or literal text from a nested list or binary
/// (which `io_lib_format:collect/2` passes through uninterpreted).
#[derive(Clone, Debug)]
enum FmtItem {
    Char(char),
    Text(String),
}

fn format_chars(format: &Term) -> Result<Vec<FmtItem>, FormatError> {
    match format {
        Term::Atom(atom) => Ok(atom.as_str().chars().map(FmtItem::Char).collect()),
        Term::Binary(bytes) => Ok(bytes
            .iter()
            .map(|&b| FmtItem::Char(char::from(b)))
            .collect()),
        Term::List(items) => items
            .iter()
            .map(|item| match item {
                Term::Integer(c) => to_char(*c).map(FmtItem::Char),
                Term::List(_) | Term::ImproperList(..) | Term::Binary(_) => {
                    let mut text = String::new();
                    unicode_chardata(item, &mut text)?;
                    Ok(FmtItem::Text(text))
                }
                _ => bad("the format is not a character list"),
            })
            .collect(),
        _ => bad("the format is not a character list, binary or atom"),
    }
}

/// Nested text in a format list as `unicode:characters_to_binary/1` reads it (binaries UTF-8).
fn unicode_chardata(term: &Term, out: &mut String) -> Result<(), FormatError> {
    match term {
        Term::Integer(c) => out.push(to_char(*c)?),
        Term::Binary(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => out.push_str(text),
            Err(_) => return bad("invalid UTF-8 in the format"),
        },
        Term::List(items) => {
            for item in items {
                unicode_chardata(item, out)?;
            }
        }
        Term::ImproperList(items, tail) if matches!(**tail, Term::Binary(_)) => {
            for item in items {
                unicode_chardata(item, out)?;
            }
            unicode_chardata(tail, out)?;
        }
        _ => return bad("the format is not a character list"),
    }
    Ok(())
}

fn to_char(c: i64) -> Result<char, FormatError> {
    u32::try_from(c)
        .ok()
        .and_then(char::from_u32)
        .map_or_else(|| bad(format!("{c} is not a character")), Ok)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Adjust {
    Left,
    Right,
}

/// The pad character: any term may be given with `.*`; only a character can be written.
#[derive(Clone, Copy, Debug)]
struct Pad(Option<char>);

impl Pad {
    fn get(self) -> Result<char, FormatError> {
        self.0
            .map_or_else(|| bad("the pad character is not a character"), Ok)
    }

    fn fill(self, n: i64) -> Result<String, FormatError> {
        if n <= 0 {
            return Ok(String::new());
        }
        Ok(std::iter::repeat_n(self.get()?, n as usize).collect())
    }
}

/// One control sequence, as `collect_cseq/2` builds it.
struct Spec {
    width: Option<i64>,
    adjust: Adjust,
    precision: Option<i64>,
    pad: Pad,
    encoding: Encoding,
    strings: bool,
}

struct Formatter<'a> {
    nodes: Nodes<'a>,
    fmt: &'a [FmtItem],
    pos: usize,
    args: &'a [Term],
    next_arg: usize,
    out: String,
}

impl<'a> Formatter<'a> {
    fn run(&mut self) -> Result<(), FormatError> {
        while let Some(item) = self.fmt.get(self.pos) {
            self.pos += 1;
            match item {
                FmtItem::Char('~') => self.control()?,
                FmtItem::Char(c) => self.out.push(*c),
                FmtItem::Text(text) => self.out.push_str(text),
            }
        }
        Ok(())
    }

    fn peek(&self) -> Option<char> {
        match self.fmt.get(self.pos) {
            Some(FmtItem::Char(c)) => Some(*c),
            _ => None,
        }
    }

    fn arg(&mut self) -> Result<&'a Term, FormatError> {
        let args: &'a [Term] = self.args;
        let arg = args.get(self.next_arg);
        self.next_arg += 1;
        arg.map_or_else(|| bad("too few arguments"), Ok)
    }

    fn peek_arg(&self) -> Option<&'a Term> {
        self.args.get(self.next_arg)
    }

    /// `field_value/2`: `*` takes an integer argument, else decimal digits, else none.
    fn field_value(&mut self) -> Result<Option<i64>, FormatError> {
        match self.peek() {
            Some('*') => match self.peek_arg() {
                Some(Term::Integer(n)) => {
                    self.pos += 1;
                    self.next_arg += 1;
                    Ok(Some(*n))
                }
                // OTP leaves the `*` to fail as a control character.
                _ => Ok(None),
            },
            Some(c) if c.is_ascii_digit() => {
                let mut n: i64 = 0;
                while let Some(c @ '0'..='9') = self.peek() {
                    n = n
                        .saturating_mul(10)
                        .saturating_add(i64::from(c as u8 - b'0'));
                    self.pos += 1;
                }
                Ok(Some(n))
            }
            _ => Ok(None),
        }
    }

    fn control(&mut self) -> Result<(), FormatError> {
        // Field width, with `-` for left adjustment.
        let (width, adjust) = if self.peek() == Some('-') {
            self.pos += 1;
            match self.field_value()? {
                Some(f) if f > 0 => (Some(f), Adjust::Left),
                Some(f) => (Some(f.saturating_neg()), Adjust::Right),
                None => return bad("`~-` without a field width"),
            }
        } else {
            match self.field_value()? {
                Some(f) if f < 0 => (Some(f.saturating_neg()), Adjust::Left),
                f => (f, Adjust::Right),
            }
        };
        let precision = if self.peek() == Some('.') {
            self.pos += 1;
            self.field_value()?
        } else {
            None
        };
        let mut pad = Pad(Some(' '));
        if self.peek() == Some('.') {
            match self.fmt.get(self.pos + 1) {
                Some(FmtItem::Char('*')) => {
                    self.pos += 2;
                    pad = Pad(match self.arg()? {
                        Term::Integer(c) => u32::try_from(*c).ok().and_then(char::from_u32),
                        _ => None,
                    });
                }
                Some(FmtItem::Char(c)) => {
                    pad = Pad(Some(*c));
                    self.pos += 2;
                }
                _ => return bad("a pad character that is not a character"),
            }
        }
        for value in [width, precision].into_iter().flatten() {
            if value.unsigned_abs() > MAX_FIELD as u64 {
                return bad(format!(
                    "field width or precision {value} above {MAX_FIELD}"
                ));
            }
        }
        let mut spec = Spec {
            width,
            adjust,
            precision,
            pad,
            encoding: Encoding::Latin1,
            strings: true,
        };
        loop {
            match self.peek() {
                Some('t') => spec.encoding = Encoding::Unicode,
                Some('l') => spec.strings = false,
                _ => break,
            }
            self.pos += 1;
        }
        let Some(c) = self.peek() else {
            return bad("the format ends inside a control sequence");
        };
        self.pos += 1;
        if spec.precision.is_some_and(|p| p < 0) && !matches!(c, 'p' | 'P') {
            return bad(format!("a negative precision for ~{c}"));
        }
        self.directive(c, &spec)
    }

    fn directive(&mut self, c: char, spec: &Spec) -> Result<(), FormatError> {
        let text = match c {
            'w' => {
                let arg = self.arg()?;
                let mut s = String::new();
                write_depth(&mut s, arg, -1, spec.encoding, self.nodes);
                term(s, spec.width, spec.adjust, spec.precision, spec.pad)?
            }
            'W' => {
                let arg = self.arg()?;
                let depth = self.depth_arg()?;
                let mut s = String::new();
                write_depth(&mut s, arg, depth, spec.encoding, self.nodes);
                term(s, spec.width, spec.adjust, spec.precision, spec.pad)?
            }
            'p' => {
                let arg = self.arg()?;
                self.print(arg, -1, spec)?
            }
            'P' => {
                let arg = self.arg()?;
                let depth = self.depth_arg()?;
                self.print(arg, depth, spec)?
            }
            's' => {
                let arg = self.arg()?;
                let s = match (arg, spec.encoding) {
                    (Term::Atom(atom), Encoding::Latin1) => {
                        let name = atom.as_str();
                        if name.chars().any(|c| u32::from(c) > 255) {
                            return bad("~s of an atom with characters above 255 (use ~ts)");
                        }
                        name.to_string()
                    }
                    (Term::Atom(atom), Encoding::Unicode) => atom.as_str().to_string(),
                    (_, Encoding::Latin1) => {
                        let mut s = String::new();
                        iolist_chars(arg, &mut s, true)?;
                        s
                    }
                    (_, Encoding::Unicode) => {
                        let mut s = String::new();
                        cdata_chars(arg, &mut s, true)?;
                        s
                    }
                };
                string(s, spec)?
            }
            'e' | 'f' | 'g' => {
                let Term::Float(value) = self.arg()? else {
                    return bad(format!("~{c} of a value that is not a float"));
                };
                let value = value.value();
                match c {
                    'e' => fwrite_e(value, spec)?,
                    'f' => fwrite_f(value, spec)?,
                    _ => fwrite_g(value, spec)?,
                }
            }
            'b' | 'B' | 'x' | 'X' | '+' | '#' => {
                let value = integer_arg(self.arg()?, c)?;
                let base = match spec.precision {
                    None => 10,
                    Some(b @ 2..=36) => b as u32,
                    Some(b) => return bad(format!("integer base {b} not in 2..36")),
                };
                let prefix = match c {
                    'x' | 'X' => prefix_arg(self.arg()?)?,
                    '+' | '#' => format!("{base}#"),
                    _ => String::new(),
                };
                let lower = matches!(c, 'b' | 'x' | '+');
                let digits = value.magnitude().to_str_radix(base);
                let digits = if lower {
                    digits
                } else {
                    digits.to_ascii_uppercase()
                };
                let sign = if value.sign() == num_bigint::Sign::Minus {
                    "-"
                } else {
                    ""
                };
                term(
                    format!("{sign}{prefix}{digits}"),
                    spec.width,
                    spec.adjust,
                    None,
                    spec.pad,
                )?
            }
            'c' => {
                let value = match self.arg()? {
                    Term::Integer(n) => *n,
                    Term::BigInt(n) if spec.encoding == Encoding::Latin1 => {
                        // `band 255` of a bignum: its low byte (two's complement).
                        let low = n & BigInt::from(255);
                        i64::try_from(low).unwrap_or(0)
                    }
                    _ => return bad("~c of a value that is not an integer"),
                };
                let value = match spec.encoding {
                    Encoding::Latin1 => value & 255,
                    Encoding::Unicode => value,
                };
                char_field(to_char(value)?, spec)?
            }
            '~' => char_field('~', spec)?,
            'n' => match (spec.width, spec.adjust) {
                (None, _) => "\n".to_string(),
                (Some(f), Adjust::Right) => "\n".repeat(f as usize),
                (Some(_), Adjust::Left) => return bad("~n with a left-adjusted field width"),
            },
            'i' => {
                self.arg()?;
                String::new()
            }
            _ => return bad(format!("unknown control sequence ~{c}")),
        };
        self.out.push_str(&text);
        Ok(())
    }

    fn depth_arg(&mut self) -> Result<i64, FormatError> {
        match self.arg()? {
            // Every negative depth means unlimited; -1 keeps the arithmetic below from overflowing.
            Term::Integer(d) => Ok((*d).max(-1)),
            // A depth beyond i64 is as good as unlimited.
            Term::BigInt(d) if d.sign() == num_bigint::Sign::Plus => Ok(i64::MAX),
            Term::BigInt(_) => Ok(-1),
            _ => bad("the depth is not an integer"),
        }
    }

    /// `print/10` of `io_lib_format`: field width is the line length, precision the start column
    /// (by default where the output so far ends).
    fn print(&self, arg: &Term, depth: i64, spec: &Spec) -> Result<String, FormatError> {
        if spec.adjust == Adjust::Left {
            return bad("~p with a left-adjusted field width");
        }
        let line_length = spec.width.unwrap_or(80);
        let column = match spec.precision {
            Some(p) => p,
            None => indentation(&self.out) + 1,
        };
        let mut s = String::new();
        pretty::print(
            &mut s,
            arg,
            column,
            line_length,
            depth,
            spec.encoding,
            spec.strings,
            self.nodes,
        );
        if s.len() > pretty::MAX_OUTPUT {
            return bad(format!(
                "~p text above {} bytes (a wide column?)",
                pretty::MAX_OUTPUT
            ));
        }
        Ok(s)
    }
}

/// `indentation/2`: the column where `text` ends, tabs at every 8 columns.
fn indentation(text: &str) -> i64 {
    let line = text.rsplit('\n').next().unwrap_or("");
    line.chars()
        .fold(0, |i, c| if c == '\t' { ((i + 8) / 8) * 8 } else { i + 1 })
}

fn integer_arg(term: &Term, c: char) -> Result<BigInt, FormatError> {
    match term {
        Term::Integer(n) => Ok(BigInt::from(*n)),
        Term::BigInt(n) => Ok(n.clone()),
        _ => bad(format!("~{c} of a value that is not an integer")),
    }
}

/// The prefix of `~x`/`~X`: an atom's name or a deep character list.
fn prefix_arg(term: &Term) -> Result<String, FormatError> {
    fn deep(term: &Term, out: &mut String) -> Result<(), FormatError> {
        match term {
            Term::List(items) => items.iter().try_for_each(|item| match item {
                Term::Integer(c) if !matches!(c, 0xfffe | 0xffff) => {
                    out.push(to_char(*c)?);
                    Ok(())
                }
                Term::List(_) => deep(item, out),
                _ => bad("the ~x prefix is not a character list"),
            }),
            _ => bad("the ~x prefix is not an atom or a character list"),
        }
    }
    match term {
        Term::Atom(atom) => Ok(atom.as_str().to_string()),
        _ => {
            let mut out = String::new();
            deep(term, &mut out)?;
            Ok(out)
        }
    }
}

/// `iolist_to_chars/1` (what `~s` takes): Latin-1 characters, nested lists, binaries (also as a
/// list's tail).
fn iolist_chars(term: &Term, out: &mut String, top: bool) -> Result<(), FormatError> {
    let items = match term {
        Term::Binary(bytes) => {
            out.extend(bytes.iter().map(|&b| char::from(b)));
            return Ok(());
        }
        Term::List(items) => items,
        Term::ImproperList(items, tail) if matches!(**tail, Term::Binary(_)) => {
            for item in items {
                iolist_item(item, out)?;
            }
            return iolist_chars(tail, out, false);
        }
        _ if top => return bad("~s of a value that is not an iolist, binary or atom"),
        _ => return bad("~s of a list holding something other than characters"),
    };
    items.iter().try_for_each(|item| iolist_item(item, out))
}

fn iolist_item(item: &Term, out: &mut String) -> Result<(), FormatError> {
    match item {
        Term::Integer(c @ 0..=255) => {
            out.push(char::from(*c as u8));
            Ok(())
        }
        Term::Integer(_) => bad("~s of a character above 255 (use ~ts)"),
        _ => iolist_chars(item, out, false),
    }
}

/// `cdata_to_chars/1` (what `~ts` takes): characters, nested lists, binaries read as UTF-8 (or,
/// when they are not UTF-8, as Latin-1 bytes).
fn cdata_chars(term: &Term, out: &mut String, top: bool) -> Result<(), FormatError> {
    let items = match term {
        Term::Binary(bytes) => {
            match std::str::from_utf8(bytes) {
                Ok(text) => out.push_str(text),
                Err(_) => out.extend(bytes.iter().map(|&b| char::from(b))),
            }
            return Ok(());
        }
        Term::List(items) => items,
        Term::ImproperList(items, tail) if matches!(**tail, Term::Binary(_)) => {
            for item in items {
                cdata_item(item, out)?;
            }
            return cdata_chars(tail, out, false);
        }
        _ if top => return bad("~ts of a value that is not chardata or an atom"),
        _ => return bad("~ts of a list holding something other than characters"),
    };
    items.iter().try_for_each(|item| cdata_item(item, out))
}

fn cdata_item(item: &Term, out: &mut String) -> Result<(), FormatError> {
    match item {
        Term::Integer(c) if *c >= 0 => {
            out.push(to_char(*c)?);
            Ok(())
        }
        _ => cdata_chars(item, out, false),
    }
}

fn adjust(data: String, pad: String, adjust: Adjust) -> String {
    match adjust {
        Adjust::Left => data + &pad,
        Adjust::Right => pad + &data,
    }
}

/// `term/5`: `text` in a field of `width`, cut to stars when it does not fit.
fn term(
    text: String,
    width: Option<i64>,
    adj: Adjust,
    precision: Option<i64>,
    pad: Pad,
) -> Result<String, FormatError> {
    let (f, p0) = match (width, precision) {
        (None, None) => return Ok(text),
        (None, Some(p)) => (p, Some(p)),
        (Some(f), p) => (f, p),
    };
    let l = chars_length(&text) as i64;
    let p = l.min(match p0 {
        None => f,
        Some(p0) => p0.min(f),
    });
    if l > p {
        let stars = "*".repeat(p.max(0) as usize);
        Ok(adjust(stars, pad.fill(f - p)?, adj))
    } else {
        Ok(adjust(text, pad.fill(f - l)?, adj))
    }
}

/// `string/6` (`~s`): width pads or truncates, precision cuts first.
fn string(s: String, spec: &Spec) -> Result<String, FormatError> {
    let enc = spec.encoding;
    match (spec.width, spec.precision) {
        (None, None) => Ok(s),
        (Some(f), None) => {
            let n = chars_length(&s) as i64;
            string_field(s, f, spec.adjust, n, spec.pad, enc)
        }
        (None, Some(p)) => {
            let n = chars_length(&s) as i64;
            string_field(s, p, Adjust::Left, n, spec.pad, enc)
        }
        (Some(f), Some(p)) if f >= p => {
            let n = chars_length(&s) as i64;
            if f > p {
                let field = if n > p {
                    flat_trunc(&s, p, enc)
                } else if n < p {
                    s + &spec.pad.fill(p - n)?
                } else {
                    s
                };
                Ok(adjust(field, spec.pad.fill(f - p)?, spec.adjust))
            } else {
                string_field(s, f, spec.adjust, n, spec.pad, enc)
            }
        }
        (Some(_), Some(_)) => bad("~s with a precision above the field width"),
    }
}

fn string_field(
    s: String,
    f: i64,
    adj: Adjust,
    n: i64,
    pad: Pad,
    enc: Encoding,
) -> Result<String, FormatError> {
    if n > f {
        Ok(flat_trunc(&s, f, enc))
    } else if n < f {
        Ok(adjust(s, pad.fill(f - n)?, adj))
    } else {
        Ok(s)
    }
}

/// The first `n` characters (latin1) or grapheme clusters (`string:slice/3`, unicode).
fn flat_trunc(s: &str, n: i64, enc: Encoding) -> String {
    let n = n.max(0) as usize;
    match enc {
        Encoding::Latin1 => s.chars().take(n).collect(),
        Encoding::Unicode => match grapheme_starts(s).nth(n) {
            Some(end) => s[..end].to_string(),
            None => s.to_string(),
        },
    }
}

/// `char/5` (`~c`, `~~`): width and precision repeat the character.
fn char_field(c: char, spec: &Spec) -> Result<String, FormatError> {
    let repeat = |n: i64| std::iter::repeat_n(c, n.max(0) as usize).collect::<String>();
    match (spec.width, spec.precision) {
        (None, None) => Ok(c.to_string()),
        (Some(f), None) => Ok(repeat(f)),
        (None, Some(p)) => Ok(repeat(p)),
        (Some(f), Some(p)) if f >= p => Ok(adjust(repeat(p), spec.pad.fill(f - p)?, spec.adjust)),
        _ => bad("~c with a precision above the field width"),
    }
}

/// `float_data/1`: the 21 significant digits of `float_to_list(F)` (`%.20e`) and the exponent
/// plus one.
fn float_data(value: f64) -> (Vec<u8>, i64) {
    let text = format!("{:.20e}", value.abs());
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    (digits, exponent.parse::<i64>().unwrap_or(0) + 1)
}

/// `float_man/3`: `icount` digits, a point, `dcount` decimals, rounded half up on the digits;
/// the flag says the rounding carried out of the first digit.
fn float_man(ds: &[u8], icount: i64, dcount: i64) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let digit = |i: i64| ds.get(i as usize).copied().unwrap_or(b'0');
    for i in 0..icount {
        out.push(digit(i));
    }
    out.push(b'.');
    for i in icount..icount + dcount {
        out.push(digit(i));
    }
    let mut carry = (icount + dcount) < ds.len() as i64 && digit(icount + dcount) >= b'5';
    for b in out.iter_mut().rev() {
        if !carry {
            break;
        }
        if *b == b'.' {
            continue;
        }
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            carry = false;
        }
    }
    (out, carry)
}

fn sign(value: f64) -> &'static str {
    if value.is_sign_negative() {
        "-"
    } else {
        ""
    }
}

fn float_exp(e: i64) -> String {
    if e >= 0 {
        format!("e+{e}")
    } else {
        format!("e{e}")
    }
}

fn float_e(value: f64, p: i64) -> String {
    let (ds, e) = float_data(value);
    let (man, carry) = float_man(&ds, 1, p - 1);
    let man = String::from_utf8_lossy(&man).into_owned();
    if carry {
        // "0.00" with a carry is "1.00" and one more in the exponent.
        format!("{}1{}{}", sign(value), &man[1..], float_exp(e))
    } else {
        format!("{}{}{}", sign(value), man, float_exp(e - 1))
    }
}

fn float_f(value: f64, p: i64) -> String {
    let (mut ds, mut e) = float_data(value);
    if e <= 0 {
        let mut zeros = vec![b'0'; (-e + 1) as usize];
        zeros.extend_from_slice(&ds);
        ds = zeros;
        e = 1;
    }
    let (man, carry) = float_man(&ds, e, p);
    let man = String::from_utf8_lossy(&man).into_owned();
    format!("{}{}{}", sign(value), if carry { "1" } else { "" }, man)
}

fn float_field(text: String, spec: &Spec) -> Result<String, FormatError> {
    match spec.width {
        None => Ok(text),
        Some(f) => term(text, Some(f), spec.adjust, Some(f), spec.pad),
    }
}

fn fwrite_e(value: f64, spec: &Spec) -> Result<String, FormatError> {
    let p = spec.precision.unwrap_or(6);
    if p < 2 {
        return bad("~e with a precision below 2");
    }
    float_field(float_e(value, p), spec)
}

fn fwrite_f(value: f64, spec: &Spec) -> Result<String, FormatError> {
    let p = spec.precision.unwrap_or(6);
    if p < 1 {
        return bad("~f with a precision below 1");
    }
    float_field(float_f(value, p), spec)
}

/// `~g`: `~f` for 0.1 <= |F| < 10000 when the precision allows, else `~e`.
fn fwrite_g(value: f64, spec: &Spec) -> Result<String, FormatError> {
    let p = spec.precision.unwrap_or(6);
    if p < 1 {
        return bad("~g with a precision below 1");
    }
    let a = value.abs();
    let e: Option<i64> = match a {
        _ if a < 1.0e-1 => Some(-2),
        _ if a < 1.0e0 => Some(-1),
        _ if a < 1.0e1 => Some(0),
        _ if a < 1.0e2 => Some(1),
        _ if a < 1.0e3 => Some(2),
        _ if a < 1.0e4 => Some(3),
        _ => None,
    };
    let with = |precision: i64| Spec {
        precision: Some(precision),
        width: spec.width,
        adjust: spec.adjust,
        pad: spec.pad,
        encoding: spec.encoding,
        strings: spec.strings,
    };
    match e {
        Some(-1) if p <= 1 => fwrite_f(value, &with(p - 1 + 1)),
        Some(e) if p - 1 > e && e >= -1 => fwrite_f(value, &with(p - 1 - e)),
        _ if p <= 1 => fwrite_e(value, &with(2)),
        _ => fwrite_e(value, &with(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Term {
        Term::list(text.chars().map(|c| Term::from(c as i64)).collect())
    }

    fn f(fmt: &str, args: Vec<Term>) -> Result<String, FormatError> {
        format(&chars(fmt), &Term::list(args))
    }

    fn ok(fmt: &str, args: Vec<Term>) -> String {
        f(fmt, args).unwrap_or_else(|e| panic!("{fmt}: {e}"))
    }

    #[test]
    fn directives_match_otp_25() {
        let t = Term::tuple(vec![
            Term::atom("a"),
            chars("b"),
            Term::list(vec![1.into()]),
        ]);
        assert_eq!(
            ok("~w ~p", vec![t.clone(), t.clone()]),
            "{a,[98],[1]} {a,\"b\",[1]}"
        );
        assert_eq!(ok("~20w|", vec![t.clone()]), "        {a,[98],[1]}|");
        assert_eq!(
            ok("~-20.5.*w|", vec![Term::from('#' as i64), t]),
            "*****###############|"
        );
        assert_eq!(
            ok(
                "~5s|~-5s|~.2s|",
                vec![chars("ab"), chars("ab"), chars("abc")]
            ),
            "   ab|ab   |ab|"
        );
        assert_eq!(ok("~5.2.xs|", vec![chars("abc")]), "xxxab|");
        assert_eq!(ok("~s", vec![Term::atom("atom")]), "atom");
        assert_eq!(
            ok("~c~5c~.3c~n~~", vec![97.into(), 98.into(), 99.into()]),
            "abbbbbccc\n~"
        );
        assert_eq!(
            ok(
                "~.16b ~.16B ~.16x ~.16# ~.2+",
                vec![
                    255.into(),
                    255.into(),
                    255.into(),
                    Term::atom("0x"),
                    255.into(),
                    5.into()
                ]
            ),
            "ff FF 0xff 16#FF 2#101"
        );
        // The pad goes before the sign, as in OTP.
        assert_eq!(ok("~8.2.0B", vec![Term::from(-5)]), "0000-101");
        assert_eq!(ok("~3B", vec![Term::from(12345)]), "***");
        let x = |v: f64| Term::float(v).unwrap();
        assert_eq!(
            ok("~e ~f ~g", vec![x(1.5), x(1.5), x(1.5)]),
            "1.50000e+0 1.500000 1.50000"
        );
        assert_eq!(
            ok("~.2f ~.3e ~.1g", vec![x(0.125), x(-99.95), x(1.0e5)]),
            "0.13 -1.00e+2 1.0e+5"
        );
        assert_eq!(ok("~i~w", vec![1.into(), 2.into()]), "2");
        assert_eq!(ok("~tc~ts", vec![945.into(), chars("βγ")]), "αβγ");
    }

    #[test]
    fn pretty_printing_uses_the_column() {
        let list = Term::list((1..=30).map(Term::from).collect());
        let text = ok("prefix: ~p", vec![list]);
        assert_eq!(
            text,
            "prefix: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,\n         27,28,29,30]"
        );
    }

    #[test]
    fn bad_formats_are_errors() {
        for (fmt, args) in [
            ("~d", vec![Term::from(1)]),
            ("~a", vec![Term::atom("x")]),
            ("~w", vec![]),
            ("~w", vec![1.into(), 2.into()]),
            ("~e", vec![1.into()]),
            ("~-p", vec![1.into()]),
            ("~5.10s", vec![chars("abc")]),
            ("~s", vec![Term::list(vec![300.into()])]),
            ("~", vec![]),
            ("~.1b", vec![1.into()]),
            ("~100000000c", vec![97.into()]),
            (
                "~.1000000p",
                vec![Term::list(
                    (0..100).map(|i| Term::tuple(vec![i.into()])).collect(),
                )],
            ),
        ] {
            assert!(f(fmt, args).is_err(), "{fmt}");
        }
        assert!(format(&chars("~w"), &Term::atom("x")).is_err());
        // Widths from `*` at the ends of i64 are refused, not overflowed.
        for width in [i64::MIN, i64::MAX] {
            assert!(f("~*w", vec![width.into(), 1.into()]).is_err());
            assert!(f("~-*w", vec![width.into(), 1.into()]).is_err());
        }
    }

    #[test]
    fn formats_may_be_binaries_atoms_or_deep_lists() {
        let args = Term::list(vec![1.into()]);
        assert_eq!(format(&Term::binary(b"b~w".to_vec()), &args).unwrap(), "b1");
        assert_eq!(format(&Term::atom("a~w"), &args).unwrap(), "a1");
        let deep = Term::list(vec![
            chars("x~w"),
            Term::from('~' as i64),
            Term::from('w' as i64),
        ]);
        assert_eq!(format(&deep, &args).unwrap(), "x~w1");
    }

    proptest::proptest! {
        /// Whatever a peer sends as format and arguments, we answer with text or an error.
        #[test]
        fn never_panics(fmt in "[~~~\\-.*0-9tlwWpPsecfgbBxX+#ni a\n\t]{0,12}", picks in proptest::collection::vec(0usize..12, 0..6)) {
            let pool = [
                Term::from(-3), Term::from(65), Term::atom("x"), chars("ab"),
                Term::float(-1.5e300).unwrap(), Term::binary(vec![0xff, b'a']),
                Term::tuple(vec![Term::atom("t"), Term::list(vec![1.into()])]),
                Term::from(i64::MIN), Term::improper_list(vec![97.into()], Term::binary(b"z".to_vec())),
                Term::list(vec![]), Term::from(1_000_000), Term::from(0x10FFFF),
            ];
            let args = Term::list(picks.iter().map(|&i| pool[i].clone()).collect());
            let _ = format(&chars(&fmt), &args);
        }
    }
}
