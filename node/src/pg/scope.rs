//! One pg scope: the process registered under the scope's name that discovers the same scope on
//! every visible node, exchanges members with it (discover, sync, join, leave), monitors local
//! members and peer scopes, and tells `monitor_scope` subscribers what changed.

use super::groups::{pids_of, remove_each, Groups};
use crate::dest::Dest;
use crate::net_kernel::MonitorNodesOptions;
use crate::node::Node;
use crate::process::Process;
use distproto::term::{Atom, Pid, Reference, Term};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

/// A handle on one scope of this node. Cheap to clone.
#[derive(Clone)]
pub struct PgScope {
    node: Node,
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    name: Atom,
    pid: Pid,
    groups: Mutex<Groups>,
    commands: mpsc::UnboundedSender<Command>,
}

enum Command {
    Join(Term, Vec<Pid>, oneshot::Sender<()>),
    Leave(Term, Vec<Pid>, oneshot::Sender<bool>),
    Subscribe(Pid, oneshot::Sender<Reference>),
}

impl Shared {
    fn groups(&self) -> MutexGuard<'_, Groups> {
        self.groups.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The scope `name` of `node`, started if it is not running.
pub(super) fn scope(node: &Node, name: &str) -> Option<PgScope> {
    let atom = Atom::new(name)?;
    let mut scopes = node
        .inner
        .pg_scopes
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(shared) = scopes.get(&atom) {
        return Some(PgScope {
            node: node.clone(),
            shared: shared.clone(),
        });
    }
    let process = node.spawn_process();
    if !process.register(name) {
        return None;
    }
    let (commands, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        name: atom.clone(),
        pid: process.pid().clone(),
        groups: Mutex::new(Groups::default()),
        commands,
    });
    scopes.insert(atom, shared.clone());
    drop(scopes);
    tokio::spawn(run(node.clone(), process, shared.clone(), rx));
    Some(PgScope {
        node: node.clone(),
        shared,
    })
}

/// Why `join` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PgError {
    #[error("only processes of this node can join a group here (badarg), not {0:?}")]
    NotLocal(Pid),
    #[error("the pg scope process has stopped")]
    Stopped,
}

impl PgScope {
    /// The scope's name (`pg` for the default scope).
    pub fn name(&self) -> &str {
        self.shared.name.as_str()
    }

    /// The scope process's pid.
    pub fn pid(&self) -> &Pid {
        &self.shared.pid
    }

    /// `pg:join(Scope, Group, Pids)`: local pids only; joining twice counts twice.
    pub async fn join(&self, group: Term, pids: &[Pid]) -> Result<(), PgError> {
        if let Some(other) = pids.iter().find(|p| !self.node.inner.is_local(p)) {
            return Err(PgError::NotLocal(other.clone()));
        }
        let (tx, rx) = oneshot::channel();
        self.shared
            .commands
            .send(Command::Join(group, pids.to_vec(), tx))
            .map_err(|_| PgError::Stopped)?;
        rx.await.map_err(|_| PgError::Stopped)
    }

