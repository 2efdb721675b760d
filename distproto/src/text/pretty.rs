//! `~p` and `~P`: a port of OTP 25's `io_lib_pretty:print/2` without a `chars_limit` (what
//! `io_lib:format/2` uses). First the term becomes an intermediate form holding each sub-term's
//! one-line text and length (`print_length`), then `pp` breaks lines where it does not fit, with
//! the tagged-tuple indentation chosen by `cind`. Same names and argument order as the Erlang.

use super::io_write::{
    binary_body, chars_length, write_atom_enc, write_depth, write_string, Encoding, Nodes,
};
use crate::term::Term;

/// The options that stay the same all the way down.
struct Cx<'a> {
    enc: Encoding,
    strings: bool,
    nodes: Nodes<'a>,
}

/// One sub-term: its shape, its one-line length and how many `...` it holds.
struct If {
    kind: Kind,
    len: i64,
    dots: i64,
}

enum Kind {
    /// Text written as is; what `?ATM` calls atomic (strings, atoms, numbers, `{...}`).
    Text(String),
    /// `{bin, S}`: a binary printed as numbers, segment by segment (`<<` and `>>` not included).
    Bin(Vec<String>),
    List(Seq),
    Tuple(bool, Seq),
    Map(Seq),
    MapPair(Box<If>, Box<If>),
}

/// The elements of a list, tuple or map, and what ends them.
struct Seq {
    items: Vec<If>,
    tail: Tail,
}

enum Tail {
    Nil,
    Dots,
    Improper(Box<If>),
}

impl If {
    fn text(text: String, dots: i64) -> If {
        let len = chars_length(&text) as i64;
        If {
            kind: Kind::Text(text),
            len,
            dots,
        }
    }

    fn atm(&self) -> bool {
        matches!(self.kind, Kind::Text(_))
    }

    fn atm_pair(&self) -> bool {
        match &self.kind {
            Kind::MapPair(k, v) => k.atm() && v.atm(),
            _ => false,
        }
    }
}

/// `io_lib_pretty:print(Term, [{column, Col}, {line_length, Ll}, {depth, D}, {encoding, Enc},
/// {strings, Str}])`.
#[allow(clippy::too_many_arguments)]
pub fn print(
    out: &mut String,
    term: &Term,
    col: i64,
    ll: i64,
    depth: i64,
    enc: Encoding,
    strings: bool,
    nodes: Nodes,
) {
    let cx = Cx {
        enc,
        strings,
        nodes,
    };
    if depth == 0 {
        out.push_str("...");
        return;
    }
    let col = col.max(1);
    match term {
        Term::Atom(atom) => write_atom_enc(out, atom.as_str(), enc),
        Term::Tuple(_)
        | Term::List(_)
        | Term::ImproperList(..)
        | Term::Map(_)
        | Term::Binary(_)
        | Term::BitString(_) => {
            let iff = print_length(term, depth, &cx);
            let m = iff.len;
            if ll == 0 || iff.len < ll - col {
                write(out, &iff);
            } else {
                let tind = [-1, 4]
                    .into_iter()
                    .find(|&i| cind(&iff, col, ll, m, i, 0, 0).is_ok())
                    .unwrap_or(1);
                pp(out, &iff, col, ll, m, tind, col - 1, 0, 0);
            }
        }
        _ => write_depth(out, term, -1, Encoding::Latin1, nodes),
    }
}

