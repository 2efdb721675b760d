//! `Process`: a process of this node as its owner holds it — pid, mailbox, and the BEAM's
//! process operations (send, link, monitor, trap_exit, aliases, exit) acting as that process.

use super::signals::{down_message, ExitKind};
use super::state::Monitoring;
use super::Mailbox;
use crate::dest::Dest;
use crate::node::Node;
use distproto::control::{ControlMessage, ProcRef};
use distproto::handshake::DistFlags;
use distproto::term::{Pid, Reference, Term};
use std::sync::atomic::Ordering;

/// A process of this node. Dropping it ends the process with reason `normal` (a process made by
/// [`Node::spawn`] ends when its function returns, with what it returned).
pub struct Process {
    pub(crate) pid: Pid,
    pub mailbox: Mailbox,
    pub(crate) node: Node,
    /// Set for processes run by `Node::spawn`: the task's end, not this handle's drop, ends it.
    pub(crate) owned_by_task: bool,
}

impl Process {
    pub fn pid(&self) -> &Pid {
        &self.pid
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// `register(Name, self())`.
    pub fn register(&self, name: &str) -> bool {
        self.node.register(name, &self.pid)
    }

    /// `Pid ! Message`.
    pub async fn send(&self, to: &Pid, message: Term) {
        self.node.send(Some(&self.pid), to, message).await
    }

    /// `{Name, Node} ! Message`.
    pub async fn send_named(&self, name: &str, node: &str, message: Term) {
        self.node.send_named(&self.pid, name, node, message).await
    }

    /// `Dest ! Message` for any destination.
    pub async fn send_to(&self, dest: &Dest, message: Term) {
        self.node.send_to(&self.pid, dest, message).await
    }

    /// `process_flag(trap_exit, On)`: exit signals become `{'EXIT', From, Reason}` messages.
    pub fn trap_exit(&self, on: bool) {
        if let Some(slot) = self.node.inner.slot(&self.pid) {
            slot.trap_exit.store(on, Ordering::Release);
        }
    }

    /// `link(Pid)`. A process that does not exist (or whose node cannot be reached) sends an
    /// exit signal `noproc` (`noconnection`) back, as the BEAM does.
    pub async fn link(&self, other: &Pid) {
        let inner = &self.node.inner;
        if *other == self.pid {
            return;
        }
        inner.add_link(&self.pid, other);
        if inner.is_local(other) {
            if !inner.add_link(other, &self.pid) {
                inner.deliver_exit_signal(other, &self.pid, Term::atom("noproc"), ExitKind::Link);
            }
            return;
        }
        match self.node.connect(other.node.as_str()).await {
            Ok(link) => {
                link.send(
                    ControlMessage::Link {
                        from: self.pid.clone(),
                        to: other.clone(),
                    },
                    None,
                );
            }
            Err(_) => inner.deliver_exit_signal(
                other,
                &self.pid,
                Term::atom("noconnection"),
                ExitKind::Link,
            ),
        }
    }

    /// `unlink(Pid)`: with the UNLINK_ID protocol when the peer speaks it.
    pub fn unlink(&self, other: &Pid) {
        let inner = &self.node.inner;
        inner.remove_link(&self.pid, other);
        if inner.is_local(other) {
            inner.remove_link(other, &self.pid);
            return;
        }
        if let Some(link) = inner.peers.get(other.node.as_str()) {
            let (from, to) = (self.pid.clone(), other.clone());
            if link.peer.flags.contains(DistFlags::UNLINK_ID) {
                let id = inner.next_unlink_id();
                link.send(ControlMessage::UnlinkId { id, from, to }, None);
            } else {
                link.send(ControlMessage::Unlink { from, to }, None);
            }
        }
    }

    /// `erlang:monitor(process, Dest)`: a `{'DOWN', Ref, process, Item, Reason}` message comes
    /// when the target ends, is missing (`noproc`) or its node is lost (`noconnection`).
    pub async fn monitor(&self, dest: &Dest) -> Reference {
        self.monitor_more(dest, false).await
    }

    /// [`Process::monitor`] for a caller that sends to the same node right after (a gen call
    /// sends its request): the MONITOR_P may then wait to share one write with that message
    /// (see `LinkHandle::send_more`).
    pub(crate) async fn monitor_more(&self, dest: &Dest, more_follows: bool) -> Reference {
        let inner = &self.node.inner;
        let reference = self.node.make_ref();
        let resolved;
        let dest = match dest {
            Dest::Global(name) => match self.node.global_whereis(name) {
                Some(pid) => {
                    resolved = Dest::Pid(pid);
                    &resolved
                }
                None => {
                    self.deliver_down(&reference, dest.to_term(), "noproc");
                    return reference;
                }
            },
            other => other,
        };
        let (node, target, down_id) = match dest {
            Dest::Pid(pid) => (
                pid.node.clone(),
                ProcRef::Pid(pid.clone()),
                Term::Pid(pid.clone()),
            ),
            Dest::Name(name) => (
                inner.name.clone(),
                ProcRef::Name(name.clone()),
                Term::tuple(vec![
                    Term::Atom(name.clone()),
                    Term::Atom(inner.name.clone()),
                ]),
            ),
            Dest::Remote { name, node } => (
                node.clone(),
                ProcRef::Name(name.clone()),
                Term::tuple(vec![Term::Atom(name.clone()), Term::Atom(node.clone())]),
            ),
            Dest::Global(_) => return reference,
        };
        let local = node == inner.name;
        if local && !inner.add_watcher(&target, &self.pid, &reference) {
            self.deliver_down(&reference, down_id, "noproc");
            return reference;
        }
        inner.add_monitoring(
            &self.pid,
            &reference,
            Monitoring {
                node: node.clone(),
                target: target.clone(),
                down_id: Some(down_id.clone()),
            },
        );
        if local {
            return reference;
        }
        match self.node.connect(node.as_str()).await {
            Ok(link) => {
                link.send_more(
                    ControlMessage::MonitorP {
                        from: self.pid.clone(),
                        to: target,
                        reference: reference.clone(),
                    },
                    None,
                    more_follows,
                );
            }
            Err(_) => {
                if self.forget_monitor(&reference).is_some() {
                    self.deliver_down(&reference, down_id, "noconnection");
                }
            }
        }
        reference
    }

    fn deliver_down(&self, reference: &Reference, item: Term, reason: &str) {
        self.node.inner.processes.deliver(
            self.pid.id,
            down_message(reference, item, Term::atom(reason)),
        );
    }

    fn forget_monitor(&self, reference: &Reference) -> Option<Monitoring> {
        self.node
            .inner
            .slot(&self.pid)
            .and_then(|slot| slot.state().monitoring.remove(reference))
    }

    /// `erlang:demonitor(Ref)`: `false` if there was no such monitor (any more).
    pub fn demonitor(&self, reference: &Reference) -> bool {
        match self.forget_monitor(reference) {
            Some(monitoring) => {
                self.node
                    .inner
                    .drop_monitor(&self.pid, reference, &monitoring);
                true
            }
            None => false,
        }
    }

    /// `erlang:demonitor(Ref, [flush])`: also removes a `'DOWN'` for it already in the mailbox.
    pub fn demonitor_flush(&mut self, reference: &Reference) {
        self.demonitor(reference);
        let reference = Term::from(reference.clone());
        self.mailbox.remove_where(|m| match m {
            Term::Tuple(items) => {
                items.len() == 5 && items[0].as_atom() == Some("DOWN") && items[1] == reference
            }
            _ => false,
        });
    }

    /// `alias()`: a reference that routes messages (`ALIAS_SEND`) to this process until
    /// [`Process::unalias`].
    pub fn alias(&self) -> Reference {
        let reference = self.node.make_ref();
        self.node.inner.add_alias(&self.pid, &reference);
        reference
    }

    /// `unalias(Alias)`.
    pub fn unalias(&self, alias: &Reference) -> bool {
        self.node.inner.remove_alias(&self.pid, alias)
    }

    /// The group leader, where this process's I/O goes (`group_leader()`).
    pub fn group_leader(&self) -> Option<Pid> {
        self.node
            .inner
            .slot(&self.pid)
            .and_then(|slot| slot.state().group_leader.clone())
    }

    /// `group_leader(Leader, self())`.
    pub fn set_group_leader(&self, leader: &Pid) {
        if let Some(slot) = self.node.inner.slot(&self.pid) {
            slot.state().group_leader = Some(leader.clone());
        }
    }

    /// `exit(Pid, Reason)`: an exit signal to another process (`kill` cannot be trapped).
    pub async fn exit_signal(&self, to: &Pid, reason: Term) {
        let inner = &self.node.inner;
        if !inner.is_local(to) && self.node.connect(to.node.as_str()).await.is_err() {
            return;
        }
        inner.deliver_exit_signal(&self.pid, to, reason, ExitKind::Exit2);
    }

    /// Ends this process now with `reason` (what links and monitors see).
    pub fn exit(self, reason: Term) {
        self.node.inner.exit_process(self.pid.id, reason);
    }

    /// Whether this process still runs (it may have been killed by an exit signal; its mailbox
    /// then returns what was already queued, then `None`).
    pub fn is_alive(&self) -> bool {
        self.node.inner.processes.contains(self.pid.id)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if !self.owned_by_task {
            self.node
                .inner
                .exit_process(self.pid.id, Term::atom("normal"));
        }
    }
}
