//! `io_lib:write/2` with a depth and an encoding (what `~w`, `~W` and `~tw` print), and the small
//! text helpers `io_lib` shares with the pretty printer: atoms and strings in either encoding, and
//! `io_lib:chars_length/1`. Pure text.

use super::atom_text::{
    is_atom_start, is_name_char, write_atom, write_atom_c_style, RESERVED_WORDS,
};
use super::float_text::format_float;
use super::print::write_term;
use crate::term::{Atom, Fun, Term};

/// `latin1` (the default: atoms escape characters above 255) or `unicode` (the `t` modifier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Latin1,
    Unicode,
}

/// How pids, ports and references name their node: OTP prints a number (`<0.80.0>`: 0 for the
/// printing node itself, other numbers for the nodes it knows); this maps a node to its number.
/// Without one, or when it answers `None`, they print in the parseable forms of `print.rs`.
#[derive(Clone, Copy, Default)]
pub struct Nodes<'a>(pub Option<NodeNumber<'a>>);

/// Maps a node to the number its pids, ports and references print with (see [`Nodes`]).
pub type NodeNumber<'a> = &'a dyn Fn(&Atom) -> Option<u32>;

impl Nodes<'_> {
    fn number(&self, node: &Atom) -> Option<u32> {
        self.0.and_then(|f| f(node))
    }
}

/// `io_lib:write(Term, [{depth, Depth}, {encoding, Enc}])`: `Depth` < 0 is unlimited, 0 is `...`.
pub fn write_depth(out: &mut String, term: &Term, depth: i64, enc: Encoding, nodes: Nodes) {
    if depth == 0 {
        out.push_str("...");
        return;
    }
    match term {
        Term::Integer(n) => out.push_str(&n.to_string()),
        Term::BigInt(n) => out.push_str(&n.to_string()),
        Term::Float(f) => out.push_str(&format_float(f.value())),
        Term::Atom(atom) => write_atom_enc(out, atom.as_str(), enc),
        Term::Binary(bytes) => write_binary(out, bytes, 0, depth),
        Term::BitString(bits) => write_binary(out, &bits.data, bits.bits, depth),
        Term::List(items) if items.is_empty() => out.push_str("[]"),
        Term::Tuple(items) if items.is_empty() => out.push_str("{}"),
        Term::List(items) => write_list(out, items, None, depth, enc, nodes),
        Term::ImproperList(items, tail) => write_list(out, items, Some(tail), depth, enc, nodes),
        Term::Tuple(items) => {
            if depth == 1 {
                out.push_str("{...}");
                return;
            }
            out.push('{');
            let mut d = depth - 1;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    if d == 1 {
                        out.push_str(",...");
                        break;
                    }
                    out.push(',');
                    write_depth(out, item, d - 1, enc, nodes);
                    d -= 1;
                } else {
                    write_depth(out, item, d, enc, nodes);
                }
            }
            out.push('}');
        }
        Term::Map(map) => {
            if depth == 1 {
                out.push_str("#{}");
                return;
            }
            let d0 = depth - 1;
            let mut pairs = map.iter();
            let Some((k, v)) = pairs.next() else {
                out.push_str("#{}");
                return;
            };
            out.push_str("#{");
            write_assoc(out, k, v, d0, enc, nodes);
            // `write_map_body/4` checks the depth before it looks for a next pair.
            let mut d = d0;
            loop {
                if d == 1 {
                    out.push_str(",...");
                    break;
                }
                let Some((k, v)) = pairs.next() else { break };
                out.push(',');
                write_assoc(out, k, v, d0, enc, nodes);
                d -= 1;
            }
            out.push('}');
        }
        Term::Pid(pid) => match nodes.number(&pid.node) {
            Some(n) => out.push_str(&format!("<{n}.{}.{}>", pid.id, pid.serial)),
            None => out.push_str(&write_term(term)),
        },
        Term::Port(port) => match nodes.number(&port.node) {
            Some(n) => out.push_str(&format!("#Port<{n}.{}>", port.id)),
            None => out.push_str(&write_term(term)),
        },
        Term::Reference(reference) => match nodes.number(&reference.node) {
            Some(n) => {
                out.push_str(&format!("#Ref<{n}"));
                for word in reference.ids.iter().rev() {
                    out.push_str(&format!(".{word}"));
                }
                out.push('>');
            }
            None => out.push_str(&write_term(term)),
        },
        // `erlang:fun_to_list/1`: `#Fun<Module.OldIndex.OldUniq>`.
        Term::Fun(Fun::Local(fun)) => {
            out.push_str("#Fun<");
            write_atom_c_style(out, fun.module.as_str());
            out.push_str(&format!(".{}.{}>", fun.old_index, fun.old_uniq));
        }
        Term::Fun(Fun::Export(_)) => out.push_str(&write_term(term)),
    }
}

