//! `global_name_server` on the Rust node: the process peers' name servers, lockers and
//! registrars talk to. This file is its loop, its calls (register, unregister, set_lock,
//! del_lock, ...) and the upkeep of the name and lock tables (pid monitors). The connect
//! protocol is in `connect.rs`, overlapping-partition prevention in `partitions.rs`.
//! It must never wait on a peer: everything that could (resolving, connecting) runs elsewhere.

use super::lock_client::SERVER;
use super::locks::{Grant, GLOBAL_RESOURCE};
use super::names::Entry;
use super::Shared;
use crate::dest::Dest;
use crate::gen_server::GenCall;
use crate::net_kernel::MonitorNodesOptions;
use crate::node::Node;
use crate::process::Process;
use distproto::term::{Atom, Pid, Term};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tracing::{debug, warn};

/// global's protocol version (OTP 25).
pub(crate) const VSN: i64 = 8;

/// Where a sync session with one node is (OTP keeps these in the process dictionary).
#[derive(Default)]
pub(super) struct NodeSync {
    pub my_tag: Option<Term>,
    pub his_tag: Option<Term>,
    pub prot_vsn: Option<i64>,
    pub wait_lock: WaitLock,
    pub save_ops: SaveOps,
    pub pre_connect: Option<(i64, Term, Term)>,
    pub lock_id: Option<Term>,
}

#[derive(Default)]
pub(super) enum WaitLock {
    #[default]
    None,
    LockIsSet,
    Exchange(Term),
}

#[derive(Default)]
pub(super) enum SaveOps {
    #[default]
    None,
    Ops(Vec<Term>),
    Resolved {
        his_known: Term,
        his_resolved: Vec<Term>,
    },
}

/// Who asks to insert a name: a registrar pid (`register` call) or a node (`resolved`,
/// `new_nodes`) with the lock id it holds.
pub(super) enum InsertedBy {
    Pid(Pid),
    Node(Option<Term>),
}

pub(crate) struct Server {
    pub(super) node: Node,
    pub(super) process: Process,
    pub(super) shared: Arc<Shared>,
    pub(super) locker: Pid,
    pub(super) me: Atom,
    /// Nodes fully synced with us, and their protocol version.
    pub(super) known: HashMap<Atom, i64>,
    /// `{pending, Node}`: sync in progress.
    pub(super) pending: HashMap<Atom, i64>,
    /// `{removing, Node}`.
    pub(super) removing: HashSet<Atom>,
    pub(super) synced: Vec<Atom>,
    /// One per node we started a sync session with: `(Node, MyTag)`.
    pub(super) resolvers: Vec<(Atom, Term)>,
    pub(super) sessions: HashMap<Atom, NodeSync>,
    pub(super) global_lock_down: bool,
    /// `lost_connection` messages seen: `(NodeA, NodeB) -> (XCreation, OpId)`.
    pub(super) lost: HashMap<(Atom, Atom), (Term, Term)>,
}

fn label(items: &[Term]) -> Option<&str> {
    items.first().and_then(Term::as_atom)
}

impl Server {
    pub(crate) fn new(node: Node, process: Process, shared: Arc<Shared>, locker: Pid) -> Server {
        let me = process.pid().node.clone();
        Server {
            node,
            process,
            shared,
            locker,
            me,
            known: HashMap::new(),
            pending: HashMap::new(),
            removing: HashSet::new(),
            synced: Vec::new(),
            resolvers: Vec::new(),
            sessions: HashMap::new(),
            global_lock_down: false,
            lost: HashMap::new(),
        }
    }

    pub(crate) async fn run(mut self) {
        let hidden = self.node.inner.config.hidden;
        if !hidden {
            self.process
                .monitor_nodes(true, MonitorNodesOptions::plain());
            for peer in self.node.nodes() {
                if let Some(peer) = Atom::new(&peer) {
                    self.handle_nodeup(peer).await;
                }
            }
        }
        while let Some(message) = self.process.mailbox.recv().await {
            tracing::trace!(node = %self.me.as_str(), message = %distproto::text::write_term(&message), "global_name_server <-");
            match GenCall::take(message) {
                Ok((call, request)) => self.handle_call(call, request).await,
                Err(message) => self.handle_message(message).await,
            }
            self.publish();
        }
    }

    /// Copies what the API reads without asking the server.
    fn publish(&self) {
        let mut known: Vec<String> = self.known.keys().map(|a| a.as_str().to_string()).collect();
        known.sort();
        let synced: Vec<String> = self.synced.iter().map(|a| a.as_str().to_string()).collect();
        *self.shared.known.lock().unwrap_or_else(|p| p.into_inner()) = known;
        *self.shared.synced.lock().unwrap_or_else(|p| p.into_inner()) = synced;
    }