fn print_length(term: &Term, d: i64, cx: &Cx) -> If {
    match term {
        Term::List(items) if items.is_empty() => If::text("[]".into(), 0),
        Term::Tuple(items) if items.is_empty() => If::text("{}".into(), 0),
        Term::Map(map) if map.is_empty() => If::text("#{}".into(), 0),
        Term::Atom(atom) => {
            let mut s = String::new();
            write_atom_enc(&mut s, atom.as_str(), cx.enc);
            If::text(s, 0)
        }
        Term::List(items) => {
            if cx.strings && d != 1 {
                if let Some(chars) = printable_latin1_list(items) {
                    let mut s = String::new();
                    write_string(&mut s, chars, '"');
                    return If::text(s, 0);
                }
            }
            print_length_list(items, None, d, cx)
        }
        Term::ImproperList(items, tail) => print_length_list(items, Some(tail), d, cx),
        Term::Tuple(items) => {
            if d == 1 {
                return If::text("{...}".into(), 3);
            }
            let mut seq = Seq {
                items: Vec::new(),
                tail: Tail::Nil,
            };
            for (i, item) in items.iter().enumerate() {
                let di = d - i as i64;
                if di == 1 {
                    seq.tail = Tail::Dots;
                    break;
                }
                seq.items.push(print_length(item, di - 1, cx));
            }
            let tagged = matches!(items[0], Term::Atom(_)) && items.len() > 1;
            let (len, dots) = list_length(&seq, 2);
            If {
                kind: Kind::Tuple(tagged, seq),
                len,
                dots,
            }
        }
        Term::Map(map) => {
            if d == 1 {
                return If::text("#{...}".into(), 3);
            }
            let d0 = d - 1;
            let mut seq = Seq {
                items: Vec::new(),
                tail: Tail::Nil,
            };
            for (i, (k, v)) in map.iter().enumerate() {
                if d - i as i64 == 1 {
                    seq.tail = Tail::Dots;
                    break;
                }
                let k = print_length(k, d0, cx);
                let v = print_length(v, d0, cx);
                let (len, dots) = (k.len + 4 + v.len, k.dots + v.dots);
                seq.items.push(If {
                    kind: Kind::MapPair(Box::new(k), Box::new(v)),
                    len,
                    dots,
                });
            }
            let (len, dots) = list_length(&seq, 3);
            If {
                kind: Kind::Map(seq),
                len,
                dots,
            }
        }
        Term::Binary(data) if data.is_empty() => If::text("<<>>".into(), 0),
        Term::Binary(_) | Term::BitString(_) if d == 1 => If::text("<<...>>".into(), 3),
        Term::Binary(data) => {
            if cx.strings {
                if let Some(iff) = printable_binary(data, d - 1, cx.enc) {
                    return iff;
                }
            }
            print_length_bin(data, 0, d)
        }
        Term::BitString(bits) => print_length_bin(&bits.data, bits.bits, d),
        Term::Fun(_) => {
            let mut s = String::new();
            write_depth(&mut s, term, -1, Encoding::Latin1, cx.nodes);
            let len = s.chars().count() as i64;
            If {
                kind: Kind::Text(s),
                len,
                dots: 0,
            }
        }
        _ => {
            let mut s = String::new();
            write_depth(&mut s, term, -1, Encoding::Latin1, cx.nodes);
            If::text(s, 0)
        }
    }
}

fn print_length_bin(data: &[u8], bits: u8, d: i64) -> If {
    let (segs, cut) = binary_body(data, bits, d);
    let len = 4 + segs.iter().map(|s| s.len() as i64 + 1).sum::<i64>() - 1;
    If {
        kind: Kind::Bin(segs),
        len,
        dots: if cut { 3 } else { 0 },
    }
}

fn print_length_list(items: &[Term], tail: Option<&Term>, d: i64, cx: &Cx) -> If {
    let mut seq = Seq {
        items: Vec::new(),
        tail: Tail::Nil,
    };
    let mut di = d;
    let mut cut = false;
    for item in items {
        if di == 1 {
            seq.tail = Tail::Dots;
            cut = true;
            break;
        }
        seq.items.push(print_length(item, di - 1, cx));
        di -= 1;
    }
    if let (Some(tail), false) = (tail, cut) {
        seq.tail = if di == 1 {
            Tail::Dots
        } else {
            Tail::Improper(Box::new(print_length(tail, di - 1, cx)))
        };
    }
    let (len, dots) = list_length(&seq, 2);
    If {
        kind: Kind::List(seq),
        len,
        dots,
    }
}

fn list_length(seq: &Seq, acc: i64) -> (i64, i64) {
    let mut len = acc;
    let mut dots = 0;
    for (i, item) in seq.items.iter().enumerate() {
        len += item.len + i64::from(i > 0);
        dots += item.dots;
    }
    let sep = i64::from(!seq.items.is_empty());
    match &seq.tail {
        Tail::Nil => {}
        Tail::Dots => {
            len += sep + 3;
            dots += 3;
        }
        Tail::Improper(t) => {
            len += sep + t.len;
            dots += t.dots;
        }
    }
    (len, dots)
}