    /// `pg:leave(Scope, Group, Pids)`: `false` (not_joined) when none of them was a member.
    pub async fn leave(&self, group: Term, pids: &[Pid]) -> bool {
        let (tx, rx) = oneshot::channel();
        if self
            .shared
            .commands
            .send(Command::Leave(group, pids.to_vec(), tx))
            .is_err()
        {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// `pg:get_members(Scope, Group)`: members on every node of the scope.
    pub fn get_members(&self, group: &Term) -> Vec<Pid> {
        self.shared.groups().members(group)
    }

    /// `pg:get_local_members(Scope, Group)`.
    pub fn get_local_members(&self, group: &Term) -> Vec<Pid> {
        self.shared.groups().local_members(group)
    }

    /// `pg:which_groups(Scope)`.
    pub fn which_groups(&self) -> Vec<Term> {
        self.shared.groups().which_groups(false)
    }

    /// `pg:which_local_groups(Scope)` (OTP 26's name; the local half of `which_groups`).
    pub fn which_local_groups(&self) -> Vec<Term> {
        self.shared.groups().which_groups(true)
    }

    /// `pg:monitor_scope(Scope)`: the groups now, and from then on `{Ref, join, Group, Pids}` and
    /// `{Ref, leave, Group, Pids}` messages to `subscriber`, until it exits.
    pub async fn monitor_scope(
        &self,
        subscriber: &Process,
    ) -> Option<(Reference, HashMap<Term, Vec<Pid>>)> {
        let (tx, rx) = oneshot::channel();
        self.shared
            .commands
            .send(Command::Subscribe(subscriber.pid().clone(), tx))
            .ok()?;
        let reference = rx.await.ok()?;
        Some((reference, self.shared.groups().all()))
    }
}

/// The scope process.
struct Scope {
    node: Node,
    process: Process,
    shared: Arc<Shared>,
    subscribers: Vec<(Reference, Pid)>,
}

async fn run(
    node: Node,
    process: Process,
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    process.monitor_nodes(true, MonitorNodesOptions::plain());
    let me = process.pid().clone();
    for peer in node.nodes() {
        let discover = Term::tuple(vec![Term::atom("discover"), Term::Pid(me.clone())]);
        process
            .send_named(shared.name.as_str(), &peer, discover)
            .await;
    }
    let mut scope = Scope {
        node,
        process,
        shared,
        subscribers: Vec::new(),
    };
    loop {
        tokio::select! {
            message = scope.process.mailbox.recv() => match message {
                Some(message) => scope.handle_message(message).await,
                None => return,
            },
            command = commands.recv() => match command {
                Some(command) => scope.handle_command(command).await,
                None => return,
            },
        }
    }
}

fn two(items: &[Term]) -> Option<(&str, &Term)> {
    match items {
        [label, value] => Some((label.as_atom()?, value)),
        _ => None,
    }
}

impl Scope {
    fn me(&self) -> Term {
        Term::Pid(self.process.pid().clone())
    }

    async fn handle_message(&mut self, message: Term) {
        let Term::Tuple(items) = &message else {
            debug!(?message, "pg: unexpected message ignored");
            return;
        };
        match items.as_slice() {
            [label, Term::Pid(peer), ..]
                if label.as_atom() == Some("discover") && items.len() <= 3 =>
            {
                self.discover(peer.clone()).await
            }
            [label, Term::Tuple(cast)] if label.as_atom() == Some("$gen_cast") => {
                if let [sync, Term::Pid(peer), groups] = cast.as_slice() {
                    if sync.as_atom() == Some("sync") {
                        self.sync(peer.clone(), groups).await;
                    }
                }
            }
            [label, Term::Pid(peer), group, who] if label.as_atom() == Some("join") => {
                if let Some(pids) = pids_of(who) {
                    self.remote_join(peer, group, pids);
                }
            }
            [label, Term::Pid(peer), who, Term::List(groups)]
                if label.as_atom() == Some("leave") =>
            {
                if let Some(pids) = pids_of(who) {
                    self.remote_leave(peer, &pids, groups);
                }
            }
            [label, Term::Reference(r), _, Term::Pid(pid), _]
                if label.as_atom() == Some("DOWN") =>
            {
                self.down(r, pid).await
            }
            _ => match two(items) {
                Some(("nodeup", Term::Atom(node))) => {
                    let discover = Term::tuple(vec![Term::atom("discover"), self.me()]);
                    self.process
                        .send_named(self.shared.name.as_str(), node.as_str(), discover)
                        .await;
                }
                Some(("nodedown", _)) => {}
                _ => debug!(?message, "pg: unexpected message ignored"),
            },
        }
    }

    async fn discover(&mut self, peer: Pid) {
        let sync = Term::tuple(vec![
            Term::atom("$gen_cast"),
            Term::tuple(vec![
                Term::atom("sync"),
                self.me(),
                self.shared.groups().local_sync_list(),
            ]),
        ]);
        self.process.send(&peer, sync).await;
        if !self.shared.groups().remote.contains_key(&peer) {
            let mref = self.process.monitor(&Dest::Pid(peer.clone())).await;
            self.shared
                .groups()
                .remote
                .insert(peer.clone(), (mref, HashMap::new()));
            let discover = Term::tuple(vec![Term::atom("discover"), self.me()]);
            self.process.send(&peer, discover).await;
        }
    }

    async fn sync(&mut self, peer: Pid, groups: &Term) {
        let mut reported: HashMap<Term, Vec<Pid>> = HashMap::new();
        if let Term::List(entries) = groups {
            for entry in entries {
                if let Term::Tuple(pair) = entry {
                    if let [group, pids] = pair.as_slice() {
                        if let Some(pids) = pids_of(pids) {
                            reported.entry(group.clone()).or_default().extend(pids);
                        }
                    }
                }
            }
        }
        let known = self.shared.groups().remote.contains_key(&peer);
        if !known {
            let mref = self.process.monitor(&Dest::Pid(peer.clone())).await;
            self.shared
                .groups()
                .remote
                .insert(peer.clone(), (mref, HashMap::new()));
        }
        let old = {
            let mut groups = self.shared.groups();
            match groups.remote.get_mut(&peer) {
                Some((_, map)) => std::mem::replace(map, reported.clone()),
                None => return,
            }
        };
        for (group, pids) in &old {
            let mut gone = pids.clone();
            if let Some(now) = reported.get(group) {
                remove_each(&mut gone, now);
            }
            self.notify("leave", group, &gone).await;
        }
        for (group, pids) in &reported {
            let mut new = pids.clone();
            if let Some(before) = old.get(group) {
                remove_each(&mut new, before);
            }
            self.notify("join", group, &new).await;
        }
    }

    fn remote_join(&mut self, peer: &Pid, group: &Term, pids: Vec<Pid>) {
        {
            let mut groups = self.shared.groups();
            let Some((_, map)) = groups.remote.get_mut(peer) else {
                return; // A peer outside the overlay (or already gone): ignored, as pg does.
            };
            map.entry(group.clone())
                .or_default()
                .extend(pids.iter().cloned());
        }
        self.notify_later("join", group, pids);
    }

    fn remote_leave(&mut self, peer: &Pid, pids: &[Pid], groups_left: &[Term]) {
        {
            let mut groups = self.shared.groups();
            let Some((_, map)) = groups.remote.get_mut(peer) else {
                return;
            };
            for group in groups_left {
                if let Some(members) = map.get_mut(group) {
                    remove_each(members, pids);
                    if members.is_empty() {
                        map.remove(group);
                    }
                }
            }
        }
        for group in groups_left {
            self.notify_later("leave", group, pids.to_vec());
        }
    }

    async fn down(&mut self, reference: &Reference, pid: &Pid) {
        let local = {
            let mut groups = self.shared.groups();
            match groups.local.get(pid) {
                Some((Some(r), _)) if r == reference => groups.local.remove(pid),
                _ => None,
            }
        };
        if let Some((_, left)) = local {
            let message = Term::tuple(vec![
                Term::atom("leave"),
                self.me(),
                Term::Pid(pid.clone()),
                Term::list(left.clone()),
            ]);
            self.broadcast(message).await;
            for group in &left {
                self.notify("leave", group, std::slice::from_ref(pid)).await;
            }
            return;
        }
        let remote = {
            let mut groups = self.shared.groups();
            match groups.remote.get(pid) {
                Some((r, _)) if r == reference => groups.remote.remove(pid),
                _ => None,
            }
        };
        if let Some((_, map)) = remote {
            for (group, pids) in &map {
                self.notify("leave", group, pids).await;
            }
            return;
        }
        self.subscribers.retain(|(_, p)| p != pid);
    }

    async fn handle_command(&mut self, command: Command) {
        match command {
            Command::Join(group, pids, done) => {
                for pid in &pids {
                    let monitored = self
                        .shared
                        .groups()
                        .local
                        .get(pid)
                        .is_some_and(|(r, _)| r.is_some());
                    let mref = if monitored {
                        None
                    } else {
                        Some(self.process.monitor(&Dest::Pid(pid.clone())).await)
                    };
                    let mut groups = self.shared.groups();
                    let entry = groups
                        .local
                        .entry(pid.clone())
                        .or_insert((None, Vec::new()));
                    if mref.is_some() {
                        entry.0 = mref;
                    }
                    entry.1.push(group.clone());
                }
                let message = Term::tuple(vec![
                    Term::atom("join"),
                    self.me(),
                    group.clone(),
                    pid_or_pids(&pids),
                ]);
                self.broadcast(message).await;
                self.notify("join", &group, &pids).await;
                let _ = done.send(());
            }
            Command::Leave(group, pids, done) => {
                let mut left = Vec::new();
                let mut demonitor = Vec::new();
                {
                    let mut groups = self.shared.groups();
                    for pid in &pids {
                        if let Some((mref, joined)) = groups.local.get_mut(pid) {
                            if let Some(i) = joined.iter().position(|g| *g == group) {
                                joined.remove(i);
                                left.push(pid.clone());
                                if joined.is_empty() {
                                    if let Some(r) = mref.take() {
                                        demonitor.push(r);
                                    }
                                    groups.local.remove(pid);
                                }
                            }
                        }
                    }
                }
                for r in &demonitor {
                    self.process.demonitor_flush(r);
                }
                if !left.is_empty() {
                    let message = Term::tuple(vec![
                        Term::atom("leave"),
                        self.me(),
                        pid_or_pids(&left),
                        Term::list(vec![group.clone()]),
                    ]);
                    self.broadcast(message).await;
                    self.notify("leave", &group, &left).await;
                }
                let _ = done.send(!left.is_empty());
            }
            Command::Subscribe(subscriber, done) => {
                let reference = self.node.make_ref();
                self.process.monitor(&Dest::Pid(subscriber.clone())).await;
                self.subscribers.push((reference.clone(), subscriber));
                let _ = done.send(reference);
            }
        }
    }

    /// Sends `message` to every known peer scope.
    async fn broadcast(&self, message: Term) {
        let peers: Vec<Pid> = self.shared.groups().remote.keys().cloned().collect();
        for peer in peers {
            self.process.send(&peer, message.clone()).await;
        }
    }

    /// `{Ref, join|leave, Group, Pids}` to each `monitor_scope` subscriber.
    async fn notify(&self, what: &str, group: &Term, pids: &[Pid]) {
        if pids.is_empty() || self.subscribers.is_empty() {
            return;
        }
        for (reference, subscriber) in &self.subscribers {
            let message = Term::tuple(vec![
                Term::from(reference.clone()),
                Term::atom(what),
                group.clone(),
                Term::list(pids.iter().cloned().map(Term::Pid).collect()),
            ]);
            self.process.send(subscriber, message).await;
        }
    }

    /// `notify` for callers that are not async (subscribers are local: delivery never waits).
    fn notify_later(&self, what: &str, group: &Term, pids: Vec<Pid>) {
        if pids.is_empty() {
            return;
        }
        for (reference, subscriber) in &self.subscribers {
            let message = Term::tuple(vec![
                Term::from(reference.clone()),
                Term::atom(what),
                group.clone(),
                Term::list(pids.iter().cloned().map(Term::Pid).collect()),
            ]);
            self.node.inner.processes.deliver(subscriber.id, message);
        }
    }
}

/// A single pid, or a list, as pg's join and leave messages carry them.
fn pid_or_pids(pids: &[Pid]) -> Term {
    match pids {
        [one] => Term::Pid(one.clone()),
        many => Term::list(many.iter().cloned().map(Term::Pid).collect()),
    }
}