fn write_assoc(out: &mut String, k: &Term, v: &Term, d: i64, enc: Encoding, nodes: Nodes) {
    write_depth(out, k, d, enc, nodes);
    out.push_str(" => ");
    write_depth(out, v, d, enc, nodes);
}

/// `[H|T]` with `write_tail/3`'s depth rules: the end of the list is checked before the depth.
fn write_list(
    out: &mut String,
    items: &[Term],
    tail: Option<&Term>,
    depth: i64,
    enc: Encoding,
    nodes: Nodes,
) {
    if depth == 1 {
        out.push_str("[...]");
        return;
    }
    let Some((first, rest)) = items.split_first() else {
        // Not a list the constructors build (`ImproperList` has at least one element).
        match tail {
            Some(tail) => write_depth(out, tail, depth, enc, nodes),
            None => out.push_str("[]"),
        }
        return;
    };
    out.push('[');
    let mut d = depth - 1;
    write_depth(out, first, d, enc, nodes);
    for item in rest {
        if d == 1 {
            out.push_str("|...");
            out.push(']');
            return;
        }
        out.push(',');
        write_depth(out, item, d - 1, enc, nodes);
        d -= 1;
    }
    if let Some(tail) = tail {
        if d == 1 {
            out.push_str("|...");
        } else {
            out.push('|');
            write_depth(out, tail, d - 1, enc, nodes);
        }
    }
    out.push(']');
}

fn write_binary(out: &mut String, data: &[u8], bits: u8, depth: i64) {
    out.push_str("<<");
    out.push_str(&binary_body(data, bits, depth).0.join(","));
    out.push_str(">>");
}

/// The body segments without the brackets: `["1", "2", "5:3"]`, `["1", "..."]`.
pub fn binary_body(data: &[u8], bits: u8, depth: i64) -> (Vec<String>, bool) {
    let whole = if (1..8).contains(&bits) {
        data.len().saturating_sub(1)
    } else {
        data.len()
    };
    let mut segs = Vec::new();
    let mut d = depth;
    for (i, byte) in data[..whole].iter().enumerate() {
        if d == 1 {
            segs.push("...".to_string());
            return (segs, true);
        }
        segs.push(byte.to_string());
        let rest_empty = i + 1 == whole && whole == data.len();
        if !rest_empty {
            d -= 1;
        }
    }
    if whole < data.len() {
        if d == 1 {
            segs.push("...".to_string());
            return (segs, true);
        }
        let value = data[whole] >> (8 - bits);
        segs.push(format!("{value}:{bits}"));
    }
    (segs, false)
}

/// An atom as `io_lib:write_atom_as_latin1/1` (latin1) or `io_lib:write_atom/1` (unicode).
pub fn write_atom_enc(out: &mut String, name: &str, enc: Encoding) {
    match enc {
        Encoding::Latin1 => write_atom(out, name),
        Encoding::Unicode => {
            let mut chars = name.chars();
            let plain = chars.next().is_some_and(is_atom_start)
                && chars.all(is_name_char)
                && !RESERVED_WORDS.contains(&name);
            if plain {
                out.push_str(name);
            } else {
                write_string(out, name.chars(), '\'');
            }
        }
    }
}