    async fn handle_message(&mut self, message: Term) {
        let Term::Tuple(items) = &message else {
            debug!(?message, "global_name_server: unexpected message ignored");
            return;
        };
        if label(items) == Some("$gen_cast") && items.len() == 2 {
            let request = items[1].clone();
            self.handle_cast(request).await;
            return;
        }
        match items.as_slice() {
            [l, Term::Atom(node)] if l.as_atom() == Some("nodeup") => {
                if *node != self.me && !self.node.inner.config.hidden {
                    self.handle_nodeup(node.clone()).await;
                }
            }
            [l, Term::Atom(node)]
                if l.as_atom() == Some("nodedown") || l.as_atom() == Some("extra_nodedown") =>
            {
                if *node != self.me {
                    self.handle_nodedown(node.clone(), super::partitions::NodeDown::Disconnected)
                        .await;
                }
            }
            [l, Term::Atom(a), x, op, Term::Atom(b)] if l.as_atom() == Some("lost_connection") => {
                self.lost_connection(message.clone(), a.clone(), x.clone(), op.clone(), b.clone())
                    .await
            }
            [l, Term::Atom(node)] if l.as_atom() == Some("remove_connection") => {
                self.remove_connection(node.clone()).await
            }
            [l, Term::Atom(node), tag] if l.as_atom() == Some("cancel_connect") => {
                self.cancel_connect(node.clone(), tag.clone()).await
            }
            [l, Term::Atom(node), his_my, his_his] if l.as_atom() == Some("init_connect_ack") => {
                self.init_connect_ack(node.clone(), his_my.clone(), his_his.clone())
                    .await
            }
            [l, Term::Reference(r), _, _, _] if l.as_atom() == Some("DOWN") => self.down(r),
            _ => debug!(?message, "global_name_server: unexpected message ignored"),
        }
    }

    async fn handle_call(&mut self, call: GenCall, request: Term) {
        let reply = match &request {
            Term::Tuple(items) => match items.as_slice() {
                [l, name, Term::Pid(pid), method] if l.as_atom() == Some("register") => {
                    self.ins_name(
                        name.clone(),
                        pid.clone(),
                        method.clone(),
                        InsertedBy::Pid(call.from.clone()),
                    )
                    .await;
                    Some(Term::atom("yes"))
                }
                [l, name, Term::Pid(pid), method, _reg_node]
                    if l.as_atom() == Some("register_ext") =>
                {
                    self.ins_name(
                        name.clone(),
                        pid.clone(),
                        method.clone(),
                        InsertedBy::Pid(call.from.clone()),
                    )
                    .await;
                    Some(Term::atom("yes"))
                }
                [l, name] if l.as_atom() == Some("unregister") => {
                    self.delete_name(name);
                    Some(Term::atom("ok"))
                }
                [l, Term::Tuple(id)] if l.as_atom() == Some("set_lock") && id.len() == 2 => {
                    let granted = self.set_lock(&id[0], &id[1], &call.from).await;
                    Some(Term::atom(if granted { "true" } else { "false" }))
                }
                [l, Term::Tuple(id)] if l.as_atom() == Some("del_lock") && id.len() == 2 => {
                    self.del_lock(&id[0], &id[1], &call.from);
                    Some(Term::atom("true"))
                }
                [l, Term::List(nodes)] if l.as_atom() == Some("sync") => {
                    let nodes: Vec<String> = nodes
                        .iter()
                        .filter_map(|n| n.as_atom().map(str::to_string))
                        .collect();
                    let global = super::Global::from_shared(self.node.clone(), self.shared.clone());
                    let (node, me, caller) =
                        (self.node.clone(), self.process.pid().clone(), call.clone());
                    tokio::spawn(async move {
                        global.sync_nodes(&nodes).await;
                        caller.reply(&node, &me, Term::atom("ok")).await;
                    });
                    None
                }
                _ => None,
            },
            Term::Atom(a) => match a.as_str() {
                "get_known" => Some(Term::list(
                    self.known.keys().map(|n| Term::Atom(n.clone())).collect(),
                )),
                "get_synced" => Some(Term::list(
                    self.synced.iter().map(|n| Term::Atom(n.clone())).collect(),
                )),
                "get_protocol_version" => Some(Term::Integer(VSN)),
                "get_names_ext" => Some(Term::nil()),
                "info" => Some(Term::tuple(vec![Term::atom("state"), Term::atom("rust")])),
                _ => None,
            },
            _ => None,
        };
        match reply {
            Some(reply) => call.reply(&self.node, self.process.pid(), reply).await,
            None if matches!(&request, Term::Tuple(i) if label(i) == Some("sync")) => {}
            None => warn!(?request, "global_name_server: unexpected call ignored"),
        }
    }

