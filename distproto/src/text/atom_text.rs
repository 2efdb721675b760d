//! Atoms as OTP 25 prints them: `io_lib:write_atom_as_latin1` (what `~w` uses) and the C printer
//! behind `erlang:fun_to_list` (used for `fun M:F/A`). Quoting and escapes follow OTP exactly.

/// Words the Erlang scanner reserves in OTP 25 (with no features enabled): written as atoms they
/// must be quoted (`'end'`). `maybe` and `else` are not reserved in OTP 25.
pub const RESERVED_WORDS: &[&str] = &[
    "after", "begin", "case", "try", "cond", "catch", "andalso", "orelse", "end", "fun", "if",
    "let", "of", "receive", "when", "bnot", "not", "div", "rem", "band", "and", "bor", "bxor",
    "bsl", "bsr", "or", "xor",
];

/// A lower-case letter that may start an unquoted atom: `a..z` and Latin-1 `ß..ÿ` except `÷`.
pub fn is_atom_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('ß'..='ÿ').contains(&c) && c != '÷')
}

/// A character that may follow the first one in an unquoted atom (or a variable).
pub fn is_name_char(c: char) -> bool {
    is_atom_start(c)
        || c.is_ascii_uppercase()
        || (('À'..='Þ').contains(&c) && c != '×')
        || c.is_ascii_digit()
        || c == '_'
        || c == '@'
}

/// Appends `name` as `io_lib:write_atom_as_latin1/1` writes it: bare when it reads back as the same
/// atom, else quoted with escapes; characters above 255 become `\x{HEX}`.
pub fn write_atom(out: &mut String, name: &str) {
    if needs_quotes(name) {
        write_quoted(out, name, '\'');
    } else {
        out.push_str(name);
    }
}

fn needs_quotes(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_lower = chars.next().is_some_and(is_atom_start);
    !starts_lower || !chars.all(is_name_char) || RESERVED_WORDS.contains(&name)
}

/// Appends `text` between `quote`s, escaped as `io_lib:write_string_as_latin1/2` does.
pub fn write_quoted(out: &mut String, text: &str, quote: char) {
    out.push(quote);
    for c in text.chars() {
        match c {
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            ' '..='~' | '\u{a0}'..='\u{ff}' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{7f}' => out.push_str("\\d"),
            _ if u32::from(c) < 0xa0 => push_octal(out, u32::from(c)),
            _ => out.push_str(&format!("\\x{{{:X}}}", u32::from(c))),
        }
    }
    out.push(quote);
}

fn push_octal(out: &mut String, code: u32) {
    out.push_str(&format!("\\{:03o}", code));
}

/// Appends `name` as the emulator's C printer writes atoms inside `erlang:fun_to_list/1`: no
/// reserved-word check, and the result is the UTF-8 *bytes* of the text, one character per byte
/// (so `fun 'α':f/1` comes out as the characters `'Î±'`), exactly as OTP 25 returns it. Unlike
/// `io_lib`, it also quotes atoms containing `@` (`fun 'a@b':f/0`).
pub fn write_atom_c_style(out: &mut String, name: &str) {
    let mut text = String::new();
    let quote = !c_starts_lower(name) || !name.chars().all(c_is_alnum);
    if quote {
        text.push('\'');
    }
    for c in name.chars() {
        match c {
            '\'' => text.push_str("\\'"),
            '\\' => text.push_str("\\\\"),
            '\n' => text.push_str("\\n"),
            '\u{c}' => text.push_str("\\f"),
            '\t' => text.push_str("\\t"),
            '\r' => text.push_str("\\r"),
            '\u{8}' => text.push_str("\\b"),
            '\u{b}' => text.push_str("\\v"),
            _ if u32::from(c) < 0x20 || (0x80..0xa0).contains(&u32::from(c)) => {
                push_octal(&mut text, u32::from(c))
            }
            _ => text.push(c),
        }
    }
    if quote {
        text.push('\'');
    }
    out.extend(text.bytes().map(char::from));
}

fn c_starts_lower(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || (('ß'..='ÿ').contains(&c) && c != '÷'))
}

fn c_is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (('À'..='ÿ').contains(&c) && c != '×' && c != '÷')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(name: &str) -> String {
        let mut out = String::new();
        write_atom(&mut out, name);
        out
    }

    fn c_atom(name: &str) -> String {
        let mut out = String::new();
        write_atom_c_style(&mut out, name);
        out
    }

    #[test]
    fn quotes_like_io_lib() {
        assert_eq!(atom("ok"), "ok");
        assert_eq!(atom("end"), "'end'");
        assert_eq!(atom("maybe"), "maybe");
        assert_eq!(atom("Abc"), "'Abc'");
        assert_eq!(atom("_a"), "'_a'");
        assert_eq!(atom(""), "''");
        assert_eq!(atom("a@b"), "a@b");
        assert_eq!(atom("a.b"), "'a.b'");
        assert_eq!(atom("\n"), "'\\n'");
        assert_eq!(atom("\\"), "'\\\\'");
        assert_eq!(atom("'"), "'\\''");
        assert_eq!(atom("ä"), "ä");
        assert_eq!(atom("Äb"), "'Äb'");
        assert_eq!(atom("α"), "'\\x{3B1}'");
        assert_eq!(
            atom("È\u{7}\u{0}\u{7f}\u{9f}\u{a0}"),
            "'È\\007\\000\\d\\237\u{a0}'"
        );
        assert_eq!(atom("a\u{1b}"), "'a\\e'");
    }

    #[test]
    fn quotes_like_fun_to_list() {
        assert_eq!(c_atom("end"), "end");
        assert_eq!(c_atom("ä"), "\u{c3}\u{a4}");
        assert_eq!(c_atom("A@b"), "'A@b'");
        assert_eq!(c_atom("a@b"), "'a@b'");
        assert_eq!(c_atom("ok_Ä1"), "ok_\u{c3}\u{84}1");
        assert_eq!(c_atom("a\u{1b}\u{7f}"), "'a\\033\u{7f}'");
        assert_eq!(c_atom("α"), "'\u{ce}\u{b1}'");
    }
}
