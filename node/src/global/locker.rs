//! The locker: global's satellite process that, for each node wanting to sync with us, takes the
//! `global` lock on both partitions (boss first, then us and the peer, then everyone we know),
//! tells the name server when it holds it, and keeps it until the server says the exchange is
//! done (`cancel`). Its pid travels in `init_connect`; peers' lockers answer through the server.
//! It must never hold the lock without a peer that holds it too, or registrations stall
//! everywhere (trap 12.4.1).

use super::lock_client::{del_lock, lock_id, random_u64, set_lock_on_nodes, the_boss, SERVER};
use super::locks::GLOBAL_RESOURCE;
use super::Shared;
use crate::process::Process;
use distproto::term::{Pid, Term};
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;

/// A node that asked to sync (`#him{}`).
#[derive(Debug, Clone)]
struct Him {
    node: String,
    locker: Pid,
    my_tag: Term,
    his_tag: Term,
}

pub(crate) struct Locker {
    process: Process,
    shared: Arc<Shared>,
    me: String,
    known: Vec<String>,
    others: Vec<Him>,
    just_synced: bool,
}

/// What a message in the locker's mailbox is.
enum Msg {
    HisTheLocker(Him),
    Cancel { node: String, tag: Term, fun: Term },
    LockSet { pid: Pid, set: bool, tag: Term },
    AddToKnown(Vec<String>),
    RemoveFromKnown(String),
}

fn parse(message: &Term) -> Option<Msg> {
    let Term::Tuple(items) = message else {
        return None;
    };
    match items.as_slice() {
        [label, Term::Pid(locker), _vsn, his_tag, my_tag]
            if label.as_atom() == Some("his_the_locker") =>
        {
            Some(Msg::HisTheLocker(Him {
                node: locker.node.as_str().to_string(),
                locker: locker.clone(),
                my_tag: my_tag.clone(),
                his_tag: his_tag.clone(),
            }))
        }
        [label, Term::Atom(node), tag, fun] if label.as_atom() == Some("cancel") => {
            Some(Msg::Cancel {
                node: node.as_str().to_string(),
                tag: tag.clone(),
                fun: fun.clone(),
            })
        }
        [label, Term::Pid(pid), set, _known, tag] if label.as_atom() == Some("lock_set") => {
            Some(Msg::LockSet {
                pid: pid.clone(),
                set: set.as_atom() == Some("true"),
                tag: tag.clone(),
            })
        }
        [label, Term::Pid(pid), set, _known] if label.as_atom() == Some("lock_set") => {
            Some(Msg::LockSet {
                pid: pid.clone(),
                set: set.as_atom() == Some("true"),
                tag: Term::atom("undefined"),
            })
        }
        [label, Term::List(nodes)] if label.as_atom() == Some("add_to_known") => {
            Some(Msg::AddToKnown(
                nodes
                    .iter()
                    .filter_map(|n| n.as_atom().map(str::to_string))
                    .collect(),
            ))
        }
        [label, Term::Atom(node)] if label.as_atom() == Some("remove_from_known") => {
            Some(Msg::RemoveFromKnown(node.as_str().to_string()))
        }
        _ => None,
    }
}

impl Locker {
    pub(crate) fn new(process: Process, shared: Arc<Shared>) -> Locker {
        let me = process.node().name().to_string();
        Locker {
            process,
            shared,
            me,
            known: Vec::new(),
            others: Vec::new(),
            just_synced: false,
        }
    }

    pub(crate) async fn run(mut self) {
        loop {
            let message = match self.process.mailbox.recv_timeout(Duration::ZERO).await {
                Some(m) => Some(m),
                None => {
                    let timeout = if self.others.is_empty() {
                        None
                    } else if self.just_synced {
                        Some(Duration::ZERO)
                    } else if self.known.is_empty() {
                        Some(Duration::from_millis(200))
                    } else {
                        Some(Duration::from_millis(
                            (1000 + 100 * self.known.len() as u64).min(3000),
                        ))
                    };
                    self.just_synced = false;
                    match timeout {
                        None => match self.process.mailbox.recv().await {
                            Some(m) => Some(m),
                            None => return,
                        },
                        Some(t) => self.process.mailbox.recv_timeout(t).await,
                    }
                }
            };
            match message {
                Some(m) => self.handle(m).await,
                None => {
                    let global_set = self.shared.locks().is_set(&Term::atom(GLOBAL_RESOURCE));
                    if !global_set {
                        self.select_node().await;
                    }
                }
            }
        }
    }

    async fn handle(&mut self, message: Term) {
        tracing::trace!(node = %self.me, message = %distproto::text::write_term(&message), "global locker <-");
        match parse(&message) {
            Some(Msg::HisTheLocker(him)) => self.others.insert(0, him),
            Some(Msg::Cancel { node, tag, .. }) => {
                if tag.as_atom() != Some("undefined") {
                    self.remove_node(&node, &tag);
                }
            }
            Some(Msg::LockSet {
                pid,
                set: true,
                tag,
            }) => self.spontaneous_lock_set(pid, tag).await,
            Some(Msg::LockSet { set: false, .. }) => {}
            Some(Msg::AddToKnown(nodes)) => self.add_known(nodes),
            Some(Msg::RemoveFromKnown(node)) => self.remove_known(&node),
            None => debug!(?message, "global locker: unexpected message ignored"),
        }
    }