/// The characters of a list `io_lib:printable_latin1_list/1` accepts, else `None`.
fn printable_latin1_list(items: &[Term]) -> Option<Vec<char>> {
    items
        .iter()
        .map(|item| match item {
            Term::Integer(c) if is_printable_latin1(*c) => char::from_u32(*c as u32),
            _ => None,
        })
        .collect()
}

fn is_printable_latin1(c: i64) -> bool {
    matches!(c, 32..=126 | 160..=255 | 8..=13 | 27)
}

/// What `printable_bin0/4` decides for a whole-byte binary (with `io:printable_range()` latin1,
/// OTP's default): `<<"abc">>`, `<<"é"/utf8>>`, a prefix with `...`, or `None` (print numbers).
fn printable_binary(data: &[u8], d: i64, enc: Encoding) -> Option<If> {
    let size = data.len() as i64;
    let len = if d >= 0 { (4 * d).min(size) } else { size };
    let (plain, chars, prefix) = printable_bin(data, len, d, enc)?;
    let mut s = String::new();
    write_string(&mut s, chars, '"');
    let text = match (plain, prefix) {
        (true, false) => format!("<<{s}>>"),
        (false, false) => format!("<<{s}/utf8>>"),
        (true, true) => format!("<<{s}...>>"),
        (false, true) => format!("<<{s}/utf8...>>"),
    };
    Some(If::text(text, if prefix { 3 } else { 0 }))
}

/// `{plain, chars, is_prefix}`; `plain` false means the text is UTF-8 (`/utf8`).
fn printable_bin(data: &[u8], len: i64, d: i64, enc: Encoding) -> Option<(bool, Vec<char>, bool)> {
    if len == 0 {
        return None;
    }
    let size = data.len() as i64;
    let latin1 = |bytes: &[u8]| bytes.iter().map(|&b| char::from(b)).collect::<Vec<char>>();
    if enc == Encoding::Unicode {
        if let Some(chars) = utf8_prefix(data, len as usize) {
            // printable_unicode/4 with the latin1 printable range.
            let printable = chars
                .iter()
                .take_while(|(c, _)| is_printable_latin1(i64::from(u32::from(*c))))
                .count();
            let consumed: usize = chars[..printable].iter().map(|(_, n)| n).sum();
            let list: Vec<char> = chars[..printable].iter().map(|(c, _)| *c).collect();
            let stopped_at_char = printable < chars.len();
            let rest_empty = consumed == data.len();
            if rest_empty {
                return Some((size == list.len() as i64, list, false));
            }
            // NC: the count left when printable_unicode stopped.
            let nc = len - printable as i64;
            let _ = stopped_at_char;
            if d > 0 && len - nc >= d {
                return Some((consumed == list.len(), list, true));
            }
            return None;
        }
    }
    let n = len.min(20);
    let first = &data[..n as usize];
    match first
        .iter()
        .position(|&b| !is_printable_latin1(i64::from(b)))
    {
        None if n == size => Some((true, latin1(first), false)),
        None if n == len => Some((true, latin1(first), true)),
        None => {
            let bad = data[n as usize..len as usize]
                .iter()
                .position(|&b| !is_printable_latin1(i64::from(b)));
            let nc = bad.map_or(0, |i| len - (n + i as i64));
            if nc == 0 && size == len {
                Some((true, latin1(data), false))
            } else if d > 0 && len - nc >= d {
                Some((true, latin1(&data[..(len - nc) as usize]), true))
            } else {
                None
            }
        }
        Some(i) => {
            let nc = n - i as i64;
            if d > 0 && n - nc >= d {
                Some((true, latin1(&data[..(n - nc) as usize]), true))
            } else {
                None
            }
        }
    }
}

/// `valid_utf8(Bin, Len)` then the first `len` characters with their byte lengths (fewer if the
/// binary ends), or `None` when they are not valid UTF-8.
fn utf8_prefix(data: &[u8], len: usize) -> Option<Vec<(char, usize)>> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < len && !rest.is_empty() {
        let width = match rest[0] {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return None,
        };
        let chunk = rest.get(..width)?;
        let c = std::str::from_utf8(chunk).ok()?.chars().next()?;
        out.push((c, width));
        rest = &rest[width..];
    }
    Some(out)
}

