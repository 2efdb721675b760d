//! How terms appear in this node's logs and error bodies: as Erlang's `~tp` prints them, on one
//! line (text binaries as `<<"Dentist">>`), so that BEAM users read them as they would in iex/erl.

use distproto::term::Term;

/// `io_lib:format("~9999tp", [Term])`: one line; the plain `~w` form if formatting fails.
pub fn show(term: &Term) -> String {
    let format = Term::binary(&b"~9999tp"[..]);
    distproto::text::format(&format, &Term::list(vec![term.clone()]))
        .unwrap_or_else(|_| distproto::text::write_term(term))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_read_as_text_on_one_line() {
        let term = Term::tuple(vec![
            Term::atom("error"),
            Term::binary(&b"Dentist"[..]),
            Term::list((0..60).map(Term::from).collect()),
        ]);
        let text = show(&term);
        assert!(text.starts_with("{error,<<\"Dentist\">>,[0,1,2,"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}