    fn add_known(&mut self, nodes: Vec<String>) {
        let mut nodes = nodes;
        nodes.append(&mut self.known);
        self.known = nodes;
    }

    fn remove_known(&mut self, node: &str) {
        if let Some(i) = self.known.iter().position(|n| n == node) {
            self.known.remove(i);
        }
    }

    fn boss(&self) -> String {
        let mut all = self.known.clone();
        all.push(self.me.clone());
        the_boss(&all).unwrap_or_else(|| self.me.clone())
    }

    fn remove_node(&mut self, node: &str, tag: &Term) {
        if let Some(i) = self
            .others
            .iter()
            .position(|h| h.node == node && h.my_tag == *tag)
        {
            self.others.remove(i);
        }
    }

    /// `update_locker_known/1`: applies add/remove messages already waiting.
    fn update_known(&mut self) {
        while let Some(m) = self.process.mailbox.take_first(|m| match parse(m) {
            Some(Msg::AddToKnown(n)) => Some(Msg::AddToKnown(n)),
            Some(Msg::RemoveFromKnown(n)) => Some(Msg::RemoveFromKnown(n)),
            _ => None,
        }) {
            match m {
                Msg::AddToKnown(nodes) => self.add_known(nodes),
                Msg::RemoveFromKnown(node) => self.remove_known(&node),
                _ => {}
            }
        }
    }

    /// `{global, lists:sort([self(), HisLocker])}`'s requester part.
    fn requester(&self, his_locker: &Pid) -> Term {
        let mut pair = vec![
            Term::Pid(self.process.pid().clone()),
            Term::Pid(his_locker.clone()),
        ];
        pair.sort_by(|a, b| a.erlang_cmp(b));
        Term::list(pair)
    }

    /// `lock_nodes_safely/3`: the boss, then us and `extra`, then every known node.
    async fn lock_nodes_safely(&mut self, requester: &Term, extra: &[String]) -> bool {
        let global = Term::atom(GLOBAL_RESOURCE);
        let first = vec![self.boss()];
        let may = first == [self.me.clone()] || self.shared.locks().can_set(&global, requester);
        if !may {
            return false;
        }
        if !set_lock_on_nodes(&mut self.process, &self.shared, &global, requester, &first).await {
            return false;
        }
        self.update_known();
        let mut second: Vec<String> = vec![self.me.clone()];
        second.extend(extra.iter().cloned());
        second.retain(|n| !first.contains(n));
        if !set_lock_on_nodes(&mut self.process, &self.shared, &global, requester, &second).await {
            del_lock(&mut self.process, &global, requester, &first).await;
            return false;
        }
        let rest: Vec<String> = self
            .known
            .iter()
            .filter(|n| !first.contains(n))
            .cloned()
            .collect();
        if !set_lock_on_nodes(&mut self.process, &self.shared, &global, requester, &rest).await {
            let mut so_far = first.clone();
            so_far.extend(second);
            del_lock(&mut self.process, &global, requester, &so_far).await;
            return false;
        }
        true
    }

    /// `{lock_set, self(), IsLockSet, Known, HisTag}` to the peer's name server.
    async fn send_lock_set(&self, set: bool, his_locker: &Pid, his_tag: Term) {
        let known = Term::list(self.known.iter().map(|n| Term::atom(n)).collect());
        let message = Term::tuple(vec![
            Term::atom("lock_set"),
            Term::Pid(self.process.pid().clone()),
            Term::atom(if set { "true" } else { "false" }),
            known,
            his_tag,
        ]);
        cast(&self.process, his_locker.node.as_str(), message).await;
    }

    async fn select_node(&mut self) {
        let known = self.known.clone();
        self.others.retain(|h| !known.contains(&h.node));
        if self.others.is_empty() {
            return;
        }
        let him = self.others[(random_u64() % self.others.len() as u64) as usize].clone();
        let requester = self.requester(&him.locker);
        let his_node = vec![him.node.clone()];
        let ok = self.lock_nodes_safely(&requester, &his_node).await;
        tracing::debug!(node = %self.me, peer = %him.node, known = ?self.known, locked = ok, "global locker: lock for a sync");
        if !ok {
            return;
        }
        let mut known1 = vec![self.me.clone(), him.node.clone()];
        known1.extend(self.known.iter().cloned());
        self.send_lock_set(true, &him.locker, him.his_tag.clone())
            .await;
        self.lock_is_set(him, known1, requester).await;
    }

