//! What the node does with each control message a peer sends: messages to mailboxes (by pid,
//! name or alias), links, exit signals, monitors, group leaders, spawn requests and replies.
//! It never blocks: anything slow runs in a process of its own.

use crate::connection::LinkHandle;
use crate::node::NodeInner;
use crate::process::signals::ExitKind;
use distproto::control::{ControlMessage, ProcRef, SpawnReply};
use distproto::dist::DistMessage;
use distproto::term::{Pid, Term};
use std::sync::Arc;
use tracing::debug;

impl NodeInner {
    /// A message from a peer, for a local process or about one.
    pub(crate) fn route_incoming(self: &Arc<Self>, link: &LinkHandle, message: DistMessage) {
        use ControlMessage::*;
        let DistMessage { control, payload } = message;
        match (control, payload) {
            (
                Send { to } | SendTt { to, .. } | SendSender { to, .. } | SendSenderTt { to, .. },
                Some(payload),
            ) => {
                if self.is_local(&to) {
                    self.processes.deliver(to.id, payload);
                }
            }
            (RegSend { to_name, .. } | RegSendTt { to_name, .. }, Some(payload)) => {
                if !self.deliver_to_name(&to_name, payload) {
                    debug!(
                        name = to_name.as_str(),
                        "message to an unregistered name dropped"
                    );
                }
            }
            (AliasSend { alias, .. } | AliasSendTt { alias, .. }, Some(payload)) => {
                self.deliver_to_alias(&alias, payload);
            }
            (Link { from, to }, _) => {
                if !self.add_link(&to, &from) {
                    self.send_exit(link, to, from, Term::atom("noproc"));
                }
            }
            (UnlinkId { id, from, to }, _) => {
                self.remove_link(&to, &from);
                link.send(
                    UnlinkIdAck {
                        id,
                        from: to,
                        to: from,
                    },
                    None,
                );
            }
            (Unlink { from, to }, _) => self.remove_link(&to, &from),
            (UnlinkIdAck { .. }, _) => {}
            (
                Exit { from, to, reason }
                | ExitTt {
                    from, to, reason, ..
                },
                _,
            ) => self.deliver_exit_signal(&from, &to, reason, ExitKind::Link),
            (PayloadExit { from, to } | PayloadExitTt { from, to, .. }, Some(reason)) => {
                self.deliver_exit_signal(&from, &to, reason, ExitKind::Link)
            }
            (
                Exit2 { from, to, reason }
                | Exit2Tt {
                    from, to, reason, ..
                },
                _,
            ) => self.deliver_exit_signal(&from, &to, reason, ExitKind::Exit2),
            (PayloadExit2 { from, to } | PayloadExit2Tt { from, to, .. }, Some(reason)) => {
                self.deliver_exit_signal(&from, &to, reason, ExitKind::Exit2)
            }
            (
                MonitorP {
                    from,
                    to,
                    reference,
                },
                _,
            ) => {
                if !self.add_watcher(&to, &from, &reference) {
                    self.send_monitor_exit(link, to, from, reference, Term::atom("noproc"));
                }
            }
            (DemonitorP { to, reference, .. }, _) => {
                let target = match &to {
                    ProcRef::Pid(pid) => Some(pid.clone()),
                    ProcRef::Name(name) => self.whereis_atom(name),
                };
                if let Some(slot) = target.and_then(|pid| self.slot(&pid)) {
                    slot.state().watchers.remove(&reference);
                }
            }
            (
                MonitorPExit {
                    from,
                    to,
                    reference,
                    reason,
                },
                _,
            ) => self.monitor_exit(&from, &to, &reference, reason),
            (
                PayloadMonitorPExit {
                    from,
                    to,
                    reference,
                },
                Some(reason),
            ) => self.monitor_exit(&from, &to, &reference, reason),
            (GroupLeader { from, to }, _) => {
                if let Some(slot) = self.slot(&to) {
                    slot.state().group_leader = Some(from);
                }
            }
            (SpawnRequest(request) | SpawnRequestTt(request, _), Some(args)) => {
                crate::rpc::serve_spawn_request(self, link, request, args)
            }
            (SpawnReply(reply) | SpawnReplyTt(reply, _), _) => self.spawn_reply(reply),
            (other, _) => debug!(op = other.op(), "control message ignored"),
        }
    }

