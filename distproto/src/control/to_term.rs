//! Control messages to their control tuples, as OTP sends them (`''` in the unused slots).
//! Never fails: every field is already a valid term.

use super::{ControlMessage, ProcRef, SpawnReply, SpawnRequest};
use crate::term::{Atom, Pid, Reference, Term};

fn pid(p: &Pid) -> Term {
    Term::Pid(p.clone())
}

fn reference(r: &Reference) -> Term {
    Term::from(r.clone())
}

fn proc_ref(p: &ProcRef) -> Term {
    match p {
        ProcRef::Pid(p) => pid(p),
        ProcRef::Name(name) => Term::Atom(name.clone()),
    }
}

fn empty_atom() -> Term {
    Term::atom("")
}

fn spawn_request(op: i64, r: &SpawnRequest, token: Option<&Term>) -> Term {
    let mfa = Term::tuple(vec![
        Term::Atom(r.module.clone()),
        Term::Atom(r.function.clone()),
        Term::Integer(i64::from(r.arity)),
    ]);
    let mut items = vec![
        Term::Integer(op),
        reference(&r.req_id),
        pid(&r.from),
        pid(&r.group_leader),
        mfa,
        r.opts.clone(),
    ];
    items.extend(token.cloned());
    Term::tuple(items)
}

fn spawn_reply(op: i64, r: &SpawnReply, token: Option<&Term>) -> Term {
    let mut items = vec![
        Term::Integer(op),
        reference(&r.req_id),
        pid(&r.to),
        Term::Integer(i64::from(r.flags)),
        r.result.clone(),
    ];
    items.extend(token.cloned());
    Term::tuple(items)
}

fn name(a: &Atom) -> Term {
    Term::Atom(a.clone())
}

impl ControlMessage {
    /// The control tuple for this message.
    pub fn to_term(&self) -> Term {
        use ControlMessage::*;
        let op = Term::Integer(i64::from(self.op()));
        let items = match self {
            Link { from, to }
            | Unlink { from, to }
            | GroupLeader { from, to }
            | SendSender { from, to }
            | PayloadExit { from, to }
            | PayloadExit2 { from, to } => {
                vec![op, pid(from), pid(to)]
            }
            Send { to } => vec![op, empty_atom(), pid(to)],
            Exit { from, to, reason } | Exit2 { from, to, reason } => {
                vec![op, pid(from), pid(to), reason.clone()]
            }
            NodeLink => vec![op],
            RegSend { from, to_name } => vec![op, pid(from), empty_atom(), name(to_name)],
            SendTt { to, token } => vec![op, empty_atom(), pid(to), token.clone()],
            ExitTt {
                from,
                to,
                token,
                reason,
            }
            | Exit2Tt {
                from,
                to,
                token,
                reason,
            } => {
                vec![op, pid(from), pid(to), token.clone(), reason.clone()]
            }
            RegSendTt {
                from,
                to_name,
                token,
            } => vec![op, pid(from), empty_atom(), name(to_name), token.clone()],
            MonitorP {
                from,
                to,
                reference: r,
            }
            | DemonitorP {
                from,
                to,
                reference: r,
            } => {
                vec![op, pid(from), proc_ref(to), reference(r)]
            }
            MonitorPExit {
                from,
                to,
                reference: r,
                reason,
            } => vec![op, proc_ref(from), pid(to), reference(r), reason.clone()],
            SendSenderTt { from, to, token }
            | PayloadExitTt { from, to, token }
            | PayloadExit2Tt { from, to, token } => {
                vec![op, pid(from), pid(to), token.clone()]
            }
            PayloadMonitorPExit {
                from,
                to,
                reference: r,
            } => vec![op, proc_ref(from), pid(to), reference(r)],
            SpawnRequest(r) => return spawn_request(29, r, None),
            SpawnRequestTt(r, token) => return spawn_request(30, r, Some(token)),
            SpawnReply(r) => return spawn_reply(31, r, None),
            SpawnReplyTt(r, token) => return spawn_reply(32, r, Some(token)),
            AliasSend { from, alias } => vec![op, pid(from), reference(alias)],
            AliasSendTt { from, alias, token } => {
                vec![op, pid(from), reference(alias), token.clone()]
            }
            UnlinkId { id, from, to } | UnlinkIdAck { id, from, to } => {
                vec![op, Term::from(*id), pid(from), pid(to)]
            }
            AltactSigSend {
                flags,
                from,
                to,
                token,
            } => {
                let mut items = vec![op, Term::from(*flags), pid(from), to.clone()];
                items.extend(token.clone());
                items
            }
        };
        Term::tuple(items)
    }
}