    /// Waiting for the peer's `lock_set` after we locked our side (`lock_is_set/5`).
    async fn lock_is_set(&mut self, him: Him, known1: Vec<String>, requester: Term) {
        enum Next {
            True,
            False,
            Stale,
            Cancel(Term),
        }
        loop {
            let node = him.node.clone();
            let my_tag = him.my_tag.clone();
            let next = self
                .process
                .mailbox
                .recv_match(None, |m| match parse(m) {
                    Some(Msg::LockSet { pid, set, tag }) if pid.node.as_str() == node => {
                        let current = tag == my_tag || tag.as_atom() == Some("undefined");
                        Some(match (set, current) {
                            (_, false) => Next::Stale,
                            (true, true) => Next::True,
                            (false, true) => Next::False,
                        })
                    }
                    Some(Msg::Cancel { node: n, tag, fun }) if n == node && tag == my_tag => {
                        Some(Next::Cancel(fun))
                    }
                    _ => None,
                })
                .await;
            match next {
                None => return,
                Some(Next::Stale) => continue,
                Some(Next::False) => {
                    self.delete_global_lock(&requester, &known1).await;
                    return;
                }
                Some(Next::Cancel(fun)) => {
                    self.call_fun(&fun).await;
                    self.delete_global_lock(&requester, &known1).await;
                    self.remove_node(&him.node, &him.my_tag);
                    return;
                }
                Some(Next::True) => {
                    self.tell_lock_is_set(&him.node, &him.my_tag, &requester)
                        .await;
                    self.wait_cancel_lock(&him.node, &requester, &him.my_tag, &known1)
                        .await;
                    self.just_synced = true;
                    self.others
                        .retain(|h| !(h.node == him.node && h.my_tag == him.my_tag));
                    return;
                }
            }
        }
    }

    /// A peer's locker locked its side first and asks us to lock ours with the same id.
    async fn spontaneous_lock_set(&mut self, pid: Pid, tag: Term) {
        let node = pid.node.as_str().to_string();
        let found = self
            .others
            .iter()
            .find(|h| h.node == node && (h.my_tag == tag || tag.as_atom() == Some("undefined")))
            .cloned();
        let Some(him) = found else {
            self.send_lock_set(false, &pid, Term::Integer(0)).await;
            return;
        };
        let requester = self.requester(&pid);
        let set = self.lock_nodes_safely(&requester, &[]).await;
        self.send_lock_set(set, &pid, him.his_tag.clone()).await;
        if !set {
            self.just_synced = false;
            return;
        }
        let mut known2 = vec![self.me.clone()];
        known2.extend(self.known.iter().cloned());
        self.tell_lock_is_set(&node, &him.my_tag, &requester).await;
        self.wait_cancel_lock(&node, &requester, &him.my_tag, &known2)
            .await;
        self.just_synced = true;
        self.remove_node(&node, &him.my_tag);
    }

    async fn tell_lock_is_set(&self, node: &str, my_tag: &Term, requester: &Term) {
        let message = Term::tuple(vec![
            Term::atom("lock_is_set"),
            Term::atom(node),
            my_tag.clone(),
            lock_id(&Term::atom(GLOBAL_RESOURCE), requester),
        ]);
        let cast = Term::tuple(vec![Term::atom("$gen_cast"), message]);
        self.process.send(&self.shared.server, cast).await;
    }

    /// Holds the lock until the name server cancels (the exchange with `node` is over).
    async fn wait_cancel_lock(
        &mut self,
        node: &str,
        requester: &Term,
        my_tag: &Term,
        known: &[String],
    ) {
        let fun = self
            .process
            .mailbox
            .recv_match(None, |m| match parse(m) {
                Some(Msg::Cancel { node: n, tag, fun }) if n == node && tag == *my_tag => Some(fun),
                _ => None,
            })
            .await;
        if let Some(fun) = fun {
            self.call_fun(&fun).await;
        }
        self.delete_global_lock(requester, known).await;
    }

    /// The name server's `NewNodesF`: `{new_nodes, Msg, Nodes}` casts Msg to each node first.
    async fn call_fun(&self, fun: &Term) {
        let Term::Tuple(items) = fun else { return };
        if let [label, message, Term::List(nodes)] = items.as_slice() {
            if label.as_atom() == Some("new_nodes") {
                for node in nodes.iter().filter_map(Term::as_atom) {
                    cast(&self.process, node, message.clone()).await;
                }
            }
        }
    }

    /// `delete_global_lock/2`: everyone but the boss, then the boss.
    async fn delete_global_lock(&mut self, requester: &Term, nodes: &[String]) {
        let global = Term::atom(GLOBAL_RESOURCE);
        let Some(boss) = the_boss(nodes) else { return };
        let others: Vec<String> = nodes.iter().filter(|n| **n != boss).cloned().collect();
        del_lock(&mut self.process, &global, requester, &others).await;
        del_lock(&mut self.process, &global, requester, &[boss]).await;
    }
}

/// `gen_server:cast({global_name_server, Node}, Message)`.
pub(crate) async fn cast(process: &Process, node: &str, message: Term) {
    let cast = Term::tuple(vec![Term::atom("$gen_cast"), message]);
    process.send_named(SERVER, node, cast).await;
}
