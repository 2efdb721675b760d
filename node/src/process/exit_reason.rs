//! The reason a process ends with: any term; `normal` when a spawned function returns `()`.
//! Linked processes and monitors see exactly this term.

use distproto::term::Term;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReason(pub Term);

impl ExitReason {
    pub fn normal() -> ExitReason {
        ExitReason(Term::atom("normal"))
    }
}

impl From<()> for ExitReason {
    fn from(_: ()) -> ExitReason {
        ExitReason::normal()
    }
}

impl From<Term> for ExitReason {
    fn from(reason: Term) -> ExitReason {
        ExitReason(reason)
    }
}

/// `Ok(())` is `normal`; `Err(reason)` is that reason.
impl From<Result<(), Term>> for ExitReason {
    fn from(result: Result<(), Term>) -> ExitReason {
        match result {
            Ok(()) => ExitReason::normal(),
            Err(reason) => ExitReason(reason),
        }
    }
}
