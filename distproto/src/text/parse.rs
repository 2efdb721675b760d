//! The parser for Erlang term literals (what `erl_parse` accepts as a term, plus the `#Pid<...>`
//! forms of `ids.rs`). Errors carry the line and column; nothing here panics on any input.

use std::fmt;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use super::bits::{bits_of, f16_bits, utf_units, BitWriter, MAX_BITS};
use super::lex::{Lexer, Pos, Tok, Token};
use crate::term::{Atom, ExportFun, Float, Fun, LocalFun, Map, Pid, Port, RefIds, Reference, Term};

/// How deeply tuples, lists, maps and binaries may nest in a literal: the same as the decoder's
/// default `max_depth`, so every term `etf decode` prints can be read back.
pub const MAX_NESTING: usize = 512;

/// How deeply binary literals may nest inside each other (`<<<<<<1>>/binary>>/binary>>`).
pub const MAX_BINARY_NESTING: usize = 32;

/// A syntax error: where it is, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl ParseError {
    pub fn new(pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError {
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses one term written in Erlang syntax, optionally followed by `.`; comments (`%`) and white
/// space are allowed anywhere between tokens.
///
/// Nesting is limited to [`MAX_NESTING`] levels (the decoder's default depth), so the deepest
/// accepted input fits in a 2 MiB thread stack even in debug builds.
pub fn parse_term(text: &str) -> Result<Term, ParseError> {
    let mut parser = Parser {
        lexer: Lexer::new(text),
        peeked: None,
        binary_depth: 0,
    };
    let term = parser.term(0)?;
    let next = parser.next()?;
    let next = if next.tok == Tok::Dot {
        parser.next()?
    } else {
        next
    };
    if next.tok != Tok::Eof {
        return Err(ParseError::new(
            next.pos,
            format!(
                "unexpected {} after the term; write exactly one term, optionally ending with '.'",
                next.tok.describe()
            ),
        ));
    }
    Ok(term)
}

struct Parser {
    lexer: Lexer,
    peeked: Option<Token>,
    /// Binaries currently open (their segments take much stack, so they have their own limit).
    binary_depth: usize,
}

/// A binary segment's type, from its `/type-spec` list.
#[derive(Clone, Copy, PartialEq)]
enum SegType {
    Integer,
    Float,
    Binary,
    Bits,
    Utf(u8),
}

struct SegSpec {
    kind: SegType,
    little: bool,
    unit: Option<u64>,
    pos: Pos,
}

impl Parser {
    fn next(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Token, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        match &self.peeked {
            Some(token) => Ok(token),
            None => Err(ParseError::new(self.lexer.pos(), "internal scanner error")),
        }
    }

    fn eat_punct(&mut self, p: &str) -> Result<bool, ParseError> {
        let found = matches!(&self.peek()?.tok, Tok::Punct(q) if *q == p);
        if found {
            self.peeked = None;
        }
        Ok(found)
    }

    fn expect_punct(&mut self, p: &str, context: &str) -> Result<Pos, ParseError> {
        let token = self.next()?;
        match token.tok {
            Tok::Punct(q) if q == p => Ok(token.pos),
            other => Err(ParseError::new(
                token.pos,
                format!("expected '{p}' {context}, found {}", other.describe()),
            )),
        }
    }

    fn term(&mut self, depth: usize) -> Result<Term, ParseError> {
        let token = self.next()?;
        if depth >= MAX_NESTING {
            return Err(nesting_error(token.pos));
        }
        // Only the nesting forms recurse; everything else is in `simple_term`, which keeps this
        // frame small so that deep nesting needs little stack.
        match token.tok {
            Tok::Punct("{") => self.tuple(depth),
            Tok::Punct("[") => self.list(depth),
            Tok::Punct("#") => self.hash(depth, token.pos),
            Tok::Punct("<<") => self.binary(depth),
            _ => self.simple_term(token),
        }
    }

    #[inline(never)]
    fn simple_term(&mut self, token: Token) -> Result<Term, ParseError> {
        match token.tok {
            Tok::Int(n) => Ok(integer(n)),
            Tok::Float(f) => Ok(Term::Float(Float(f))),
            Tok::Char(c) => Ok(Term::Integer(i64::from(c))),
            Tok::Punct(sign @ ("-" | "+")) => self.signed_number(sign, token.pos),
            Tok::Atom(name) => make_atom(&name, token.pos),
            Tok::Str(codes) => {
                let codes = self.more_strings(codes)?;
                Ok(Term::List(
                    codes.into_iter().map(|c| Term::Integer(c.into())).collect(),
                ))
            }
            Tok::Fun => self.export_fun(),
            Tok::Var(name) => Err(ParseError::new(
                token.pos,
                format!(
                    "variable {name} in a term; a term literal has no variables \
                     (quote it to write an atom: '{name}')"
                ),
            )),
            Tok::Reserved(word) => Err(ParseError::new(
                token.pos,
                format!("reserved word '{word}'; quote it to write the atom: '{word}'"),
            )),
            Tok::Eof => Err(ParseError::new(
                token.pos,
                "unexpected end of input; expected a term",
            )),
            other => Err(ParseError::new(
                token.pos,
                format!("expected a term, found {}", other.describe()),
            )),
        }
    }

    /// `-1`, `+2.5`, `-$a`: a sign applied to a number literal.
    fn signed_number(&mut self, sign: &str, pos: Pos) -> Result<Term, ParseError> {
        let token = self.next()?;
        let negative = sign == "-";
        match token.tok {
            Tok::Int(n) => Ok(integer(if negative { -n } else { n })),
            Tok::Char(c) => {
                let c = i64::from(c);
                Ok(Term::Integer(if negative { -c } else { c }))
            }
            Tok::Float(f) => Ok(Term::Float(Float(if negative { -f } else { f }))),
            other => Err(ParseError::new(
                pos,
                format!(
                    "'{sign}' must be followed by a number, found {}",
                    other.describe()
                ),
            )),
        }
    }

    /// Adjacent string literals concatenate: `"ab" "cd"`.
    fn more_strings(&mut self, mut codes: Vec<u32>) -> Result<Vec<u32>, ParseError> {
        while let Tok::Str(more) = &self.peek()?.tok {
            codes.extend_from_slice(more);
            self.peeked = None;
        }
        Ok(codes)
    }

    fn tuple(&mut self, depth: usize) -> Result<Term, ParseError> {
        let mut items = Vec::new();
        if self.eat_punct("}")? {
            return Ok(Term::Tuple(items));
        }
        loop {
            items.push(self.term(depth + 1)?);
            let token = self.next()?;
            match token.tok {
                Tok::Punct(",") => continue,
                Tok::Punct("}") => return Ok(Term::Tuple(items)),
                other => {
                    return Err(found_error(
                        token.pos,
                        "expected ',' or '}' after tuple element",
                        &other,
                    ))
                }
            }
        }
    }

    fn list(&mut self, depth: usize) -> Result<Term, ParseError> {
        let mut items = Vec::new();
        if self.eat_punct("]")? {
            return Ok(Term::List(items));
        }
        loop {
            items.push(self.term(depth + 1)?);
            let token = self.next()?;
            match token.tok {
                Tok::Punct(",") => continue,
                Tok::Punct("]") => return Ok(Term::List(items)),
                Tok::Punct("|") => {
                    let tail = self.term(depth + 1)?;
                    self.expect_punct("]", "after the tail of a list")?;
                    return Ok(improper(items, tail));
                }
                other => {
                    return Err(found_error(
                        token.pos,
                        "expected ',', '|' or ']' after list element",
                        &other,
                    ))
                }
            }
        }
    }

    /// After `#`: a map `#{...}` or one of `#Pid<`, `#Port<`, `#Ref<`, `#Fun<`.
    fn hash(&mut self, depth: usize, pos: Pos) -> Result<Term, ParseError> {
        let token = self.next()?;
        match token.tok {
            Tok::Punct("{") => self.map(depth),
            Tok::Var(kind) if ["Pid", "Port", "Ref", "Fun"].contains(&kind.as_str()) => {
                // The body is read character by character; `<` must follow directly.
                self.lexer.expect_char('<', &format!("'<' after #{kind}"))?;
                match kind.as_str() {
                    "Pid" => Ok(Term::Pid(self.pid_body()?)),
                    "Port" => self.port_body(),
                    "Ref" => self.ref_body(),
                    _ => self.local_fun_body(depth),
                }
            }
            other => Err(ParseError::new(
                pos,
                format!(
                    "expected '#{{' (a map) or #Pid<, #Port<, #Ref<, #Fun< after '#', found {}",
                    other.describe()
                ),
            )),
        }
    }

    fn map(&mut self, depth: usize) -> Result<Term, ParseError> {
        let mut map = Map::new();
        if self.eat_punct("}")? {
            return Ok(Term::Map(map));
        }
        loop {
            let key = self.term(depth + 1)?;
            let token = self.next()?;
            match token.tok {
                Tok::Punct("=>") => {}
                Tok::Punct(":=") => {
                    return Err(ParseError::new(
                        token.pos,
                        "':=' only updates an existing map; write '=>' in a map literal",
                    ))
                }
                other => {
                    return Err(found_error(
                        token.pos,
                        "expected '=>' after map key",
                        &other,
                    ))
                }
            }
            let value = self.term(depth + 1)?;
            // As in Erlang, a repeated key keeps the last value.
            map.insert(key, value);
            let token = self.next()?;
            match token.tok {
                Tok::Punct(",") => continue,
                Tok::Punct("}") => return Ok(Term::Map(map)),
                other => {
                    return Err(found_error(
                        token.pos,
                        "expected ',' or '}' after map value",
                        &other,
                    ))
                }
            }
        }
    }

    /// `fun Module:Function/Arity`. Reserved words are accepted unquoted here, because OTP's
    /// `fun_to_list` (and so `~w`) prints them that way: `fun end:foo/0`.
    fn export_fun(&mut self) -> Result<Term, ParseError> {
        let module = self.fun_atom("a module name after 'fun' (fun M:F/A)")?;
        self.expect_punct(":", "between module and function in fun M:F/A")?;
        let function = self.fun_atom("a function name in fun M:F/A")?;
        self.expect_punct("/", "before the arity in fun M:F/A")?;
        let token = self.next()?;
        let arity = match token.tok {
            Tok::Int(n) => n.to_u8(),
            _ => None,
        }
        .ok_or_else(|| ParseError::new(token.pos, "expected an arity 0..255 in fun M:F/A"))?;
        Ok(Term::Fun(Fun::Export(Box::new(ExportFun {
            module,
            function,
            arity,
        }))))
    }

    fn fun_atom(&mut self, what: &str) -> Result<Atom, ParseError> {
        let token = self.next()?;
        match token.tok {
            Tok::Atom(name) | Tok::Reserved(name) => new_atom(&name, token.pos),
            Tok::Fun => new_atom("fun", token.pos),
            other => Err(ParseError::new(
                token.pos,
                format!("expected {what}, found {}", other.describe()),
            )),
        }
    }

    // ---- #Pid<...>, #Port<...>, #Ref<...>, #Fun<...> (see ids.rs) ----

    fn raw_node(&mut self) -> Result<Atom, ParseError> {
        let pos = self.lexer.pos();
        let name = self
            .lexer
            .raw_quoted_atom("a quoted node name like 'a@host'")?;
        new_atom(&name, pos)
    }

    fn raw_number<T: TryFrom<u64>>(&mut self, what: &str) -> Result<T, ParseError> {
        self.lexer.expect_char('.', &format!("'.' before {what}"))?;
        let (digits, pos) = self.lexer.raw_digits(10, what)?;
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| ParseError::new(pos, format!("{what} {digits} is out of range")))
    }

    fn pid_body(&mut self) -> Result<Pid, ParseError> {
        let node = self.raw_node()?;
        let id = self.raw_number("the pid's ID")?;
        let serial = self.raw_number("the pid's SERIAL")?;
        let creation = self.raw_number("the pid's CREATION")?;
        self.lexer.expect_char('>', "'>' to close #Pid<...>")?;
        Ok(Pid {
            node,
            id,
            serial,
            creation,
        })
    }

    fn port_body(&mut self) -> Result<Term, ParseError> {
        let node = self.raw_node()?;
        let id = self.raw_number("the port's ID")?;
        let creation = self.raw_number("the port's CREATION")?;
        self.lexer.expect_char('>', "'>' to close #Port<...>")?;
        Ok(Term::Port(Port { node, id, creation }))
    }

    fn ref_body(&mut self) -> Result<Term, ParseError> {
        let node = self.raw_node()?;
        let creation = self.raw_number("the reference's CREATION")?;
        let mut ids = RefIds::default();
        while !self.lexer.eat_char('>') {
            if ids.len() == Reference::MAX_WORDS {
                return Err(self
                    .lexer
                    .unexpected("'>' (a reference has at most 5 id words)"));
            }
            let word = self.raw_number("a reference id word")?;
            // Cannot fail: there are fewer than 5 words (checked above).
            let _ = ids.push(word);
        }
        Ok(Term::from(Reference {
            node,
            creation,
            ids,
        }))
    }

    /// `#Fun<'MODULE'.ARITY.INDEX.UNIQ.OLD_INDEX.OLD_UNIQ,PID,[FREE_VARS]>`.
    fn local_fun_body(&mut self, depth: usize) -> Result<Term, ParseError> {
        let module = self.raw_node()?;
        let arity = self.raw_number("the fun's ARITY")?;
        let index = self.raw_number("the fun's INDEX")?;
        self.lexer.expect_char('.', "'.' before the fun's UNIQ")?;
        let (hex, pos) = self
            .lexer
            .raw_digits(16, "the fun's UNIQ (32 hex digits)")?;
        let uniq = parse_uniq(&hex)
            .ok_or_else(|| ParseError::new(pos, "the fun's UNIQ must be exactly 32 hex digits"))?;
        let old_index = self.raw_number("the fun's OLD_INDEX")?;
        let old_uniq = self.raw_number("the fun's OLD_UNIQ")?;
        self.lexer.expect_char(',', "',' before the fun's pid")?;
        self.lexer.expect_char('#', "the fun's pid as #Pid<...>")?;
        let (word, pos) = self.lexer.raw_digits(36, "#Pid<...>")?;
        if word != "Pid" {
            return Err(ParseError::new(pos, "expected the fun's pid as #Pid<...>"));
        }
        self.lexer.expect_char('<', "'<' after #Pid")?;
        let pid = self.pid_body()?;
        self.lexer
            .expect_char(',', "',' before the fun's free variables")?;
        self.lexer
            .expect_char('[', "the fun's free variables as a list [...]")?;
        let free_vars = match &mut self.list(depth + 1)? {
            Term::List(items) => std::mem::take(items),
            _ => {
                return Err(ParseError::new(
                    self.lexer.pos(),
                    "the fun's free variables must be a proper list",
                ))
            }
        };
        self.lexer.expect_char('>', "'>' to close #Fun<...>")?;
        Ok(Term::Fun(Fun::Local(Box::new(LocalFun {
            arity,
            uniq,
            index,
            module,
            old_index,
            old_uniq,
            pid,
            free_vars,
        }))))
    }

    // ---- binaries ----

    fn binary(&mut self, depth: usize) -> Result<Term, ParseError> {
        if depth >= MAX_NESTING {
            return Err(nesting_error(self.lexer.pos()));
        }
        if self.binary_depth >= MAX_BINARY_NESTING {
            return Err(ParseError::new(
                self.lexer.pos(),
                format!("binaries nested more than {MAX_BINARY_NESTING} deep are not supported"),
            ));
        }
        self.binary_depth += 1;
        let result = self.binary_body(depth);
        self.binary_depth -= 1;
        result
    }

    fn binary_body(&mut self, depth: usize) -> Result<Term, ParseError> {
        let mut out = BitWriter::default();
        if self.eat_punct(">>")? {
            return Ok(out.into_term());
        }
        loop {
            self.segment(&mut out, depth)?;
            let token = self.next()?;
            match token.tok {
                Tok::Punct(",") => continue,
                Tok::Punct(">>") => return Ok(out.into_term()),
                other => {
                    return Err(found_error(
                        token.pos,
                        "expected ',' or '>>' after binary segment",
                        &other,
                    ))
                }
            }
        }
    }

    /// One segment: `VALUE[:SIZE][/TYPE-SPECS]`.
    fn segment(&mut self, out: &mut BitWriter, depth: usize) -> Result<(), ParseError> {
        let start = self.peek()?.pos;
        let value = match self.next()?.tok {
            Tok::Int(n) => Segment::Int(n),
            Tok::Char(c) => Segment::Int(c.into()),
            Tok::Float(f) => Segment::Float(f),
            Tok::Punct(sign @ ("-" | "+")) => match &mut self.signed_number(sign, start)? {
                Term::Integer(n) => Segment::Int((*n).into()),
                Term::BigInt(n) => Segment::Int(std::mem::take(n)),
                Term::Float(f) => Segment::Float(f.value()),
                _ => return Err(ParseError::new(start, "expected a number after the sign")),
            },
            Tok::Str(codes) => Segment::Str(self.more_strings(codes)?),
            Tok::Punct("<<") => Segment::Bits(self.binary(depth + 1)?),
            other => {
                return Err(ParseError::new(
                    start,
                    format!(
                        "expected a binary segment (integer, float, string or <<...>>), found {}",
                        other.describe()
                    ),
                ))
            }
        };
        let size = if self.eat_punct(":")? {
            let token = self.next()?;
            match token.tok {
                Tok::Int(n) => Some(
                    n.to_u64()
                        .filter(|&n| n <= MAX_BITS)
                        .ok_or_else(|| ParseError::new(token.pos, "segment size is too large"))?,
                ),
                other => {
                    return Err(found_error(
                        token.pos,
                        "expected a segment size (an integer) after ':'",
                        &other,
                    ))
                }
            }
        } else {
            None
        };
        let spec = self.type_specs(start)?;
        match value {
            Segment::Str(codes) => {
                if matches!(spec.kind, SegType::Binary | SegType::Bits) {
                    return Err(ParseError::new(
                        spec.pos,
                        "a string segment cannot have type binary or bits",
                    ));
                }
                for code in codes {
                    put_segment(out, Segment::Int(code.into()), size, &spec)?;
                }
                Ok(())
            }
            value => put_segment(out, value, size, &spec),
        }
    }

    /// `/integer-little-unit:8` and friends; defaults to integer, big-endian.
    fn type_specs(&mut self, pos: Pos) -> Result<SegSpec, ParseError> {
        let mut spec = SegSpec {
            kind: SegType::Integer,
            little: false,
            unit: None,
            pos,
        };
        if !self.eat_punct("/")? {
            return Ok(spec);
        }
        loop {
            let token = self.next()?;
            spec.pos = token.pos;
            let Tok::Atom(name) = token.tok else {
                return Err(ParseError::new(
                    token.pos,
                    format!("expected a type specifier, found {}", token.tok.describe()),
                ));
            };
            match name.as_str() {
                "integer" => spec.kind = SegType::Integer,
                "float" => spec.kind = SegType::Float,
                "binary" | "bytes" => spec.kind = SegType::Binary,
                "bitstring" | "bits" => spec.kind = SegType::Bits,
                "utf8" => spec.kind = SegType::Utf(8),
                "utf16" => spec.kind = SegType::Utf(16),
                "utf32" => spec.kind = SegType::Utf(32),
                "signed" | "unsigned" | "big" => {}
                "little" => spec.little = true,
                "native" => spec.little = cfg!(target_endian = "little"),
                "unit" => {
                    self.expect_punct(":", "after 'unit'")?;
                    let token = self.next()?;
                    spec.unit = match token.tok {
                        Tok::Int(n) => n.to_u64().filter(|u| (1..=256).contains(u)),
                        _ => None,
                    };
                    if spec.unit.is_none() {
                        return Err(ParseError::new(token.pos, "expected unit:1..256"));
                    }
                }
                other => {
                    return Err(ParseError::new(
                        token.pos,
                        format!(
                            "unknown type specifier '{other}'; use integer, float, binary, \
                             bits, utf8, utf16, utf32, signed, unsigned, big, little, unit:N"
                        ),
                    ))
                }
            }
            if !self.eat_punct("-")? {
                return Ok(spec);
            }
        }
    }
}

/// A segment's value before encoding.
enum Segment {
    Int(BigInt),
    Float(f64),
    Str(Vec<u32>),
    Bits(Term),
}

/// Appends one segment to `out` as the BEAM would build it.
fn put_segment(
    out: &mut BitWriter,
    value: Segment,
    size: Option<u64>,
    spec: &SegSpec,
) -> Result<(), ParseError> {
    let err = |message: &str| Err(ParseError::new(spec.pos, message));
    let bits = match (spec.kind, size) {
        (SegType::Utf(_), Some(_)) => return err("utf8/utf16/utf32 segments take no size"),
        (SegType::Utf(_), None) => 0,
        (SegType::Integer, None) => 8,
        (SegType::Float, None) => 64,
        (SegType::Binary | SegType::Bits, None) => u64::MAX,
        (kind, Some(size)) => {
            let default_unit = if kind == SegType::Binary { 8 } else { 1 };
            size.saturating_mul(spec.unit.unwrap_or(default_unit))
        }
    };
    if bits != u64::MAX && out.bit_len().saturating_add(bits) > MAX_BITS {
        return err("binary literal too large");
    }
    match (spec.kind, value) {
        (SegType::Integer, Segment::Int(n)) => {
            if spec.little {
                out.push_int_little(&n, bits);
            } else {
                out.push_int_big(&n, bits);
            }
        }
        (SegType::Float, value) => {
            let f = match value {
                Segment::Float(f) => f,
                Segment::Int(n) => match n.to_f64() {
                    Some(f) if f.is_finite() => f,
                    _ => return err("integer too large for a float segment"),
                },
                _ => return err("a float segment needs a number"),
            };
            let raw: Vec<u8> = match (bits, spec.little) {
                (64, false) => f.to_be_bytes().to_vec(),
                (64, true) => f.to_le_bytes().to_vec(),
                (32, false) => (f as f32).to_be_bytes().to_vec(),
                (32, true) => (f as f32).to_le_bytes().to_vec(),
                (16, false) => f16_bits(f).to_be_bytes().to_vec(),
                (16, true) => f16_bits(f).to_le_bytes().to_vec(),
                _ => return err("float segments must be 16, 32 or 64 bits"),
            };
            out.push_bits(&raw, raw.len() as u64 * 8);
        }
        (SegType::Utf(width), Segment::Int(n)) => match utf_units(&n, width, spec.little) {
            Some(raw) => out.push_bits(&raw, raw.len() as u64 * 8),
            None => return err("not a Unicode code point for a utf segment"),
        },
        (SegType::Binary | SegType::Bits, Segment::Bits(term)) => {
            let Some((data, len)) = bits_of(&term) else {
                return err("expected a binary");
            };
            let take = if bits == u64::MAX { len } else { bits };
            if take > len {
                return err("the binary is shorter than the segment size");
            }
            if out.bit_len().saturating_add(take) > MAX_BITS {
                return err("binary literal too large");
            }
            if spec.kind == SegType::Binary && take % 8 != 0 {
                return err("a binary segment must be a whole number of bytes; use /bits");
            }
            out.push_bits(data, take);
        }
        (SegType::Integer, Segment::Float(_)) => {
            return err("a float needs the /float type in a binary")
        }
        (_, Segment::Bits(_)) => return err("a nested binary needs the /binary or /bits type"),
        _ => return err("this value does not fit the segment's type"),
    }
    Ok(())
}

/// "EXPECTED, found TOKEN" (kept out of line so the recursive functions stay small).
#[inline(never)]
fn found_error(pos: Pos, expected: &str, found: &Tok) -> ParseError {
    ParseError::new(pos, format!("{expected}, found {}", found.describe()))
}

#[inline(never)]
fn nesting_error(pos: Pos) -> ParseError {
    ParseError::new(
        pos,
        format!("terms nested more than {MAX_NESTING} deep are not supported"),
    )
}

/// An integer term: `Integer` when it fits in i64, else `BigInt`.
fn integer(n: BigInt) -> Term {
    match n.to_i64() {
        Some(small) => Term::Integer(small),
        None => Term::BigInt(n),
    }
}

/// `[a,b|tail]`, normalised: `[a|[b]]` is the proper list `[a,b]`.
fn improper(items: Vec<Term>, tail: Term) -> Term {
    let mut tail = tail;
    match &mut tail {
        Term::List(rest) | Term::ImproperList(rest, _) => {
            let mut items = items;
            items.append(rest);
            std::mem::swap(&mut items, rest);
            tail
        }
        _ => Term::ImproperList(items, Box::new(tail)),
    }
}

fn new_atom(name: &str, pos: Pos) -> Result<Atom, ParseError> {
    Atom::new(name).ok_or_else(|| ParseError::new(pos, "atom too long: at most 255 characters"))
}

fn make_atom(name: &str, pos: Pos) -> Result<Term, ParseError> {
    new_atom(name, pos).map(Term::Atom)
}

fn parse_uniq(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 {
        return None;
    }
    let mut uniq = [0u8; 16];
    for (i, byte) in uniq.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(uniq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::write_term;

    fn round(text: &str) -> String {
        match parse_term(text) {
            Ok(term) => write_term(&term),
            Err(e) => format!("ERROR {e}"),
        }
    }

    #[test]
    fn parses_every_literal_form() {
        let cases = [
            ("16#FF", "255"),
            ("2#101", "5"),
            ("36#zz", "1295"),
            ("1_000", "1000"),
            ("-16#10", "-16"),
            ("$a", "97"),
            ("$\\n", "10"),
            ("$\\x{3B1}", "945"),
            ("$\\^A", "1"),
            ("$\\101", "65"),
            ("- 1", "-1"),
            ("+1", "1"),
            ("-$a", "-97"),
            ("1.5e3", "1.5e3"),
            ("1.0E-2", "0.01"),
            ("1_0.2_5", "10.25"),
            ("-0.0", "-0.0"),
            ("123456789012345678901234567890", "123456789012345678901234567890"),
            ("'hello world'", "'hello world'"),
            ("'\\n\\'\\\\'", "'\\n\\'\\\\'"),
            ("'end'", "'end'"),
            ("maybe", "maybe"),
            ("\"abc\"", "[97,98,99]"),
            ("\"a\" \"b\"  \"\"", "[97,98]"),
            ("\"\"", "[]"),
            ("\"\\x{10FFFF}\\s\"", "[1114111,32]"),
            ("{a, {}, [1 | 2], [1, 2 | [3]], [a | []]}", "{a,{},[1|2],[1,2,3],[a]}"),
            ("#{b => 2, a => 1, a => 3}", "#{a => 3,b => 2}"),
            ("#{}", "#{}"),
            ("# {1 => x}", "#{1 => x}"),
            ("<<1,2>>", "<<1,2>>"),
            ("<<>>", "<<>>"),
            ("<<\"abc\">>", "<<97,98,99>>"),
            ("<<\"α\"/utf8>>", "<<206,177>>"),
            ("<<1:3>>", "<<1:3>>"),
            ("<<1,2:3>>", "<<1,2:3>>"),
            ("<<-1:16/little>>", "<<255,255>>"),
            ("<<256:16>>", "<<1,0>>"),
            ("<<1.5/float>>", "<<63,248,0,0,0,0,0,0>>"),
            ("<<<<1,2>>/binary, 3>>", "<<1,2,3>>"),
            ("<<<<1:3>>/bits, 1:5>>", "<<33>>"),
            ("fun lists:map/2", "fun lists:map/2"),
            ("fun 'A':'b c'/0", "fun 'A':'b c'/0"),
            ("fun end:'receive'/1", "fun end:receive/1"),
            ("{ok}. % trailing comment", "{ok}"),
            ("% lead\n[1,\n 2]", "[1,2]"),
            ("#Pid<'a@b'.1.2.3>", "#Pid<'a@b'.1.2.3>"),
            ("#Port<'a@b'.18446744073709551615.3>", "#Port<'a@b'.18446744073709551615.3>"),
            ("#Ref<'a@b'.3.1.2.3>", "#Ref<'a@b'.3.1.2.3>"),
            ("#Ref<'a@b'.3>", "#Ref<'a@b'.3>"),
            ("[#Pid< 'n@h' . 1 . 2 . 3 >]", "[#Pid<'n@h'.1.2.3>]"),
            (
                "#Fun<'m'.1.2.000102030405060708090a0b0c0d0e0f.3.4,#Pid<'n@h'.1.2.3>,[x,#Pid<'n@h'.4.5.6>]>",
                "#Fun<'m'.1.2.000102030405060708090a0b0c0d0e0f.3.4,#Pid<'n@h'.1.2.3>,[x,#Pid<'n@h'.4.5.6>]>",
            ),
        ];
        for (text, printed) in cases {
            assert_eq!(round(text), printed, "parsing {text:?}");
        }
    }

    #[test]
    fn reports_line_and_column() {
        let cases = [
            ("{a b}", "1:4: expected ',' or '}' after tuple element, found atom 'b'"),
            ("[1,\n\n  {x,y,\n   z w}]", "4:6: expected ',' or '}' after tuple element, found atom 'w'"),
            ("", "1:1: unexpected end of input; expected a term"),
            ("Foo", "1:1: variable Foo in a term; a term literal has no variables (quote it to write an atom: 'Foo')"),
            ("end", "1:1: reserved word 'end'; quote it to write the atom: 'end'"),
            ("'abc", "1:1: unterminated quoted atom; add the closing '"),
            ("[1|2,3]", "1:5: expected ']' after the tail of a list, found ','"),
            ("a b", "1:3: unexpected atom 'b' after the term; write exactly one term, optionally ending with '.'"),
            ("37#1", "1:1: illegal base 37; use 2..36"),
            ("#{a := 1}", "1:5: ':=' only updates an existing map; write '=>' in a map literal"),
            ("#Pid<'a'.1.x.3>", "1:12: expected the pid's SERIAL, found 'x'"),
            ("1.0e999", "1:1: float 1.0e999 is out of range (OTP floats are finite)"),
            ("<<1:3/foo>>", "1:7: unknown type specifier 'foo'; use integer, float, binary, bits, utf8, utf16, utf32, signed, unsigned, big, little, unit:N"),
            ("~", "1:1: unexpected character '~'; expected the start of a term"),
            (
                "<<0:134217728, <<1:8>>/binary>>",
                "1:24: binary literal too large",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(round(text), format!("ERROR {message}"), "parsing {text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let run = || {
            let text = "[".repeat(100_000);
            assert!(parse_term(&text).is_err());
            let text = "<<".repeat(100_000);
            assert!(parse_term(&text).is_err());
            let n = MAX_NESTING - 1;
            let text = format!("{}{}", "{".repeat(n), "}".repeat(n));
            assert!(parse_term(&text).is_ok());
        };
        let thread = std::thread::Builder::new().stack_size(2 << 20).spawn(run);
        assert!(thread.unwrap().join().is_ok());
    }
}
