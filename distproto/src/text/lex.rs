//! The scanner for term literals, following OTP 25's `erl_scan`: numbers (`16#FF`, `1_000`, `$a`),
//! atoms, strings and their escapes, punctuation; every token carries its line and column.

use num_bigint::BigInt;
use num_traits::Num;

use super::atom_text::{is_atom_start, is_name_char, RESERVED_WORDS};
use super::parse::ParseError;

/// Where a token starts: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A non-negative integer literal (the sign is a separate `-`).
    Int(BigInt),
    Float(f64),
    /// `$c`: a character literal, i.e. an integer.
    Char(u32),
    Atom(String),
    /// A name starting with an upper-case letter or `_`.
    Var(String),
    /// A string literal, as code points.
    Str(Vec<u32>),
    /// The reserved word `fun`.
    Fun,
    /// Any other reserved word (`end`, `case`, ...).
    Reserved(String),
    /// Punctuation and operators: `{ } [ ] ( ) , | || => := # << >> < > : / - + = .`
    Punct(&'static str),
    /// A full stop: `.` followed by white space, a comment or the end.
    Dot,
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Int(n) => format!("integer {n}"),
            Tok::Float(f) => format!("float {f}"),
            Tok::Char(c) => format!("character literal {c}"),
            Tok::Atom(a) => format!("atom '{a}'"),
            Tok::Var(v) => format!("variable {v}"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Fun => "'fun'".to_string(),
            Tok::Reserved(w) => format!("reserved word '{w}'"),
            Tok::Punct(p) => format!("'{p}'"),
            Tok::Dot => "'.'".to_string(),
            Tok::Eof => "the end of the input".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// Punctuation, longest first so that `<<` wins over `<`.
const PUNCT: &[&str] = &[
    "<<", ">>", "=>", ":=", "||", "{", "}", "[", "]", "(", ")", ",", "|", "#", "<", ">", ":", "/",
    "-", "+", "=", ".",
];

/// A scanner over the whole input; tokens are produced on demand so that the parser can read the
/// bodies of `#Pid<...>` and friends character by character.
pub struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: u32,
    column: u32,
}

impl Lexer {
    pub fn new(text: &str) -> Lexer {
        Lexer {
            chars: text.chars().collect(),
            at: 0,
            line: 1,
            column: 1,
        }
    }

    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_char_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(pos: Pos, message: impl Into<String>) -> ParseError {
        ParseError::new(pos, message)
    }

    /// Skips white space and `%` comments.
    pub fn skip_blank(&mut self) {
        while let Some(c) = self.peek_char() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '%' {
                while self.peek_char().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_blank();
        let pos = self.pos();
        let Some(c) = self.peek_char() else {
            return Ok(Token { tok: Tok::Eof, pos });
        };
        let tok = if c.is_ascii_digit() {
            self.number(pos)?
        } else if c == '$' {
            self.bump();
            Tok::Char(self.char_literal(pos)?)
        } else if c == '\'' {
            self.bump();
            let codes = self.quoted('\'', pos)?;
            Tok::Atom(atom_text_of(&codes, pos)?)
        } else if c == '"' {
            self.bump();
            Tok::Str(self.quoted('"', pos)?)
        } else if is_atom_start(c) {
            let word = self.name();
            if word == "fun" {
                Tok::Fun
            } else if RESERVED_WORDS.contains(&word.as_str()) {
                Tok::Reserved(word)
            } else {
                Tok::Atom(word)
            }
        } else if c == '_' || c.is_ascii_uppercase() || (('À'..='Þ').contains(&c) && c != '×') {
            Tok::Var(self.name())
        } else if c == '.' && self.dot_ends_term() {
            self.bump();
            Tok::Dot
        } else if let Some(p) = PUNCT.iter().find(|p| self.looking_at(p)) {
            for _ in 0..p.chars().count() {
                self.bump();
            }
            Tok::Punct(p)
        } else {
            return Err(Self::error(
                pos,
                format!("unexpected character {c:?}; expected the start of a term"),
            ));
        };
        Ok(Token { tok, pos })
    }

    /// A `.` ends the term when white space, a comment or the end of the input follows it.
    fn dot_ends_term(&self) -> bool {
        match self.peek_char_at(1) {
            None => true,
            Some(n) => n.is_whitespace() || n == '%',
        }
    }

    fn looking_at(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(i, c)| self.peek_char_at(i) == Some(c))
    }

    fn name(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek_char().filter(|&c| is_name_char(c)) {
            word.push(c);
            self.bump();
        }
        word
    }

    /// Digits of `radix` with single `_` allowed between two digits (`1_000`).
    fn digits(&mut self, radix: u32) -> String {
        let mut text = String::new();
        loop {
            match self.peek_char() {
                Some(c) if c.is_digit(radix) => {
                    text.push(c);
                    self.bump();
                }
                Some('_')
                    if !text.is_empty()
                        && self.peek_char_at(1).is_some_and(|n| n.is_digit(radix)) =>
                {
                    self.bump();
                }
                _ => return text,
            }
        }
    }

    /// `123`, `1_000`, `16#FF`, `1.5`, `1.5e-3`.
    fn number(&mut self, pos: Pos) -> Result<Tok, ParseError> {
        let int = self.digits(10);
        if self.peek_char() == Some('#') {
            let radix: u32 = int.parse().unwrap_or(0);
            if !(2..=36).contains(&radix) {
                return Err(Self::error(pos, format!("illegal base {int}; use 2..36")));
            }
            self.bump();
            let digits = self.digits(radix);
            if digits.is_empty() {
                return Err(Self::error(
                    self.pos(),
                    format!("expected base-{radix} digits after '{int}#'"),
                ));
            }
            let value = BigInt::from_str_radix(&digits, radix)
                .map_err(|_| Self::error(pos, "malformed integer"))?;
            return Ok(Tok::Int(value));
        }
        let has_fraction = self.peek_char() == Some('.')
            && self.peek_char_at(1).is_some_and(|c| c.is_ascii_digit());
        if !has_fraction {
            let value = int
                .parse::<BigInt>()
                .map_err(|_| Self::error(pos, "malformed integer"))?;
            return Ok(Tok::Int(value));
        }
        self.bump();
        let fraction = self.digits(10);
        let mut text = format!("{int}.{fraction}");
        if matches!(self.peek_char(), Some('e' | 'E')) {
            let sign_len = usize::from(matches!(self.peek_char_at(1), Some('+' | '-')));
            if self
                .peek_char_at(1 + sign_len)
                .is_some_and(|c| c.is_ascii_digit())
            {
                self.bump();
                text.push('e');
                if sign_len == 1 {
                    text.extend(self.bump());
                }
                text.push_str(&self.digits(10));
            }
        }
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Tok::Float(value)),
            _ => Err(Self::error(
                pos,
                format!("float {text} is out of range (OTP floats are finite)"),
            )),
        }
    }

    /// The character after `$`.
    fn char_literal(&mut self, pos: Pos) -> Result<u32, ParseError> {
        match self.bump() {
            None => Err(Self::error(pos, "unterminated character literal after '$'")),
            Some('\\') => self.escape(pos),
            Some(c) => Ok(u32::from(c)),
        }
    }

    /// The body of a quoted atom or string, after the opening quote, as code points.
    fn quoted(&mut self, quote: char, pos: Pos) -> Result<Vec<u32>, ParseError> {
        let mut codes = Vec::new();
        loop {
            match self.bump() {
                None => {
                    let what = if quote == '"' {
                        "string"
                    } else {
                        "quoted atom"
                    };
                    return Err(Self::error(
                        pos,
                        format!("unterminated {what}; add the closing {quote}"),
                    ));
                }
                Some(c) if c == quote => return Ok(codes),
                Some('\\') => codes.push(self.escape(pos)?),
                Some(c) => codes.push(u32::from(c)),
            }
        }
    }

    /// An escape sequence after `\`, as `erl_scan` reads it.
    fn escape(&mut self, pos: Pos) -> Result<u32, ParseError> {
        let here = self.pos();
        let Some(c) = self.bump() else {
            return Err(Self::error(pos, "unterminated escape sequence"));
        };
        let code = match c {
            '0'..='7' => {
                let mut value = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek_char().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.bump();
                        }
                        None => break,
                    }
                }
                value
            }
            'x' => self.hex_escape(here)?,
            '^' => match self.bump() {
                Some(c) => u32::from(c) & 31,
                None => return Err(Self::error(here, "unterminated escape sequence")),
            },
            'n' => 10,
            'r' => 13,
            't' => 9,
            'v' => 11,
            'b' => 8,
            'f' => 12,
            'e' => 27,
            's' => 32,
            'd' => 127,
            other => u32::from(other),
        };
        Ok(code)
    }

    /// `\xHH` or `\x{H...}`.
    fn hex_escape(&mut self, pos: Pos) -> Result<u32, ParseError> {
        let bad = || Self::error(pos, "bad \\x escape; write \\xHH or \\x{HHHH}");
        let digits: String = if self.peek_char() == Some('{') {
            self.bump();
            let mut digits = String::new();
            while let Some(c) = self.peek_char().filter(|c| c.is_ascii_hexdigit()) {
                digits.push(c);
                self.bump();
            }
            if self.bump() != Some('}') || digits.is_empty() {
                return Err(bad());
            }
            digits
        } else {
            let mut digits = String::new();
            for _ in 0..2 {
                match self.peek_char().filter(|c| c.is_ascii_hexdigit()) {
                    Some(c) => {
                        digits.push(c);
                        self.bump();
                    }
                    None => return Err(bad()),
                }
            }
            digits
        };
        match u32::from_str_radix(&digits, 16) {
            Ok(code) if code <= 0x10FFFF => Ok(code),
            _ => Err(Self::error(
                pos,
                "character code in \\x{...} is above 10FFFF",
            )),
        }
    }

    // ---- raw access for the bodies of #Pid<...>, #Port<...>, #Ref<...>, #Fun<...> ----

    /// Consumes `c` (after optional blanks) or fails with `what` expected.
    pub fn expect_char(&mut self, c: char, what: &str) -> Result<(), ParseError> {
        self.skip_blank();
        if self.peek_char() == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// True (and consumes it) if the next non-blank character is `c`.
    pub fn eat_char(&mut self, c: char) -> bool {
        self.skip_blank();
        let found = self.peek_char() == Some(c);
        if found {
            self.bump();
        }
        found
    }

    /// A quoted atom, read raw.
    pub fn raw_quoted_atom(&mut self, what: &str) -> Result<String, ParseError> {
        self.skip_blank();
        let pos = self.pos();
        if self.peek_char() != Some('\'') {
            return Err(self.unexpected(what));
        }
        self.bump();
        let codes = self.quoted('\'', pos)?;
        atom_text_of(&codes, pos)
    }

    /// A run of digits of `radix` (no sign, no `_`), read raw.
    pub fn raw_digits(&mut self, radix: u32, what: &str) -> Result<(String, Pos), ParseError> {
        self.skip_blank();
        let pos = self.pos();
        let mut digits = String::new();
        while let Some(c) = self.peek_char().filter(|c| c.is_digit(radix)) {
            digits.push(c);
            self.bump();
        }
        if digits.is_empty() {
            return Err(self.unexpected(what));
        }
        Ok((digits, pos))
    }

    /// "expected WHAT, found X" at the current position.
    pub fn unexpected(&self, what: &str) -> ParseError {
        let found = match self.peek_char() {
            Some(c) => format!("{c:?}"),
            None => "the end of the input".to_string(),
        };
        Self::error(self.pos(), format!("expected {what}, found {found}"))
    }
}

/// The text of a quoted atom from its code points; fails on surrogates and overlong atoms.
fn atom_text_of(codes: &[u32], pos: Pos) -> Result<String, ParseError> {
    let text: Option<String> = codes.iter().map(|&c| char::from_u32(c)).collect();
    let text = text.ok_or_else(|| {
        ParseError::new(
            pos,
            "atom contains a code point that is not a Unicode character",
        )
    })?;
    if text.chars().count() > 255 {
        return Err(ParseError::new(
            pos,
            "atom too long: at most 255 characters",
        ));
    }
    Ok(text)
}
