//! What a message to a process carries: a term the sender hands over, or a gen call's request
//! tuple kept as borrowed parts, so that a caller's request is encoded from its reference
//! instead of being copied into a tuple first (a BEAM process does not copy what it sends).
//! Only a local receiver, which needs a term of its own, gets a copy.

use distproto::term::{Pid, Term};

pub(crate) enum Payload<'a> {
    Term(Term),
    /// `{'$gen_call', {From, Tag}, Request}`.
    GenCall {
        from: &'a Pid,
        tag: &'a Term,
        request: &'a Term,
    },
}

impl Payload<'_> {
    /// The message as a term, for a receiver on this node (a gen call's parts are copied).
    pub fn into_term(self) -> Term {
        match self {
            Payload::Term(term) => term,
            Payload::GenCall { from, tag, request } => gen_call_message(from, tag, request.clone()),
        }
    }
}

impl From<Term> for Payload<'_> {
    fn from(term: Term) -> Self {
        Payload::Term(term)
    }
}

/// `{'$gen_call', {From, Tag}, Request}` as a term.
pub(crate) fn gen_call_message(from: &Pid, tag: &Term, request: Term) -> Term {
    Term::tuple(vec![
        Term::atom("$gen_call"),
        Term::tuple(vec![Term::Pid(from.clone()), tag.clone()]),
        request,
    ])
}