    fn send_exit(&self, link: &LinkHandle, from: Pid, to: Pid, reason: Term) {
        use distproto::handshake::DistFlags;
        if link.peer.flags.contains(DistFlags::EXIT_PAYLOAD) {
            link.send(ControlMessage::PayloadExit { from, to }, Some(reason));
        } else {
            link.send(ControlMessage::Exit { from, to, reason }, None);
        }
    }

    fn send_monitor_exit(
        &self,
        link: &LinkHandle,
        from: ProcRef,
        to: Pid,
        reference: distproto::term::Reference,
        reason: Term,
    ) {
        use distproto::handshake::DistFlags;
        if link.peer.flags.contains(DistFlags::EXIT_PAYLOAD) {
            link.send(
                ControlMessage::PayloadMonitorPExit {
                    from,
                    to,
                    reference,
                },
                Some(reason),
            );
        } else {
            link.send(
                ControlMessage::MonitorPExit {
                    from,
                    to,
                    reference,
                    reason,
                },
                None,
            );
        }
    }

    /// SPAWN_REPLY for a spawn request of ours: `{spawn_reply, ReqId, ok, Pid}` or
    /// `{spawn_reply, ReqId, error, Reason}` to the requester, as `spawn_request/5` delivers.
    fn spawn_reply(&self, reply: SpawnReply) {
        let pending = self
            .spawn_requests
            .lock()
            .ok()
            .and_then(|mut p| p.remove(&reply.req_id));
        let Some((requester, _node)) = pending else {
            return;
        };
        let message = match &reply.result {
            Term::Pid(pid) => {
                if let Some(slot) = self.slot(&requester) {
                    if let Some(m) = slot.state().monitoring.get_mut(&reply.req_id) {
                        m.target = ProcRef::Pid(pid.clone());
                        m.down_id = Some(Term::Pid(pid.clone()));
                    }
                }
                if reply.flags & 1 != 0 {
                    self.add_link(&requester, pid);
                }
                spawn_reply_message(&reply.req_id, "ok", reply.result.clone())
            }
            error => {
                if let Some(slot) = self.slot(&requester) {
                    slot.state().monitoring.remove(&reply.req_id);
                }
                spawn_reply_message(&reply.req_id, "error", error.clone())
            }
        };
        self.processes.deliver(requester.id, message);
    }

    /// The connection to `node` was lost: its unanswered spawn requests fail with `noconnection`.
    pub(crate) fn fail_spawn_requests(&self, node: &distproto::term::Atom) {
        let failed: Vec<_> = match self.spawn_requests.lock() {
            Ok(mut pending) => {
                let ids: Vec<_> = pending
                    .iter()
                    .filter(|(_, (_, n))| n == node)
                    .map(|(id, _)| id.clone())
                    .collect();
                ids.into_iter()
                    .filter_map(|id| pending.remove(&id).map(|(pid, _)| (id, pid)))
                    .collect()
            }
            Err(_) => return,
        };
        for (req_id, requester) in failed {
            if let Some(slot) = self.slot(&requester) {
                slot.state().monitoring.remove(&req_id);
            }
            self.processes.deliver(
                requester.id,
                spawn_reply_message(&req_id, "error", Term::atom("noconnection")),
            );
        }
    }
}

fn spawn_reply_message(req_id: &distproto::term::Reference, status: &str, result: Term) -> Term {
    Term::tuple(vec![
        Term::atom("spawn_reply"),
        Term::from(req_id.clone()),
        Term::atom(status),
        result,
    ])
}
