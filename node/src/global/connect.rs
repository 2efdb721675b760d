//! global's connect protocol (vsn 8) on the name server: `init_connect` and its ack on nodeup,
//! the locker's `lock_is_set`, the `exchange` of whole name tables, the resolver's
//! `exchange_ops`, `resolved`, `new_nodes` and `in_sync`, and `cancel_connect` restarts. It
//! follows `global.erl`'s handlers one for one, with the same tag checks.

use super::resolve::exchange_names;
use super::server::{SaveOps, Server, WaitLock, VSN};
use distproto::term::{Atom, Term};
use std::sync::atomic::{AtomicI64, Ordering};

/// `erlang:unique_integer([monotonic])` for sync tags and lost_connection op ids.
pub(super) fn unique_integer() -> i64 {
    static NEXT: AtomicI64 = AtomicI64::new(-576_460_752_303_423_488);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Dials `sync_other` makes before reporting `extra_nodedown`.
const CONNECT_ATTEMPTS: u32 = 4;

fn undefined() -> Term {
    Term::atom("undefined")
}

impl Server {
    fn session(&mut self, node: &Atom) -> &mut super::server::NodeSync {
        self.sessions.entry(node.clone()).or_default()
    }

    pub(super) fn my_tag(&self, node: &Atom) -> Term {
        self.sessions
            .get(node)
            .and_then(|s| s.my_tag.clone())
            .unwrap_or_else(undefined)
    }

    fn his_tag(&self, node: &Atom) -> Term {
        self.sessions
            .get(node)
            .and_then(|s| s.his_tag.clone())
            .unwrap_or_else(undefined)
    }

    /// `reset_node_state/1`.
    pub(super) fn reset_node_state(&mut self, node: &Atom) {
        self.sessions.remove(node);
    }

    /// `handle_nodeup/2`: a new visible node; introduce ourselves.
    pub(super) async fn handle_nodeup(&mut self, node: Atom) {
        if self.known.contains_key(&node) || self.resolvers.iter().any(|(n, _)| *n == node) {
            return;
        }
        // An init_connect that came before our nodeup is replayed now.
        if let Some((vsn, init_msg, his_tag)) = self.session(&node).pre_connect.take() {
            let replay = Term::tuple(vec![
                Term::atom("$gen_cast"),
                Term::tuple(vec![
                    Term::atom("init_connect"),
                    Term::tuple(vec![Term::Integer(vsn), his_tag]),
                    Term::Atom(node.clone()),
                    init_msg,
                ]),
            ]);
            self.node
                .inner
                .processes
                .deliver(self.process.pid().id, replay);
        }
        let my_tag = Term::Integer(unique_integer());
        self.session(&node).my_tag = Some(my_tag.clone());
        let init = Term::tuple(vec![
            Term::atom("init_connect"),
            Term::tuple(vec![Term::Integer(VSN), my_tag.clone()]),
            Term::Atom(self.me.clone()),
            Term::tuple(vec![
                Term::atom("locker"),
                Term::atom("no_longer_a_pid"),
                Term::Map(distproto::term::Map::new()),
                Term::Pid(self.locker.clone()),
            ]),
        ]);
        self.cast(&node, init).await;
        self.resolvers.push((node, my_tag));
    }

    pub(super) async fn handle_cast(&mut self, request: Term) {
        let Term::Tuple(items) = &request else {
            return;
        };
        let l = items.first().and_then(Term::as_atom).unwrap_or("");
        match (l, items.as_slice()) {
            ("init_connect", [_, vsn, Term::Atom(node), init_msg]) => {
                self.init_connect(vsn, node.clone(), init_msg.clone()).await
            }
            ("lock_is_set", [_, Term::Atom(node), my_tag, lock_id]) => {
                if self.my_tag(node) == *my_tag {
                    self.lock_is_set(node.clone(), lock_id.clone()).await;
                } else {
                    self.cancel_locker(node, my_tag.clone(), Term::atom("no_fun"))
                        .await;
                }
            }
            ("exchange", [_, Term::Atom(node), names, _ext, my_tag]) => {
                if self.my_tag(node) == *my_tag {
                    self.exchange(node.clone(), names.clone());
                } else {
                    self.cancel_locker(node, my_tag.clone(), Term::atom("no_fun"))
                        .await;
                }
            }
            (
                "exchange_ops",
                [_, Term::Atom(node), my_tag, Term::List(ops), Term::List(resolved)],
            ) => {
                if self.my_tag(node) == *my_tag {
                    self.exchange_ops(node.clone(), ops.clone(), resolved.clone())
                        .await;
                } else {
                    self.cancel_locker(node, my_tag.clone(), Term::atom("no_fun"))
                        .await;
                }
            }
            ("resolved", [_, Term::Atom(node), his_resolved, his_known, _unused, _ext, my_tag]) => {
                if self.my_tag(node) == *my_tag {
                    let his_resolved = match his_resolved {
                        Term::List(items) => items.clone(),
                        _ => Vec::new(),
                    };
                    let node = node.clone();
                    let session = self.session(&node);
                    match std::mem::take(&mut session.save_ops) {
                        SaveOps::Ops(ops) => {
                            session.save_ops = SaveOps::Ops(ops);
                            self.resolved(node, his_resolved, his_known.clone()).await;
                        }
                        _ => {
                            session.save_ops = SaveOps::Resolved {
                                his_known: his_known.clone(),
                                his_resolved,
                            };
                        }
                    }
                } else {
                    self.cancel_locker(node, my_tag.clone(), Term::atom("no_fun"))
                        .await;
                }
            }
            (
                "new_nodes",
                [_, Term::Atom(_from), Term::List(ops), _ext, Term::List(nodes), extra],
            ) => {
                let added = self.add_to_known(nodes);
                self.sync_others(&added);
                self.do_ops(ops, lock_of(extra)).await;
                self.locker_add_to_known(&added).await;
            }
            ("in_sync", [_, Term::Atom(node), _]) => {
                if !self.synced.contains(node) {
                    self.synced.push(node.clone());
                }
                self.pending.remove(node);
                let tag = self.my_tag(node);
                self.cancel_locker(node, tag, Term::atom("no_fun")).await;
                self.reset_node_state(node);
            }
            ("lock_set", [_, Term::Pid(pid), _set, _known, my_tag]) => {
                let node = pid.node.clone();
                if self.my_tag(&node) == *my_tag {
                    self.to_locker(request.clone()).await;
                }
            }
            ("lock_set", [_, Term::Pid(_), _set, _known]) => self.to_locker(request.clone()).await,
            ("async_del_name", _) | ("async_del_lock", _) => {}
            _ => tracing::warn!(?request, "global_name_server: unexpected cast ignored"),
        }
    }

    /// `init_connect/6`.
    async fn init_connect(&mut self, vsn: &Term, node: Atom, init_msg: Term) {
        let (his_vsn, his_tag) = match vsn {
            Term::Tuple(items) if items.len() >= 2 => match &items[0] {
                Term::Integer(v) => (*v, items[1].clone()),
                _ => return,
            },
            _ => return,
        };
        let vsn = his_vsn.min(VSN);
        if self.pending.contains_key(&node) {
            if his_vsn < VSN {
                self.node.disconnect_node(node.as_str());
                return;
            }
            self.send_cancel_connect_message(&node, his_tag.clone())
                .await;
            let old = self.my_tag(&node);
            self.restart_connect(node.clone(), old).await;
        }
        self.session(&node).prot_vsn = Some(vsn);
        self.session(&node).his_tag = Some(his_tag.clone());
        let resolver = self
            .resolvers
            .iter()
            .find(|(n, _)| *n == node)
            .map(|(_, t)| t.clone());
        match resolver {
            Some(my_tag) => {
                let his_locker = match &init_msg {
                    Term::Tuple(items) if items.len() == 4 => items[3].clone(),
                    _ => return,
                };
                let message = Term::tuple(vec![
                    Term::atom("his_the_locker"),
                    his_locker,
                    Term::tuple(vec![Term::Integer(vsn), Term::nil()]),
                    his_tag.clone(),
                    my_tag.clone(),
                ]);
                self.to_locker(message).await;
                let ack = Term::tuple(vec![
                    Term::atom("init_connect_ack"),
                    Term::Atom(self.me.clone()),
                    his_tag,
                    my_tag,
                ]);
                self.volatile_send(&node, ack).await;
                self.pending.insert(node, his_vsn);
            }
            None => self.session(&node).pre_connect = Some((vsn, init_msg, his_tag)),
        }
    }

    /// `restart_connect/3`.
    pub(super) async fn restart_connect(&mut self, node: Atom, my_tag: Term) {
        self.cancel_locker(&node, my_tag.clone(), Term::atom("no_fun"))
            .await;
        self.reset_node_state(&node);
        self.pending.remove(&node);
        if matches!(my_tag, Term::Integer(_)) {
            self.handle_nodeup(node).await;
        }
    }

    pub(super) async fn cancel_connect(&mut self, node: Atom, tag: Term) {
        if self.my_tag(&node) == tag {
            self.cancel_locker(&node, tag.clone(), Term::atom("no_fun"))
                .await;
            self.reset_node_state(&node);
            self.pending.remove(&node);
            self.restart_connect(node, tag).await;
        }
    }

    pub(super) async fn init_connect_ack(&mut self, node: Atom, his_my: Term, his_his: Term) {
        let my = self.my_tag(&node);
        if my == his_my && self.his_tag(&node) == his_his {
            return;
        }
        self.send_cancel_connect_message(&node, his_his).await;
        self.restart_connect(node, my).await;
    }

    /// `cancel_locker/4`: tells the locker, cancels a pending connect, drops the resolver.
    pub(super) async fn cancel_locker(&mut self, node: &Atom, tag: Term, fun: Term) {
        let message = Term::tuple(vec![
            Term::atom("cancel"),
            Term::Atom(node.clone()),
            tag.clone(),
            fun,
        ]);
        self.to_locker(message).await;
        if self.pending.contains_key(node) && self.my_tag(node) == tag {
            let his = self.his_tag(node);
            self.send_cancel_connect_message(node, his).await;
        }
        self.resolvers.retain(|(n, t)| !(n == node && *t == tag));
    }

    pub(super) async fn send_cancel_connect_message(&self, node: &Atom, his_tag: Term) {
        let message = Term::tuple(vec![
            Term::atom("cancel_connect"),
            Term::Atom(self.me.clone()),
            his_tag,
        ]);
        self.volatile_send(node, message).await;
    }

    /// Our locker holds the lock on both partitions: send our names.
    async fn lock_is_set(&mut self, node: Atom, lock_id: Term) {
        let names = self.shared.names().exchange_list();
        let his = self.his_tag(&node);
        let exchange = Term::tuple(vec![
            Term::atom("exchange"),
            Term::Atom(self.me.clone()),
            names,
            Term::nil(),
            his,
        ]);
        self.cast(&node, exchange).await;
        let session = self.session(&node);
        session.lock_id = Some(lock_id);
        match std::mem::take(&mut session.wait_lock) {
            WaitLock::Exchange(list) => {
                session.wait_lock = WaitLock::LockIsSet;
                self.exchange(node, list);
            }
            _ => session.wait_lock = WaitLock::LockIsSet,
        }
    }

    /// `exchange/3`: resolve once both the lock and the peer's names are here.
    fn exchange(&mut self, node: Atom, names: Term) {
        let session = self.session(&node);
        match std::mem::take(&mut session.wait_lock) {
            WaitLock::LockIsSet => {
                let tag = self
                    .resolvers
                    .iter()
                    .find(|(n, _)| *n == node)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_else(|| self.my_tag(&node));
                let (n, shared, server) = (
                    self.node.clone(),
                    self.shared.clone(),
                    self.process.pid().id,
                );
                tokio::spawn(async move {
                    let (ops, resolved) = exchange_names(&n, &shared, node.as_str(), &names).await;
                    let message = Term::tuple(vec![
                        Term::atom("$gen_cast"),
                        Term::tuple(vec![
                            Term::atom("exchange_ops"),
                            Term::Atom(node),
                            tag,
                            Term::list(ops),
                            Term::list(resolved),
                        ]),
                    ]);
                    n.inner.processes.deliver(server, message);
                });
            }
            _ => session.wait_lock = WaitLock::Exchange(names),
        }
    }

    fn known_list(&self) -> Term {
        Term::list(
            self.known
                .iter()
                .map(|(n, v)| Term::tuple(vec![Term::Atom(n.clone()), Term::Integer(*v)]))
                .collect(),
        )
    }

    async fn exchange_ops(&mut self, node: Atom, ops: Vec<Term>, resolved: Vec<Term>) {
        let his = self.his_tag(&node);
        let message = Term::tuple(vec![
            Term::atom("resolved"),
            Term::Atom(self.me.clone()),
            Term::list(resolved),
            self.known_list(),
            Term::atom("unused"),
            Term::nil(),
            his,
        ]);
        self.cast(&node, message).await;
        let session = self.session(&node);
        if let SaveOps::Resolved {
            his_known,
            his_resolved,
        } = std::mem::replace(&mut session.save_ops, SaveOps::Ops(ops))
        {
            self.resolved(node, his_resolved, his_known).await;
        }
    }

    /// `resolved/5`: both sides resolved; apply, tell everyone we knew, and join the partitions.
    async fn resolved(&mut self, node: Atom, his_resolved: Vec<Term>, his_known: Term) {
        let mut ops = match std::mem::take(&mut self.session(&node).save_ops) {
            SaveOps::Ops(ops) => ops,
            _ => Vec::new(),
        };
        ops.extend(his_resolved);
        let known_before: Vec<Atom> = self.known.keys().cloned().collect();
        let his_known = his_known.into_list().unwrap_or_default();
        let mut listed = vec![Term::Atom(node.clone())];
        listed.extend(his_known.iter().cloned());
        let new_nodes = self.make_node_vsn_list(&listed);
        let his_known_nodes: Vec<Atom> = his_known.iter().filter_map(node_of).collect();
        self.sync_others(&his_known_nodes);
        let session = self.session(&node);
        let prot_vsn = session.prot_vsn.unwrap_or(VSN);
        let lock_id = session.lock_id.clone();
        let extra_info = Term::list(vec![
            Term::tuple(vec![Term::atom("vsn"), Term::Integer(prot_vsn)]),
            Term::tuple(vec![
                Term::atom("lock"),
                lock_id.clone().unwrap_or_else(undefined),
            ]),
        ]);
        self.do_ops(&ops, lock_id).await;
        for other in &his_known_nodes {
            self.cancel_resolved_locker(other, Term::atom("no_fun"))
                .await;
        }
        let new_nodes_msg = Term::tuple(vec![
            Term::atom("new_nodes"),
            Term::Atom(self.me.clone()),
            Term::list(ops),
            Term::nil(),
            Term::list(new_nodes.clone()),
            extra_info,
        ]);
        let fun = Term::tuple(vec![
            Term::atom("new_nodes"),
            new_nodes_msg,
            Term::list(known_before.into_iter().map(Term::Atom).collect()),
        ]);
        self.cancel_resolved_locker(&node, fun).await;
        let added = self.add_to_known(&new_nodes);
        self.locker_add_to_known(&added).await;
        if !self.synced.contains(&node) {
            self.synced.push(node);
        }
    }

    async fn cancel_resolved_locker(&mut self, node: &Atom, fun: Term) {
        let tag = self.my_tag(node);
        self.pending.remove(node);
        self.cancel_locker(node, tag, fun).await;
        self.reset_node_state(node);
    }

    async fn locker_add_to_known(&self, added: &[Atom]) {
        let message = Term::tuple(vec![
            Term::atom("add_to_known"),
            Term::list(added.iter().cloned().map(Term::Atom).collect()),
        ]);
        self.to_locker(message).await;
    }

    fn node_vsn(&self, node: &Atom) -> i64 {
        if *node == self.me {
            return VSN;
        }
        self.known
            .get(node)
            .or_else(|| self.pending.get(node))
            .copied()
            .unwrap_or(0)
    }

    fn make_node_vsn_list(&self, list: &[Term]) -> Vec<Term> {
        list.iter()
            .filter_map(|t| match t {
                Term::Atom(n) => Some((n.clone(), self.node_vsn(n))),
                Term::Tuple(nv) => match nv.as_slice() {
                    [Term::Atom(n), Term::Integer(0)] => Some((n.clone(), self.node_vsn(n))),
                    [Term::Atom(n), Term::Integer(v)] => Some((n.clone(), *v)),
                    _ => None,
                },
                _ => None,
            })
            .map(|(n, v)| Term::tuple(vec![Term::Atom(n), Term::Integer(v)]))
            .collect()
    }

    /// `add_to_known/2`: the nodes that were new.
    fn add_to_known(&mut self, list: &[Term]) -> Vec<Atom> {
        let mut added = Vec::new();
        for item in list {
            let (node, vsn) = match item {
                Term::Atom(n) => (n.clone(), 0),
                Term::Tuple(nv) => match nv.as_slice() {
                    [Term::Atom(n), Term::Integer(v)] => (n.clone(), *v),
                    _ => continue,
                },
                _ => continue,
            };
            if node == self.me {
                continue;
            }
            match self.known.get(&node) {
                None => {
                    self.known.insert(node.clone(), vsn);
                    added.push(node);
                }
                Some(v) if *v >= 0 => {}
                Some(_) => {
                    self.known.insert(node, vsn);
                }
            }
        }
        added
    }

    /// `sync_others/1`: connect to each node and tell its name server we are in sync.
    fn sync_others(&self, nodes: &[Atom]) {
        for node in nodes {
            let (n, me, server, target) = (
                self.node.clone(),
                self.me.clone(),
                self.process.pid().clone(),
                node.clone(),
            );
            tokio::spawn(async move {
                // A simultaneous connect can fail our dial while the peer's connection is on its
                // way (OTP's monitor_node waits for it): try a few times before giving up.
                let mut connected = false;
                for attempt in 0..CONNECT_ATTEMPTS {
                    if n.connect_node(target.as_str()).await.is_ok() {
                        connected = true;
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                }
                if connected {
                    let in_sync = Term::tuple(vec![
                        Term::atom("$gen_cast"),
                        Term::tuple(vec![
                            Term::atom("in_sync"),
                            Term::Atom(me),
                            Term::atom("true"),
                        ]),
                    ]);
                    n.send_named(
                        &server,
                        super::lock_client::SERVER,
                        target.as_str(),
                        in_sync,
                    )
                    .await;
                } else {
                    tracing::warn!(node = %target, "'global' failed to connect");
                    let down = Term::tuple(vec![Term::atom("extra_nodedown"), Term::Atom(target)]);
                    n.inner.processes.deliver(server.id, down);
                }
            });
        }
    }

    /// For `handle_nodedown`: the nodeup session state is gone.
    pub(super) async fn forget_session(&mut self, node: &Atom) {
        let tag = self.my_tag(node);
        self.cancel_locker(node, tag, Term::atom("no_fun")).await;
        let message = Term::tuple(vec![
            Term::atom("remove_from_known"),
            Term::Atom(node.clone()),
        ]);
        self.to_locker(message).await;
        self.reset_node_state(node);
    }
}

fn node_of(item: &Term) -> Option<Atom> {
    match item {
        Term::Atom(n) => Some(n.clone()),
        Term::Tuple(nv) => match nv.as_slice() {
            [Term::Atom(n), _] => Some(n.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The `{lock, LockId}` of a `new_nodes` ExtraInfo list.
fn lock_of(extra: &Term) -> Option<Term> {
    let Term::List(items) = extra else {
        return None;
    };
    items.iter().find_map(|i| match i {
        Term::Tuple(kv) if kv.len() == 2 && kv[0].as_atom() == Some("lock") => Some(kv[1].clone()),
        _ => None,
    })
}
