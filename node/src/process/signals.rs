//! Exit signals, links and monitors between processes, as the BEAM runs them: a process that
//! ends sends its reason to every linked process and a `'DOWN'` to every watcher; a non-trapping
//! process that gets a non-`normal` exit signal ends too; a lost node is `noconnection` to all.

use super::state::{Monitoring, Watcher};
use super::table::Slot;
use crate::node::NodeInner;
use distproto::control::{ControlMessage, ProcRef};
use distproto::handshake::DistFlags;
use distproto::term::{Atom, Pid, Reference, Term};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tracing::debug;

/// Why an exit signal was sent: a link that broke, or `exit(Pid, Reason)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitKind {
    Link,
    Exit2,
}

/// An exit signal still to be applied to a local process.
struct Pending {
    to: u32,
    from: Pid,
    reason: Term,
    kind: ExitKind,
}

fn is_atom(term: &Term, name: &str) -> bool {
    term.as_atom() == Some(name)
}

/// `{'DOWN', Ref, process, Item, Reason}`.
pub(crate) fn down_message(reference: &Reference, item: Term, reason: Term) -> Term {
    Term::tuple(vec![
        Term::atom("DOWN"),
        Term::from(reference.clone()),
        Term::atom("process"),
        item,
        reason,
    ])
}

impl NodeInner {
    pub(crate) fn slot(&self, pid: &Pid) -> Option<Arc<Slot>> {
        if self.is_local(pid) {
            self.processes.get(pid.id)
        } else {
            None
        }
    }

    /// Ends local process `id` with `reason`: unregisters it, then sends its exit signals and
    /// `'DOWN'`s, and so on for every process those signals end. No-op if it already exited.
    pub(crate) fn exit_process(&self, id: u32, reason: Term) {
        let mut queue = VecDeque::new();
        self.end_one(id, reason, &mut queue);
        while let Some(signal) = queue.pop_front() {
            if let Some(dies_with) = self.apply_exit_signal(&signal) {
                self.end_one(signal.to, dies_with, &mut queue);
            }
        }
    }

    fn end_one(&self, id: u32, reason: Term, queue: &mut VecDeque<Pending>) {
        let Some(slot) = self.processes.remove(id) else {
            return;
        };
        debug!(pid = ?slot.pid, ?reason, "process exited");
        self.unregister_pid(&slot.pid);
        let state = std::mem::replace(&mut *slot.state(), super::state::ProcessState::new(None));
        if let Some(task) = &state.task {
            task.abort();
        }
        self.remove_aliases(&state.aliases);
        for linked in state.links {
            self.exit_signal(&slot.pid, &linked, reason.clone(), ExitKind::Link, queue);
        }
        for (reference, watcher) in state.watchers {
            self.send_down(&slot.pid, &watcher, &reference, reason.clone());
        }
        for (reference, monitoring) in state.monitoring {
            self.drop_monitor(&slot.pid, &reference, &monitoring);
        }
    }

    /// Sends an exit signal from `from` to `to`: queued when `to` is local, on the wire otherwise
    /// (dropped when not connected: the link is gone with the connection).
    fn exit_signal(
        &self,
        from: &Pid,
        to: &Pid,
        reason: Term,
        kind: ExitKind,
        queue: &mut VecDeque<Pending>,
    ) {
        if self.is_local(to) {
            queue.push_back(Pending {
                to: to.id,
                from: from.clone(),
                reason,
                kind,
            });
            return;
        }
        let Some(link) = self.peers.get(to.node.as_str()) else {
            return;
        };
        let payload = link.peer.flags.contains(DistFlags::EXIT_PAYLOAD);
        let (from, to) = (from.clone(), to.clone());
        match (kind, payload) {
            (ExitKind::Link, true) => {
                link.send(ControlMessage::PayloadExit { from, to }, Some(reason))
            }
            (ExitKind::Exit2, true) => {
                link.send(ControlMessage::PayloadExit2 { from, to }, Some(reason))
            }
            (ExitKind::Link, false) => link.send(ControlMessage::Exit { from, to, reason }, None),
            (ExitKind::Exit2, false) => link.send(ControlMessage::Exit2 { from, to, reason }, None),
        };
    }