/// `io_lib:write_string(S, Q)`: quoted, control characters below 160 escaped, the rest as is.
pub fn write_string(out: &mut String, text: impl IntoIterator<Item = char>, quote: char) {
    out.push(quote);
    for c in text {
        match c {
            _ if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{7f}' => out.push_str("\\d"),
            _ if u32::from(c) < 0xa0 => out.push_str(&format!("\\{:03o}", u32::from(c))),
            _ => out.push(c),
        }
    }
    out.push(quote);
}

/// `io_lib:chars_length/1`: the number of characters when all are Latin-1 (`iolist_size`), else
/// `string:length/1`, which counts grapheme clusters (see [`grapheme_count`]).
pub fn chars_length(text: &str) -> usize {
    if text.chars().all(|c| u32::from(c) <= 255) {
        text.chars().count()
    } else {
        grapheme_count(text)
    }
}

/// Grapheme clusters as `string:length/1` counts them, by the rules of UAX #29 with small
/// built-in tables: CR LF, controls, Hangul syllable sequences, regional-indicator pairs, emoji
/// ZWJ sequences, and combining marks of the common scripts (Latin, Greek, Cyrillic, Hebrew,
/// Arabic, Devanagari, Thai, the general combining blocks). Marks of other scripts count as
/// characters of their own, where OTP (with the full Unicode tables) would not count them.
pub fn grapheme_count(text: &str) -> usize {
    grapheme_starts(text).count()
}

/// The byte offsets at which grapheme clusters start (see [`grapheme_count`]).
pub fn grapheme_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let mut prev: Option<char> = None;
    // Regional indicators in the run ending at `prev`; whether `prev` ends `ExtPict Extend* ZWJ`.
    let mut ri_run = 0usize;
    let mut pict_seq = false;
    let mut pict_zwj = false;
    text.char_indices().filter_map(move |(i, c)| {
        let starts = match prev {
            None => true,
            Some(p) => is_break(p, c, ri_run, pict_zwj),
        };
        let ri = is_regional_indicator(c);
        ri_run = if ri { ri_run + 1 } else { 0 };
        pict_zwj = pict_seq && c == '\u{200d}';
        pict_seq = is_pictographic(c) || (pict_seq && is_extend(c));
        prev = Some(c);
        starts.then_some(i)
    })
}

fn is_break(p: char, c: char, ri_run: usize, pict_zwj: bool) -> bool {
    if p == '\r' && c == '\n' {
        return false;
    }
    if is_control(p) || is_control(c) {
        return true;
    }
    let (hp, hc) = (hangul(p), hangul(c));
    match (hp, hc) {
        (Hangul::L, Hangul::L | Hangul::V | Hangul::Lv | Hangul::Lvt) => return false,
        (Hangul::Lv | Hangul::V, Hangul::V | Hangul::T) => return false,
        (Hangul::Lvt | Hangul::T, Hangul::T) => return false,
        _ => {}
    }
    if is_extend(c) || c == '\u{200d}' || is_spacing_mark(c) {
        return false;
    }
    if pict_zwj && is_pictographic(c) {
        return false;
    }
    !(is_regional_indicator(c) && ri_run % 2 == 1)
}

