//! Erlang chardata (nested lists of code points and UTF-8 binaries, as `unicode:characters_to_binary/1`
//! accepts) to a Rust string; `None` for anything else.

use distproto::term::Term;

/// The text of `chardata`: a binary (UTF-8), a code point, or a possibly improper list of those.
pub fn chardata_to_string(chardata: &Term) -> Option<String> {
    let mut out = String::new();
    push(chardata, &mut out, 0)?;
    Some(out)
}

fn push(term: &Term, out: &mut String, depth: usize) -> Option<()> {
    if depth > 1000 {
        return None;
    }
    match term {
        Term::Binary(bytes) => out.push_str(std::str::from_utf8(bytes).ok()?),
        Term::Integer(c) => out.push(char::from_u32(u32::try_from(*c).ok()?)?),
        Term::List(items) => {
            for item in items {
                push(item, out, depth + 1)?;
            }
        }
        Term::ImproperList(items, tail) => {
            for item in items {
                push(item, out, depth + 1)?;
            }
            match tail.as_ref() {
                Term::Binary(_) => push(tail, out, depth + 1)?,
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(())
}