    /// Applies an exit signal to a local process; returns the reason it dies with, if it does.
    fn apply_exit_signal(&self, signal: &Pending) -> Option<Term> {
        let slot = self.processes.get(signal.to)?;
        if signal.kind == ExitKind::Link && !slot.state().links.remove(&signal.from) {
            return None; // Unlinked meanwhile: a link's exit signal without a link is dropped.
        }
        if signal.kind == ExitKind::Exit2 && is_atom(&signal.reason, "kill") {
            return Some(Term::atom("killed"));
        }
        if slot.trap_exit.load(Ordering::Acquire) {
            let message = Term::tuple(vec![
                Term::atom("EXIT"),
                Term::Pid(signal.from.clone()),
                signal.reason.clone(),
            ]);
            let _ = slot.tx.send(message);
            return None;
        }
        if is_atom(&signal.reason, "normal") {
            return None;
        }
        Some(signal.reason.clone())
    }

    /// Tells `watcher` that the process it monitors (`from`) ended with `reason`.
    fn send_down(&self, from: &Pid, watcher: &Watcher, reference: &Reference, reason: Term) {
        if self.is_local(&watcher.pid) {
            let Some(slot) = self.processes.get(watcher.pid.id) else {
                return;
            };
            let Some(monitoring) = slot.state().monitoring.remove(reference) else {
                return;
            };
            let item = monitoring
                .down_id
                .unwrap_or_else(|| Term::Pid(from.clone()));
            let _ = slot.tx.send(down_message(reference, item, reason));
            return;
        }
        let Some(link) = self.peers.get(watcher.pid.node.as_str()) else {
            return;
        };
        let (from, to, reference) = (
            watcher.named_as.clone(),
            watcher.pid.clone(),
            reference.clone(),
        );
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

    /// Forgets a monitor `watcher` held: on the target's side too (DEMONITOR_P when remote).
    pub(crate) fn drop_monitor(
        &self,
        watcher: &Pid,
        reference: &Reference,
        monitoring: &Monitoring,
    ) {
        if monitoring.node == self.name {
            if let ProcRef::Pid(target) = &monitoring.target {
                if let Some(slot) = self.processes.get(target.id) {
                    slot.state().watchers.remove(reference);
                }
            } else if let Some(pid) = self.resolve_name_monitor(&monitoring.target) {
                if let Some(slot) = self.processes.get(pid.id) {
                    slot.state().watchers.remove(reference);
                }
            }
            return;
        }
        // Nobody waits for a DEMONITOR_P: it goes out with what the process sends next (a gen
        // call's next request), or when its task yields.
        if let Some(link) = self.peers.get(monitoring.node.as_str()) {
            link.send_more(
                ControlMessage::DemonitorP {
                    from: watcher.clone(),
                    to: monitoring.target.clone(),
                    reference: reference.clone(),
                },
                None,
                true,
            );
        }
    }

    fn resolve_name_monitor(&self, target: &ProcRef) -> Option<Pid> {
        match target {
            ProcRef::Pid(pid) => Some(pid.clone()),
            ProcRef::Name(name) => self.whereis_atom(name),
        }
    }

    /// Starts watching local `target` for `watcher` (local or remote) under `reference`; `false`
    /// when there is no such process (the caller then reports `noproc`).
    pub(crate) fn add_watcher(
        &self,
        target: &ProcRef,
        watcher: &Pid,
        reference: &Reference,
    ) -> bool {
        let Some(pid) = self.resolve_name_monitor(target) else {
            return false;
        };
        let Some(slot) = self.slot(&pid) else {
            return false;
        };
        slot.state().watchers.insert(
            reference.clone(),
            Watcher {
                pid: watcher.clone(),
                named_as: target.clone(),
            },
        );
        true
    }

    /// A link between local `local` and `other` (local or remote); `false` if `local` is gone.
    pub(crate) fn add_link(&self, local: &Pid, other: &Pid) -> bool {
        match self.slot(local) {
            Some(slot) => {
                slot.state().links.insert(other.clone());
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove_link(&self, local: &Pid, other: &Pid) {
        if let Some(slot) = self.slot(local) {
            slot.state().links.remove(other);
        }
    }

    /// An exit signal for local process `to` (from a peer, or `exit/2` from here).
    pub(crate) fn deliver_exit_signal(&self, from: &Pid, to: &Pid, reason: Term, kind: ExitKind) {
        if !self.is_local(to) {
            let mut queue = VecDeque::new();
            self.exit_signal(from, to, reason, kind, &mut queue);
            return;
        }
        let signal = Pending {
            to: to.id,
            from: from.clone(),
            reason,
            kind,
        };
        if let Some(dies_with) = self.apply_exit_signal(&signal) {
            self.exit_process(to.id, dies_with);
        }
    }

    /// A remote watcher's monitor ended (MONITOR_P_EXIT came): `'DOWN'` to the local watcher.
    pub(crate) fn monitor_exit(
        &self,
        from: &ProcRef,
        to: &Pid,
        reference: &Reference,
        reason: Term,
    ) {
        let Some(slot) = self.slot(to) else {
            return;
        };
        let Some(monitoring) = slot.state().monitoring.remove(reference) else {
            return;
        };
        let item = monitoring.down_id.unwrap_or_else(|| match from {
            ProcRef::Pid(pid) => Term::Pid(pid.clone()),
            ProcRef::Name(name) => Term::tuple(vec![
                Term::Atom(name.clone()),
                Term::Atom(monitoring.node.clone()),
            ]),
        });
        let _ = slot.tx.send(down_message(reference, item, reason));
    }

    /// The connection to `node` is gone: `noconnection` for every link and monitor that crossed
    /// it, as each BEAM node generates it locally.
    pub(crate) fn node_down_signals(&self, node: &Atom) {
        let noconnection = Term::atom("noconnection");
        let mut queue = VecDeque::new();
        for slot in self.processes.all() {
            let mut state = slot.state();
            let broken: Vec<Pid> = state
                .links
                .iter()
                .filter(|p| p.node == *node)
                .cloned()
                .collect();
            for pid in broken {
                queue.push_back(Pending {
                    to: slot.pid.id,
                    from: pid,
                    reason: noconnection.clone(),
                    kind: ExitKind::Link,
                });
            }
            let lost: Vec<Reference> = state
                .monitoring
                .iter()
                .filter(|(_, m)| m.node == *node)
                .map(|(r, _)| r.clone())
                .collect();
            for reference in lost {
                if let Some(monitoring) = state.monitoring.remove(&reference) {
                    let item = monitoring
                        .down_id
                        .unwrap_or_else(|| match &monitoring.target {
                            ProcRef::Pid(pid) => Term::Pid(pid.clone()),
                            ProcRef::Name(name) => Term::tuple(vec![
                                Term::Atom(name.clone()),
                                Term::Atom(monitoring.node.clone()),
                            ]),
                        });
                    let _ = slot
                        .tx
                        .send(down_message(&reference, item, noconnection.clone()));
                }
            }
            state.watchers.retain(|_, w| w.pid.node != *node);
        }
        while let Some(signal) = queue.pop_front() {
            if let Some(dies_with) = self.apply_exit_signal(&signal) {
                self.exit_process(signal.to, dies_with);
            }
        }
    }

    /// Records that local `watcher` monitors `monitoring` under `reference`.
    pub(crate) fn add_monitoring(
        &self,
        watcher: &Pid,
        reference: &Reference,
        monitoring: Monitoring,
    ) -> bool {
        match self.slot(watcher) {
            Some(slot) => {
                slot.state()
                    .monitoring
                    .insert(reference.clone(), monitoring);
                true
            }
            None => false,
        }
    }
}
