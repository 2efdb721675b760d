//! Control tuples received from a peer, checked as OTP's `dist.c` checks them: exact arity per
//! op, pids where pids belong, a reference where a reference belongs, UNLINK_ID ids non-zero.

use super::{ControlMessage, ProcRef, SpawnReply, SpawnRequest};
use crate::term::{Atom, Pid, Reference, Term};

/// Why a control message is invalid. OTP kills the whole connection for any of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("control message is not a tuple starting with an op number")]
    NotATuple,
    #[error("unknown control op {0}")]
    UnknownOp(i64),
    #[error("control op {op}: expected {expected} elements, got {got}")]
    BadArity {
        op: u8,
        expected: &'static str,
        got: usize,
    },
    #[error("control op {op}: element {index} must be {expected}")]
    BadField {
        op: u8,
        index: usize,
        expected: &'static str,
    },
    #[error("control op 5 (NODE_LINK) is not valid in any OTP release")]
    NodeLink,
}

struct Fields<'a> {
    op: u8,
    items: &'a [Term],
}

impl<'a> Fields<'a> {
    fn get(&self, index: usize, expected: &'static str) -> Result<&'a Term, ControlError> {
        self.items.get(index).ok_or(ControlError::BadField {
            op: self.op,
            index,
            expected,
        })
    }
    fn bad(&self, index: usize, expected: &'static str) -> ControlError {
        ControlError::BadField {
            op: self.op,
            index,
            expected,
        }
    }
    fn pid(&self, index: usize) -> Result<Pid, ControlError> {
        match self.get(index, "a pid")? {
            Term::Pid(p) => Ok(p.clone()),
            _ => Err(self.bad(index, "a pid")),
        }
    }
    fn atom(&self, index: usize) -> Result<Atom, ControlError> {
        match self.get(index, "an atom")? {
            Term::Atom(a) => Ok(a.clone()),
            _ => Err(self.bad(index, "an atom")),
        }
    }
    fn reference(&self, index: usize) -> Result<Reference, ControlError> {
        match self.get(index, "a reference")? {
            Term::Reference(r) => Ok(Reference::clone(r)),
            _ => Err(self.bad(index, "a reference")),
        }
    }
    fn proc_ref(&self, index: usize) -> Result<ProcRef, ControlError> {
        match self.get(index, "a pid or an atom")? {
            Term::Pid(p) => Ok(ProcRef::Pid(p.clone())),
            Term::Atom(a) => Ok(ProcRef::Name(a.clone())),
            _ => Err(self.bad(index, "a pid or an atom")),
        }
    }
    fn term(&self, index: usize) -> Result<Term, ControlError> {
        self.get(index, "a term").cloned()
    }
    /// An integer in `1..=u64::MAX` (UNLINK_ID ids; 0 is invalid).
    fn unlink_id(&self, index: usize) -> Result<u64, ControlError> {
        let expected = "an integer in 1..2^64-1";
        let id = match self.get(index, expected)? {
            Term::Integer(i) => u64::try_from(*i).ok(),
            Term::BigInt(b) => u64::try_from(b).ok(),
            _ => None,
        };
        id.filter(|&id| id != 0).ok_or(self.bad(index, expected))
    }
    fn u64(&self, index: usize) -> Result<u64, ControlError> {
        let expected = "a non-negative integer";
        match self.get(index, expected)? {
            Term::Integer(i) => u64::try_from(*i).map_err(|_| self.bad(index, expected)),
            Term::BigInt(b) => u64::try_from(b).map_err(|_| self.bad(index, expected)),
            _ => Err(self.bad(index, expected)),
        }
    }
    fn spawn_request(&self) -> Result<SpawnRequest, ControlError> {
        let mfa = match self.get(4, "{Module, Function, Arity}")? {
            Term::Tuple(mfa) if mfa.len() == 3 => mfa,
            _ => return Err(self.bad(4, "{Module, Function, Arity}")),
        };
        let (Term::Atom(module), Term::Atom(function), Term::Integer(arity)) =
            (&mfa[0], &mfa[1], &mfa[2])
        else {
            return Err(self.bad(4, "{Module, Function, Arity}"));
        };
        let arity = u8::try_from(*arity)
            .map_err(|_| self.bad(4, "{Module, Function, Arity} with arity 0..255"))?;
        let opts = self.term(5)?;
        if !matches!(opts, Term::List(_)) {
            return Err(self.bad(5, "a proper option list"));
        }
        Ok(SpawnRequest {
            req_id: self.reference(1)?,
            from: self.pid(2)?,
            group_leader: self.pid(3)?,
            module: module.clone(),
            function: function.clone(),
            arity,
            opts,
        })
    }
    fn spawn_reply(&self) -> Result<SpawnReply, ControlError> {
        let flags = match self.get(3, "flags")? {
            Term::Integer(f) if (0..1 << 27).contains(f) => *f as u32,
            _ => return Err(self.bad(3, "flags, a small integer")),
        };
        let result = self.term(4)?;
        if !matches!(result, Term::Pid(_) | Term::Atom(_)) {
            return Err(self.bad(4, "a pid or an error atom"));
        }
        Ok(SpawnReply {
            req_id: self.reference(1)?,
            to: self.pid(2)?,
            flags,
            result,
        })
    }
}

impl ControlMessage {
    /// Reads a control tuple received from a peer.
    pub fn from_term(term: &Term) -> Result<ControlMessage, ControlError> {
        let Term::Tuple(items) = term else {
            return Err(ControlError::NotATuple);
        };
        let op = match items.first() {
            Some(Term::Integer(op)) => *op,
            _ => return Err(ControlError::NotATuple),
        };
        let arity: &[usize] = match op {
            5 => &[1],
            1 | 2 | 4 | 7 | 22 | 24 | 26 | 33 => &[3],
            3 | 6 | 8 | 12 | 19 | 20 | 23 | 25 | 27 | 28 | 34 | 35 | 36 => &[4],
            13 | 16 | 18 | 21 | 31 => &[5],
            29 | 32 => &[6],
            30 => &[7],
            37 => &[4, 5],
            other => return Err(ControlError::UnknownOp(other)),
        };
        let op = op as u8;
        if !arity.contains(&items.len()) {
            let expected = if arity.len() == 2 {
                "4 or 5"
            } else {
                ["", "1", "", "3", "4", "5", "6", "7"][arity[0]]
            };
            return Err(ControlError::BadArity {
                op,
                expected,
                got: items.len(),
            });
        }
        let f = Fields { op, items };
        use ControlMessage::*;
        Ok(match op {
            1 => Link {
                from: f.pid(1)?,
                to: f.pid(2)?,
            },
            2 => Send { to: f.pid(2)? },
            3 => Exit {
                from: f.pid(1)?,
                to: f.pid(2)?,
                reason: f.term(3)?,
            },
            4 => Unlink {
                from: f.pid(1)?,
                to: f.pid(2)?,
            },
            5 => return Err(ControlError::NodeLink),
            6 => RegSend {
                from: f.pid(1)?,
                to_name: f.atom(3)?,
            },
            7 => GroupLeader {
                from: f.pid(1)?,
                to: f.pid(2)?,
            },
            8 => Exit2 {
                from: f.pid(1)?,
                to: f.pid(2)?,
                reason: f.term(3)?,
            },
            12 => SendTt {
                to: f.pid(2)?,
                token: f.term(3)?,
            },
            13 => ExitTt {
                from: f.pid(1)?,
                to: f.pid(2)?,
                token: f.term(3)?,
                reason: f.term(4)?,
            },
            16 => RegSendTt {
                from: f.pid(1)?,
                to_name: f.atom(3)?,
                token: f.term(4)?,
            },
            18 => Exit2Tt {
                from: f.pid(1)?,
                to: f.pid(2)?,
                token: f.term(3)?,
                reason: f.term(4)?,
            },
            19 => MonitorP {
                from: f.pid(1)?,
                to: f.proc_ref(2)?,
                reference: f.reference(3)?,
            },
            20 => DemonitorP {
                from: f.pid(1)?,
                to: f.proc_ref(2)?,
                reference: f.reference(3)?,
            },
            21 => MonitorPExit {
                from: f.proc_ref(1)?,
                to: f.pid(2)?,
                reference: f.reference(3)?,
                reason: f.term(4)?,
            },
            22 => SendSender {
                from: f.pid(1)?,
                to: f.pid(2)?,
            },
            23 => SendSenderTt {
                from: f.pid(1)?,
                to: f.pid(2)?,
                token: f.term(3)?,
            },
            24 => PayloadExit {
                from: f.pid(1)?,
                to: f.pid(2)?,
            },
            25 => PayloadExitTt {
                from: f.pid(1)?,
                to: f.pid(2)?,
                token: f.term(3)?,
            },
            26 => PayloadExit2 {
                from: f.pid(1)?,
                to: f.pid(2)?,
            },
            27 => PayloadExit2Tt {
                from: f.pid(1)?,
                to: f.pid(2)?,
                token: f.term(3)?,
            },
            28 => PayloadMonitorPExit {
                from: f.proc_ref(1)?,
                to: f.pid(2)?,
                reference: f.reference(3)?,
            },
            29 => SpawnRequest(f.spawn_request()?),
            30 => SpawnRequestTt(f.spawn_request()?, f.term(6)?),
            31 => SpawnReply(f.spawn_reply()?),
            32 => SpawnReplyTt(f.spawn_reply()?, f.term(5)?),
            33 => AliasSend {
                from: f.pid(1)?,
                alias: f.reference(2)?,
            },
            34 => AliasSendTt {
                from: f.pid(1)?,
                alias: f.reference(2)?,
                token: f.term(3)?,
            },
            35 => UnlinkId {
                id: f.unlink_id(1)?,
                from: f.pid(2)?,
                to: f.pid(3)?,
            },
            36 => UnlinkIdAck {
                id: f.unlink_id(1)?,
                from: f.pid(2)?,
                to: f.pid(3)?,
            },
            37 => AltactSigSend {
                flags: f.u64(1)?,
                from: f.pid(2)?,
                to: f.term(3)?,
                token: items.get(4).cloned(),
            },
            other => return Err(ControlError::UnknownOp(i64::from(other))),
        })
    }
}