/// The most text `print` writes (bytes); past it, indentation is left out and the caller
/// reports an error. A long list printed far to the right (a wide column or a long prefix)
/// would otherwise indent every element by that much.
pub const MAX_OUTPUT: usize = 1 << 26;

fn indent(out: &mut String, n: i64) {
    if out.len() > MAX_OUTPUT {
        return;
    }
    out.extend(std::iter::repeat_n(' ', n.max(0) as usize));
}

fn last_depth(rest: &[If], ld: i64) -> i64 {
    if rest.is_empty() {
        ld + 1
    } else {
        0
    }
}

#[allow(clippy::too_many_arguments)]
fn pp(out: &mut String, iff: &If, col: i64, ll: i64, m: i64, tind: i64, ind: i64, ld: i64, w: i64) {
    if iff.len < ll - col - ld && iff.len + w + ld <= m {
        write(out, iff);
        return;
    }
    match &iff.kind {
        Kind::List(seq) => {
            out.push('[');
            pp_list(
                out,
                &seq.items,
                &seq.tail,
                col + 1,
                ll,
                m,
                tind,
                ind + 1,
                ld,
                '|',
                w + 1,
            );
            out.push(']');
        }
        Kind::Tuple(true, seq) => {
            out.push('{');
            pp_tag_tuple(out, seq, col, ll, m, tind, ind, ld, w + 1);
            out.push('}');
        }
        Kind::Tuple(false, seq) => {
            out.push('{');
            pp_list(
                out,
                &seq.items,
                &seq.tail,
                col + 1,
                ll,
                m,
                tind,
                ind + 1,
                ld,
                ',',
                w + 1,
            );
            out.push('}');
        }
        Kind::Map(seq) => {
            out.push_str("#{");
            pp_map(out, seq, col + 2, ll, m, tind, ind + 2, ld, w + 1);
            out.push('}');
        }
        Kind::Bin(segs) => pp_binary(out, segs, col + 2, ll, m, ind + 2, ld, w),
        Kind::Text(s) => out.push_str(s),
        Kind::MapPair(..) => write(out, iff),
    }
}