    /// `handle_set_lock/3` with OTP's grant rule; new holders are monitored.
    async fn set_lock(&mut self, resource: &Term, requester: &Term, pid: &Pid) -> bool {
        let grant = self.shared.locks().check(resource, requester, pid);
        match grant {
            Grant::Refused => false,
            Grant::AlreadyHolder => true,
            Grant::New => {
                let monitor = self.process.monitor(&Dest::Pid(pid.clone())).await;
                let inserted = self.shared.locks().insert(
                    resource.clone(),
                    requester.clone(),
                    pid.clone(),
                    monitor.clone(),
                );
                if !inserted {
                    self.process.demonitor(&monitor);
                }
                inserted
            }
        }
    }

    /// `handle_del_lock/3`: only the caller's own hold goes.
    fn del_lock(&mut self, resource: &Term, requester: &Term, pid: &Pid) {
        let removed = self.shared.locks().remove_holder(resource, requester, pid);
        if let Some(monitor) = removed {
            self.process.demonitor(&monitor);
            if resource.as_atom() == Some(GLOBAL_RESOURCE) {
                self.global_lock_down = false;
            }
        }
    }

    /// A monitored lock holder or name owner is gone.
    fn down(&mut self, reference: &distproto::term::Reference) {
        let freed = self.shared.locks().remove_monitor(reference);
        if freed.iter().any(|r| r.as_atom() == Some(GLOBAL_RESOURCE))
            && !self.shared.locks().is_set(&Term::atom(GLOBAL_RESOURCE))
        {
            self.global_lock_down = true;
        }
        let name = self.shared.names().name_of_monitor(reference);
        if let Some(name) = name {
            self.shared.names().remove(&name);
        }
    }

    /// `ins_name/6`: replaces any entry, monitors the pid, and takes the name out again when the
    /// lock it was registered under is gone (`lock_still_set/3`).
    pub(super) async fn ins_name(&mut self, name: Term, pid: Pid, method: Term, by: InsertedBy) {
        let old = self.shared.names().remove(&name);
        if let Some(old) = old {
            self.process.demonitor(&old.monitor);
        }
        let monitor = self.process.monitor(&Dest::Pid(pid.clone())).await;
        self.shared.names().insert(
            name.clone(),
            Entry {
                pid,
                method,
                monitor,
            },
        );
        let still_set = {
            let locks = self.shared.locks();
            match by {
                InsertedBy::Pid(from) => locks
                    .global_held_by(&from)
                    .unwrap_or(!self.global_lock_down),
                InsertedBy::Node(lock) => match locks.global_requester() {
                    Some(requester) => match lock.as_ref() {
                        Some(Term::Tuple(id)) if id.len() == 2 => id[1] == *requester,
                        _ => true,
                    },
                    None => !self.global_lock_down,
                },
            }
        };
        if !still_set {
            self.delete_name(&name);
        }
    }

    /// `delete_global_name2/2`.
    pub(super) fn delete_name(&mut self, name: &Term) {
        let old = self.shared.names().remove(name);
        if let Some(old) = old {
            self.process.demonitor(&old.monitor);
        }
    }

    /// `do_ops/5`: inserts and deletes decided by a sync.
    pub(super) async fn do_ops(&mut self, ops: &[Term], lock: Option<Term>) {
        for op in ops {
            let Term::Tuple(items) = op else { continue };
            match items.as_slice() {
                [l, Term::Tuple(entry)] if l.as_atom() == Some("insert") => {
                    if let [name, Term::Pid(pid), method] = entry.as_slice() {
                        self.ins_name(
                            name.clone(),
                            pid.clone(),
                            method.clone(),
                            InsertedBy::Node(lock.clone()),
                        )
                        .await;
                    }
                }
                [l, name] if l.as_atom() == Some("delete") => self.delete_name(name),
                _ => {}
            }
        }
    }

    /// `gen_server:cast({global_name_server, Node}, Message)`: at once when connected, else
    /// from a helper task that sets the connection up (the server never waits for a dial).
    pub(super) async fn cast(&self, node: &Atom, message: Term) {
        let cast = Term::tuple(vec![Term::atom("$gen_cast"), message]);
        if *node == self.me || self.node.inner.peers.get(node.as_str()).is_some() {
            self.process.send_named(SERVER, node.as_str(), cast).await;
        } else {
            let (n, from, to) = (self.node.clone(), self.process.pid().clone(), node.clone());
            tokio::spawn(async move { n.send_named(&from, SERVER, to.as_str(), cast).await });
        }
    }

    /// `gns_volatile_send/2`: a plain message, only over an existing connection.
    pub(super) async fn volatile_send(&self, node: &Atom, message: Term) {
        if self.node.inner.peers.get(node.as_str()).is_some() {
            self.process
                .send_named(SERVER, node.as_str(), message)
                .await;
        }
    }

    /// Sends to our own locker.
    pub(super) async fn to_locker(&self, message: Term) {
        self.process.send(&self.locker.clone(), message).await;
    }
}
