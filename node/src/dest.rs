//! Where a message, a call or a monitor goes: a pid, a name registered on this node, a name
//! registered on another node (`{Name, Node}`), or a global name (`{global, Name}`), as
//! `erlang:send/2` and `gen:call/4` accept them.

use distproto::term::{Atom, Pid, Term};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    Pid(Pid),
    /// A name registered on this node.
    Name(Atom),
    /// `{Name, Node}`.
    Remote {
        name: Atom,
        node: Atom,
    },
    /// `{global, Name}`: whoever global has registered as `Name` when it is used.
    Global(Term),
}

impl Dest {
    /// `{Name, Node}`; `None` when either is longer than an atom may be.
    pub fn remote(name: &str, node: &str) -> Option<Dest> {
        Some(Dest::Remote {
            name: Atom::new(name)?,
            node: Atom::new(node)?,
        })
    }

    /// `{global, Name}`.
    pub fn global(name: Term) -> Dest {
        Dest::Global(name)
    }

    /// A destination from a term: a pid, an atom (local name), `{global, Name}` (unless `Name`
    /// is a node name: then it is `{Name, Node}` for a process registered as `global`), or
    /// `{Name, Node}`.
    pub fn from_term(term: &Term) -> Option<Dest> {
        match term {
            Term::Pid(pid) => Some(Dest::Pid(pid.clone())),
            Term::Atom(name) => Some(Dest::Name(name.clone())),
            Term::Tuple(items) => match items.as_slice() {
                [Term::Atom(tag), name]
                    if tag.as_str() == "global"
                        && !matches!(name, Term::Atom(n) if n.as_str().contains('@')) =>
                {
                    Some(Dest::Global(name.clone()))
                }
                [Term::Atom(name), Term::Atom(node)] => Some(Dest::Remote {
                    name: name.clone(),
                    node: node.clone(),
                }),
                _ => None,
            },
            _ => None,
        }
    }

    /// The destination as Erlang writes it (pid, `Name` or `{Name, Node}`).
    pub fn to_term(&self) -> Term {
        match self {
            Dest::Pid(pid) => Term::Pid(pid.clone()),
            Dest::Name(name) => Term::Atom(name.clone()),
            Dest::Remote { name, node } => {
                Term::tuple(vec![Term::Atom(name.clone()), Term::Atom(node.clone())])
            }
            Dest::Global(name) => Term::tuple(vec![Term::atom("global"), name.clone()]),
        }
    }
}

impl From<Pid> for Dest {
    fn from(pid: Pid) -> Dest {
        Dest::Pid(pid)
    }
}

impl From<&Pid> for Dest {
    fn from(pid: &Pid) -> Dest {
        Dest::Pid(pid.clone())
    }
}
