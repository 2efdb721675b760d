//! How a Rust rpc function fails, in Erlang's three exception classes. erpc and rpc report each
//! to the BEAM caller exactly as a failing Erlang function would be reported.

use distproto::term::Term;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exception {
    /// `throw(Value)`.
    Throw(Term),
    /// `exit(Reason)`.
    Exit(Term),
    /// `error(Reason)`, with a stack trace (a list; `[]` when there is none to give).
    Error { reason: Term, stack: Term },
}

impl Exception {
    /// `error(Reason)` with an empty stack.
    pub fn error(reason: Term) -> Exception {
        Exception::Error {
            reason,
            stack: Term::nil(),
        }
    }

    /// `error(badarg)`.
    pub fn badarg() -> Exception {
        Exception::error(Term::atom("badarg"))
    }

    /// The `undef` error a BEAM node raises for a function that does not exist.
    pub fn undef(module: &Term, function: &Term, args: &[Term]) -> Exception {
        Exception::Error {
            reason: Term::atom("undef"),
            stack: Term::list(vec![Term::tuple(vec![
                module.clone(),
                function.clone(),
                Term::list(args.to_vec()),
                Term::nil(),
            ])]),
        }
    }

    /// The exit reason of a process that died of this exception (what `spawn` shows links and
    /// monitors): `Reason` for exit, `{Reason, Stack}` for error, `{{nocatch, V}, Stack}` for throw.
    pub fn exit_reason(&self) -> Term {
        match self {
            Exception::Exit(reason) => reason.clone(),
            Exception::Error { reason, stack } => Term::tuple(vec![reason.clone(), stack.clone()]),
            Exception::Throw(value) => Term::tuple(vec![
                Term::tuple(vec![Term::atom("nocatch"), value.clone()]),
                Term::nil(),
            ]),
        }
    }
}
