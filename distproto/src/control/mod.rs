//! Distribution control messages (ops 1 to 37 of OTP's `dop` enum) as one typed enum, converted
//! to and from the control tuple with the checks OTP's `dist.c` makes on what it receives.

mod from_term;
mod to_term;

pub use from_term::ControlError;

use crate::term::{Atom, Pid, Reference, Term};

/// The target of a monitor: a pid, or a registered name on the receiving node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcRef {
    Pid(Pid),
    Name(Atom),
}

/// One control message. `*_tt` variants carry a seq_trace token. Which ones are followed by a
/// payload term (the message, or an exit reason) is told by [`ControlMessage::has_payload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlMessage {
    /// 1 `{1, From, To}`
    Link { from: Pid, to: Pid },
    /// 2 `{2, '', To}` + message
    Send { to: Pid },
    /// 3 `{3, From, To, Reason}`
    Exit { from: Pid, to: Pid, reason: Term },
    /// 4 `{4, From, To}` (old unlink; invalid once UNLINK_ID is negotiated)
    Unlink { from: Pid, to: Pid },
    /// 5 `{5}` (never valid; decoded only to be refused by name)
    NodeLink,
    /// 6 `{6, From, '', ToName}` + message
    RegSend { from: Pid, to_name: Atom },
    /// 7 `{7, FromGroupLeader, To}`
    GroupLeader { from: Pid, to: Pid },
    /// 8 `{8, From, To, Reason}`
    Exit2 { from: Pid, to: Pid, reason: Term },
    /// 12 `{12, '', To, Token}` + message
    SendTt { to: Pid, token: Term },
    /// 13 `{13, From, To, Token, Reason}`
    ExitTt {
        from: Pid,
        to: Pid,
        token: Term,
        reason: Term,
    },
    /// 16 `{16, From, '', ToName, Token}` + message
    RegSendTt {
        from: Pid,
        to_name: Atom,
        token: Term,
    },
    /// 18 `{18, From, To, Token, Reason}`
    Exit2Tt {
        from: Pid,
        to: Pid,
        token: Term,
        reason: Term,
    },
    /// 19 `{19, From, ToProc, Ref}`
    MonitorP {
        from: Pid,
        to: ProcRef,
        reference: Reference,
    },
    /// 20 `{20, From, ToProc, Ref}`
    DemonitorP {
        from: Pid,
        to: ProcRef,
        reference: Reference,
    },
    /// 21 `{21, FromProc, To, Ref, Reason}`
    MonitorPExit {
        from: ProcRef,
        to: Pid,
        reference: Reference,
        reason: Term,
    },
    /// 22 `{22, From, To}` + message
    SendSender { from: Pid, to: Pid },
    /// 23 `{23, From, To, Token}` + message
    SendSenderTt { from: Pid, to: Pid, token: Term },
    /// 24 `{24, From, To}` + reason
    PayloadExit { from: Pid, to: Pid },
    /// 25 `{25, From, To, Token}` + reason
    PayloadExitTt { from: Pid, to: Pid, token: Term },
    /// 26 `{26, From, To}` + reason
    PayloadExit2 { from: Pid, to: Pid },
    /// 27 `{27, From, To, Token}` + reason
    PayloadExit2Tt { from: Pid, to: Pid, token: Term },
    /// 28 `{28, FromProc, To, Ref}` + reason
    PayloadMonitorPExit {
        from: ProcRef,
        to: Pid,
        reference: Reference,
    },
    /// 29 `{29, ReqId, From, GroupLeader, {M, F, Arity}, Opts}` + argument list
    SpawnRequest(SpawnRequest),
    /// 30 `{30, ReqId, From, GroupLeader, {M, F, Arity}, Opts, Token}` + argument list
    SpawnRequestTt(SpawnRequest, Term),
    /// 31 `{31, ReqId, To, Flags, Result}`
    SpawnReply(SpawnReply),
    /// 32 `{32, ReqId, To, Flags, Result, Token}`
    SpawnReplyTt(SpawnReply, Term),
    /// 33 `{33, From, Alias}` + message
    AliasSend { from: Pid, alias: Reference },
    /// 34 `{34, From, Alias, Token}` + message
    AliasSendTt {
        from: Pid,
        alias: Reference,
        token: Term,
    },
    /// 35 `{35, Id, From, To}`
    UnlinkId { id: u64, from: Pid, to: Pid },
    /// 36 `{36, Id, From, To}`
    UnlinkIdAck { id: u64, from: Pid, to: Pid },
    /// 37 `{37, Flags, From, To}` or `{37, Flags, From, To, Token}` + payload (OTP 28, codec only)
    AltactSigSend {
        flags: u64,
        from: Pid,
        to: Term,
        token: Option<Term>,
    },
}

/// The fields of SPAWN_REQUEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnRequest {
    pub req_id: Reference,
    pub from: Pid,
    pub group_leader: Pid,
    pub module: Atom,
    pub function: Atom,
    pub arity: u8,
    /// The option list as sent (`[monitor, link, {reply, ...}, ...]`).
    pub opts: Term,
}

/// The fields of SPAWN_REPLY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnReply {
    pub req_id: Reference,
    pub to: Pid,
    /// Bit 0: a link was set up; bit 1: a monitor was set up.
    pub flags: u32,
    /// The new pid, or an error atom (`badarg`, `system_limit`, `noconnection`, ...).
    pub result: Term,
}

impl ControlMessage {
    /// The op number OTP uses for this message.
    pub fn op(&self) -> u8 {
        use ControlMessage::*;
        match self {
            Link { .. } => 1,
            Send { .. } => 2,
            Exit { .. } => 3,
            Unlink { .. } => 4,
            NodeLink => 5,
            RegSend { .. } => 6,
            GroupLeader { .. } => 7,
            Exit2 { .. } => 8,
            SendTt { .. } => 12,
            ExitTt { .. } => 13,
            RegSendTt { .. } => 16,
            Exit2Tt { .. } => 18,
            MonitorP { .. } => 19,
            DemonitorP { .. } => 20,
            MonitorPExit { .. } => 21,
            SendSender { .. } => 22,
            SendSenderTt { .. } => 23,
            PayloadExit { .. } => 24,
            PayloadExitTt { .. } => 25,
            PayloadExit2 { .. } => 26,
            PayloadExit2Tt { .. } => 27,
            PayloadMonitorPExit { .. } => 28,
            SpawnRequest(_) => 29,
            SpawnRequestTt(..) => 30,
            SpawnReply(_) => 31,
            SpawnReplyTt(..) => 32,
            AliasSend { .. } => 33,
            AliasSendTt { .. } => 34,
            UnlinkId { .. } => 35,
            UnlinkIdAck { .. } => 36,
            AltactSigSend { .. } => 37,
        }
    }

    /// Whether a second term (the message, exit reason or spawn arguments) follows the control
    /// tuple in the same packet.
    pub fn has_payload(&self) -> bool {
        matches!(self.op(), 2 | 6 | 12 | 16 | 22..=30 | 33 | 34 | 37)
    }
}