fn is_control(c: char) -> bool {
    matches!(u32::from(c), 0..=0x1f | 0x7f..=0x9f | 0x2028 | 0x2029)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hangul {
    L,
    V,
    T,
    Lv,
    Lvt,
    None,
}

fn hangul(c: char) -> Hangul {
    match u32::from(c) {
        0x1100..=0x115f | 0xa960..=0xa97c => Hangul::L,
        0x1160..=0x11a7 | 0xd7b0..=0xd7c6 => Hangul::V,
        0x11a8..=0x11ff | 0xd7cb..=0xd7fb => Hangul::T,
        n @ 0xac00..=0xd7a3 if (n - 0xac00) % 28 == 0 => Hangul::Lv,
        0xac00..=0xd7a3 => Hangul::Lvt,
        _ => Hangul::None,
    }
}

fn is_regional_indicator(c: char) -> bool {
    matches!(u32::from(c), 0x1f1e6..=0x1f1ff)
}

fn is_pictographic(c: char) -> bool {
    matches!(u32::from(c),
        0xa9 | 0xae | 0x203c | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x21aa | 0x231a..=0x23ff
        | 0x24c2 | 0x25aa..=0x27bf | 0x2934 | 0x2935 | 0x2b05..=0x2b55 | 0x3030 | 0x303d
        | 0x3297 | 0x3299 | 0x1f000..=0x1f0ff | 0x1f10d..=0x1f1ad | 0x1f201..=0x1f64f
        | 0x1f680..=0x1faff)
}

fn is_extend(c: char) -> bool {
    matches!(u32::from(c),
        0x300..=0x36f | 0x483..=0x489 | 0x591..=0x5bd | 0x5bf | 0x5c1 | 0x5c2 | 0x5c4 | 0x5c5
        | 0x5c7 | 0x610..=0x61a | 0x64b..=0x65f | 0x670 | 0x6d6..=0x6dc | 0x6df..=0x6e4
        | 0x900..=0x902 | 0x93a | 0x93c | 0x941..=0x948 | 0x94d | 0x951..=0x957 | 0x962 | 0x963
        | 0xe31 | 0xe34..=0xe3a | 0xe47..=0xe4e | 0x1ab0..=0x1aff | 0x1dc0..=0x1dff | 0x200c
        | 0x20d0..=0x20f0 | 0x302a..=0x302f | 0x3099 | 0x309a | 0xfe00..=0xfe0f | 0xfe20..=0xfe2f
        | 0xff9e | 0xff9f | 0x1f3fb..=0x1f3ff | 0xe0020..=0xe007f | 0xe0100..=0xe01ef)
}

fn is_spacing_mark(c: char) -> bool {
    matches!(u32::from(c),
        0x903 | 0x93b | 0x93e..=0x940 | 0x949..=0x94c | 0x94e | 0x94f | 0xe33)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Map;

    fn w(term: &Term, depth: i64) -> String {
        let mut out = String::new();
        write_depth(&mut out, term, depth, Encoding::Latin1, Nodes::default());
        out
    }

    fn ints(range: std::ops::RangeInclusive<i64>) -> Term {
        Term::list(range.map(Term::from).collect())
    }

    #[test]
    fn depth_limits_like_io_lib_write() {
        assert_eq!(w(&ints(1..=5), 3), "[1,2|...]");
        assert_eq!(w(&ints(1..=5), 1), "[...]");
        assert_eq!(w(&ints(1..=2), 3), "[1,2]");
        assert_eq!(w(&ints(1..=5), -1), "[1,2,3,4,5]");
        let tuple = Term::tuple((1..=5).map(Term::from).collect());
        assert_eq!(w(&tuple, 3), "{1,2,...}");
        assert_eq!(w(&Term::binary(vec![1, 2, 3, 4]), 3), "<<1,2,...>>");
        assert_eq!(w(&Term::binary(vec![1, 2]), 3), "<<1,2>>");
        assert_eq!(
            w(&Term::improper_list(vec![1.into()], 2.into()), 2),
            "[1|...]"
        );
        let map = Map::from_pairs([(Term::atom("a"), Term::from(1))]).unwrap();
        assert_eq!(w(&Term::Map(map.clone()), 2), "#{a => 1,...}");
        assert_eq!(w(&Term::Map(map), 1), "#{}");
    }

    #[test]
    fn unicode_atoms_and_lengths() {
        let mut out = String::new();
        write_atom_enc(&mut out, "αβ", Encoding::Unicode);
        assert_eq!(out, "'αβ'");
        assert_eq!(chars_length("e\u{301}x"), 2);
        assert_eq!(chars_length("a\r\nb"), 4);
        assert_eq!(chars_length("α\r\nb"), 3);
        assert_eq!(grapheme_count("\u{1f1f8}\u{1f1ea}\u{1f1f3}"), 2);
        assert_eq!(grapheme_count("\u{1100}\u{1161}\u{11a8}x"), 2);
        assert_eq!(
            grapheme_count("\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}!"),
            2
        );
        assert_eq!(grapheme_count("\n\u{301}"), 2);
    }
}