#[allow(clippy::too_many_arguments)]
fn pp_tag_tuple(
    out: &mut String,
    seq: &Seq,
    col: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    w: i64,
) {
    let Some((tag, rest)) = seq.items.split_first() else {
        out.push_str("...");
        return;
    };
    let tlen = tag.len;
    let tag_ind = tlen + 2;
    let tcol = col + tag_ind;
    write(out, tag);
    if tind > 0 && tag_ind > tind {
        let col1 = col + tind;
        pp_tail(
            out,
            rest,
            &seq.tail,
            col1,
            tcol,
            ll,
            m,
            tind,
            ind + tind,
            ld,
            ',',
            w + tlen,
        );
    } else {
        out.push(',');
        pp_list(
            out,
            rest,
            &seq.tail,
            tcol,
            ll,
            m,
            tind,
            ind + tag_ind,
            ld,
            ',',
            w + tlen + 1,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn pp_map(
    out: &mut String,
    seq: &Seq,
    col: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    w: i64,
) {
    let Some((p, rest)) = seq.items.split_first() else {
        if matches!(seq.tail, Tail::Dots) {
            out.push_str("...");
        }
        return;
    };
    let pw = pp_pair(out, p, col, ll, m, tind, ind, last_depth(rest, ld), w);
    pp_pairs_tail(
        out,
        rest,
        &seq.tail,
        col,
        col + pw,
        ll,
        m,
        tind,
        ind,
        ld,
        pw,
    );
}

/// `pp_pairs_tail/9`, its tail calls as a loop (a long map must not exhaust the stack).
#[allow(clippy::too_many_arguments)]
fn pp_pairs_tail(
    out: &mut String,
    items: &[If],
    tail: &Tail,
    col0: i64,
    mut col: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    mut w: i64,
) {
    for (i, p) in items.iter().enumerate() {
        let ld1 = last_depth(&items[i + 1..], ld);
        let elen = 1 + p.len;
        if fits_inline(ld1, elen, col, ll, m, w) && p.atm_pair() {
            out.push(',');
            write(out, p);
            col += elen;
            w += elen;
        } else {
            out.push_str(",\n");
            indent(out, ind);
            let pw = pp_pair(out, p, col0, ll, m, tind, ind, ld1, 0);
            col = col0 + pw;
            w = pw;
        }
    }
    if matches!(tail, Tail::Dots) {
        out.push_str(",...");
    }
}

/// The guard shared by `pp_tail`, `pp_pairs_tail` and their `cind` twins, written as OTP's.
#[allow(clippy::int_plus_one)]
fn fits_inline(ld1: i64, elen: i64, col: i64, ll: i64, m: i64, w: i64) -> bool {
    (ld1 == 0 && elen + 1 < ll - col && w + elen + 1 <= m)
        || (ld1 > 0 && elen < ll - col - ld1 && w + elen + ld1 <= m)
}

#[allow(clippy::too_many_arguments)]
fn pp_pair(
    out: &mut String,
    pair: &If,
    col: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    w: i64,
) -> i64 {
    if pair.len < ll - col - ld && pair.len + w + ld <= m {
        write(out, pair);
        return if pair.atm_pair() { pair.len } else { ll };
    }
    let Kind::MapPair(k, v) = &pair.kind else {
        write(out, pair);
        return ll;
    };
    let i = map_value_indent(tind);
    pp(out, k, col, ll, m, tind, ind, ld, w);
    out.push_str(" =>\n");
    indent(out, ind + i);
    pp(out, v, col + i, ll, m, tind, ind + i, ld, 0);
    ll
}

fn map_value_indent(tind: i64) -> i64 {
    if tind > 0 {
        tind
    } else {
        4
    }
}

#[allow(clippy::too_many_arguments)]
fn pp_list(
    out: &mut String,
    items: &[If],
    tail: &Tail,
    col0: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    s: char,
    w: i64,
) {
    let Some((e, rest)) = items.split_first() else {
        out.push_str("...");
        return;
    };
    let we = pp_element(out, e, col0, ll, m, tind, ind, last_depth(rest, ld), w);
    pp_tail(
        out,
        rest,
        tail,
        col0,
        col0 + we,
        ll,
        m,
        tind,
        ind,
        ld,
        s,
        w + we,
    );
}

/// `pp_tail/10`, its tail calls as a loop (a long list must not exhaust the stack).
#[allow(clippy::too_many_arguments)]
fn pp_tail(
    out: &mut String,
    items: &[If],
    tail: &Tail,
    col0: i64,
    mut col: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    s: char,
    mut w: i64,
) {
    for (i, e) in items.iter().enumerate() {
        let ld1 = last_depth(&items[i + 1..], ld);
        let elen = 1 + e.len;
        if fits_inline(ld1, elen, col, ll, m, w) && e.atm() {
            out.push(',');
            write(out, e);
            col += elen;
            w += elen;
        } else {
            out.push_str(",\n");
            indent(out, ind);
            let we = pp_element(out, e, col0, ll, m, tind, ind, ld1, 0);
            col = col0 + we;
            w = we;
        }
    }
    match tail {
        Tail::Nil => {}
        Tail::Dots => {
            out.push(s);
            out.push_str("...");
        }
        Tail::Improper(e) => {
            out.push(s);
            if e.len + 1 < ll - col - (ld + 1) && e.len + 1 + w + (ld + 1) <= m && e.atm() {
                write(out, e);
            } else {
                out.push('\n');
                indent(out, ind);
                pp(out, e, col0, ll, m, tind, ind, ld + 1, 0);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn pp_element(
    out: &mut String,
    e: &If,
    col: i64,
    ll: i64,
    m: i64,
    tind: i64,
    ind: i64,
    ld: i64,
    w: i64,
) -> i64 {
    if e.len < ll - col - ld && e.len + w + ld <= m && e.atm() {
        write(out, e);
        e.len
    } else {
        pp(out, e, col, ll, m, tind, ind, ld, w);
        ll
    }
}

#[allow(clippy::too_many_arguments)]
fn pp_binary(
    out: &mut String,
    segs: &[String],
    col: i64,
    ll: i64,
    m: i64,
    ind: i64,
    ld: i64,
    w: i64,
) {
    let n0 = 8.max((ll - col).min(m - 4 - w) - ld);
    let mut n = n0;
    out.push_str("<<");
    let last = segs.len().saturating_sub(1);
    for (i, seg) in segs.iter().enumerate() {
        let slen = seg.chars().count() as i64;
        if i < last {
            let len = slen + 1;
            if n - len < 0 {
                out.push('\n');
                indent(out, ind);
                n = n0 - len;
            } else {
                n -= len;
            }
            out.push_str(seg);
            out.push(',');
        } else {
            if slen > n {
                out.push('\n');
                indent(out, ind);
            }
            out.push_str(seg);
        }
    }
    out.push_str(">>");
}

/// The whole thing on one line.
fn write(out: &mut String, iff: &If) {
    match &iff.kind {
        Kind::Text(s) => out.push_str(s),
        Kind::Bin(segs) => {
            out.push_str("<<");
            out.push_str(&segs.join(","));
            out.push_str(">>");
        }
        Kind::Tuple(_, seq) => {
            out.push('{');
            write_list(out, seq, ',');
            out.push('}');
        }
        Kind::List(seq) => {
            out.push('[');
            write_list(out, seq, '|');
            out.push(']');
        }
        Kind::Map(seq) => {
            out.push_str("#{");
            write_list(out, seq, ',');
            out.push('}');
        }
        Kind::MapPair(k, v) => {
            write(out, k);
            out.push_str(" => ");
            write(out, v);
        }
    }
}

fn write_list(out: &mut String, seq: &Seq, s: char) {
    if seq.items.is_empty() {
        out.push_str("...");
        return;
    }
    for (i, item) in seq.items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    match &seq.tail {
        Tail::Nil => {}
        Tail::Dots => {
            out.push(s);
            out.push_str("...");
        }
        Tail::Improper(e) => {
            out.push(s);
            write(out, e);
        }
    }
}

/// `cind/7`: `Err` is OTP's `throw(no_good)`.
type Cind = Result<(), ()>;

fn cind(iff: &If, col: i64, ll: i64, m: i64, ind: i64, ld: i64, w: i64) -> Cind {
    if iff.len < ll - col - ld && iff.len + w + ld <= m {
        return Ok(());
    }
    match &iff.kind {
        Kind::List(seq) | Kind::Tuple(false, seq) => {
            cind_list(&seq.items, &seq.tail, col + 1, ll, m, ind, ld, w + 1)
        }
        Kind::Tuple(true, seq) => cind_tag_tuple(seq, col, ll, m, ind, ld, w + 1),
        Kind::Map(seq) => cind_map(seq, col + 2, ll, m, ind, ld, w + 2),
        _ => Ok(()),
    }
}

fn cind_tag_tuple(seq: &Seq, col: i64, ll: i64, m: i64, ind: i64, ld: i64, w: i64) -> Cind {
    let Some((tag, rest)) = seq.items.split_first() else {
        return Ok(());
    };
    let tlen = tag.len;
    let tag_ind = tlen + 2;
    let tcol = col + tag_ind;
    if ind > 0 && tag_ind > ind {
        let col1 = col + ind;
        if m + col1 <= ll || col1 <= ll / 2 {
            cind_tail(rest, &seq.tail, col1, tcol, ll, m, ind, ld, w + tlen)
        } else {
            Err(())
        }
    } else if m + tcol < ll || tcol < ll / 2 {
        cind_list(rest, &seq.tail, tcol, ll, m, ind, ld, w + tlen + 1)
    } else {
        Err(())
    }
}

fn cind_map(seq: &Seq, col: i64, ll: i64, m: i64, ind: i64, ld: i64, w: i64) -> Cind {
    let Some((p, rest)) = seq.items.split_first() else {
        return Ok(());
    };
    let pw = cind_pair(p, col, ll, m, ind, last_depth(rest, ld), w)?;
    cind_pairs_tail(rest, col, col + pw, ll, m, ind, ld, w + pw)
}

/// `cind_pairs_tail/8` as a loop.
#[allow(clippy::too_many_arguments)]
fn cind_pairs_tail(
    items: &[If],
    col0: i64,
    mut col: i64,
    ll: i64,
    m: i64,
    ind: i64,
    ld: i64,
    mut w: i64,
) -> Cind {
    for (i, p) in items.iter().enumerate() {
        let ld1 = last_depth(&items[i + 1..], ld);
        let elen = 1 + p.len;
        if fits_inline(ld1, elen, col, ll, m, w) && p.atm_pair() {
            col += elen;
            w += elen;
        } else {
            let pw = cind_pair(p, col0, ll, m, ind, ld1, 0)?;
            col = col0 + pw;
            w = pw;
        }
    }
    Ok(())
}

fn cind_pair(pair: &If, col: i64, ll: i64, m: i64, ind: i64, ld: i64, w: i64) -> Result<i64, ()> {
    if pair.len < ll - col - ld && pair.len + w + ld <= m {
        return Ok(if pair.atm_pair() { pair.len } else { ll });
    }
    if let Kind::MapPair(k, v) = &pair.kind {
        cind(k, col, ll, m, ind, ld, w)?;
        cind(v, col + map_value_indent(ind), ll, m, ind, ld, 0)?;
    }
    Ok(ll)
}

#[allow(clippy::too_many_arguments)]
fn cind_list(
    items: &[If],
    tail: &Tail,
    col0: i64,
    ll: i64,
    m: i64,
    ind: i64,
    ld: i64,
    w: i64,
) -> Cind {
    let Some((e, rest)) = items.split_first() else {
        return Ok(());
    };
    let we = cind_element(e, col0, ll, m, ind, last_depth(rest, ld), w)?;
    cind_tail(rest, tail, col0, col0 + we, ll, m, ind, ld, w + we)
}

/// `cind_tail/8` as a loop.
#[allow(clippy::too_many_arguments)]
fn cind_tail(
    items: &[If],
    tail: &Tail,
    col0: i64,
    mut col: i64,
    ll: i64,
    m: i64,
    ind: i64,
    ld: i64,
    mut w: i64,
) -> Cind {
    for (i, e) in items.iter().enumerate() {
        let ld1 = last_depth(&items[i + 1..], ld);
        let elen = 1 + e.len;
        if fits_inline(ld1, elen, col, ll, m, w) && e.atm() {
            col += elen;
            w += elen;
        } else {
            let we = cind_element(e, col0, ll, m, ind, ld1, 0)?;
            col = col0 + we;
            w = we;
        }
    }
    match tail {
        Tail::Nil | Tail::Dots => Ok(()),
        Tail::Improper(e) => {
            if e.len + 1 < ll - col - (ld + 1) && e.len + 1 + w + (ld + 1) <= m && e.atm() {
                Ok(())
            } else {
                cind(e, col, ll, m, ind, ld + 1, 0)
            }
        }
    }
}

fn cind_element(e: &If, col: i64, ll: i64, m: i64, ind: i64, ld: i64, w: i64) -> Result<i64, ()> {
    if e.len < ll - col - ld && e.len + w + ld <= m && e.atm() {
        Ok(e.len)
    } else {
        cind(e, col, ll, m, ind, ld, w)?;
        Ok(ll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(term: &Term) -> String {
        let mut out = String::new();
        print(
            &mut out,
            term,
            1,
            80,
            -1,
            Encoding::Latin1,
            true,
            Nodes::default(),
        );
        out
    }

    #[test]
    fn one_line_terms() {
        assert_eq!(
            p(&Term::list(
                "abc".chars().map(|c| Term::from(c as i64)).collect()
            )),
            "\"abc\""
        );
        assert_eq!(p(&Term::binary(b"abc".to_vec())), "<<\"abc\">>");
        assert_eq!(p(&Term::binary(vec![1, 2])), "<<1,2>>");
        assert_eq!(
            p(&Term::tuple(vec![Term::atom("a"), Term::from(1)])),
            "{a,1}"
        );
    }

    #[test]
    fn very_long_lists_and_maps_do_not_recurse_per_element() {
        let list = Term::list(
            (0..200_000)
                .map(|i| Term::tuple(vec![Term::from(i)]))
                .collect(),
        );
        let map = crate::term::Map::from_pairs((0..100_000).map(|i| (Term::from(i), Term::nil())));
        let big = Term::tuple(vec![list, Term::Map(map.unwrap())]);
        let text = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || p(&big))
            .unwrap()
            .join()
            .unwrap();
        assert!(text.ends_with("99999 => []}}"));
    }

    #[test]
    fn long_list_wraps() {
        let list = Term::list((1..=40).map(|i| Term::from(i * 1000)).collect());
        let text = p(&list);
        assert!(text.contains('\n'));
        assert!(text.lines().all(|l| l.chars().count() <= 80));
    }
}
