//! `global` on the Rust node: a full member of OTP 25's global name registry (protocol vsn 8).
//! `global_name_server` (connect protocol, name and lock tables), its locker and registrar run as
//! processes of this node; [`Global`] is the Rust API mirroring OTP's `global` module. It must
//! never start global's handshake with a peer and then stall: that freezes registration on every
//! BEAM node (see docs/global.md).

mod connect;
mod lock_client;
mod locker;
mod locks;
mod names;
mod partitions;
mod registrar;
mod resolve;
mod server;

use crate::node::Node;
use crate::process::Process;
use distproto::term::{Pid, Term};
use locks::LockTable;
use names::NameTable;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub(crate) struct Shared {
    names: Mutex<NameTable>,
    locks: Mutex<LockTable>,
    /// Nodes fully synced with us (global's `known`), as the server last published them.
    known: Mutex<Vec<String>>,
    synced: Mutex<Vec<String>>,
    server: Pid,
    registrar: mpsc::UnboundedSender<registrar::Request>,
}

impl Shared {
    fn names(&self) -> MutexGuard<'_, NameTable> {
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn locks(&self) -> MutexGuard<'_, LockTable> {
        self.locks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn known_nodes(&self) -> Vec<String> {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn synced_nodes(&self) -> Vec<String> {
        self.synced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `where/1`: a local pid counts only while it lives.
    fn where_name(&self, process: &Process, name: &Term) -> Option<Pid> {
        let pid = self.names().get(name).map(|e| e.pid.clone())?;
        let node = process.node();
        if pid.node.as_str() == node.name() && !node.is_alive(&pid) {
            return None;
        }
        Some(pid)
    }
}

/// Starts `global_name_server`, its locker and registrar, and `global:resolve_it/4`.
pub(crate) fn start(node: &Node) {
    let server = node.spawn_process();
    if !server.register(lock_client::SERVER) {
        return;
    }
    let locker = node.spawn_process();
    let registrar_process = node.spawn_process();
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        names: Mutex::new(NameTable::default()),
        locks: Mutex::new(LockTable::default()),
        known: Mutex::new(Vec::new()),
        synced: Mutex::new(Vec::new()),
        server: server.pid().clone(),
        registrar: tx,
    });
    if node.inner.global.set(shared.clone()).is_err() {
        return;
    }
    resolve::register_resolve_it(node);
    let locker_pid = locker.pid().clone();
    tokio::spawn(locker::Locker::new(locker, shared.clone()).run());
    tokio::spawn(registrar::run(registrar_process, shared.clone(), rx));
    tokio::spawn(server::Server::new(node.clone(), server, shared, locker_pid).run());
}

/// A lock's `{ResourceId, LockRequesterId}`: holders with the same requester id share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockId {
    pub resource: Term,
    pub requester: Term,
}

impl LockId {
    pub fn new(resource: Term, requester: Term) -> LockId {
        LockId {
            resource,
            requester,
        }
    }
}

/// Why [`Global::send`] did not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobalError {
    #[error("no process is registered globally as {0:?} (badarg)")]
    NotRegistered(Term),
}

/// This node's global: OTP's `global` module for Rust processes. Cheap to clone.
#[derive(Clone)]
pub struct Global {
    node: Node,
    shared: Arc<Shared>,
}

impl Node {
    /// global on this node; `None` when the node was started with `NodeConfig::global(false)`.
    pub fn global(&self) -> Option<Global> {
        let shared = self.inner.global.get()?.clone();
        Some(Global::from_shared(self.clone(), shared))
    }

    /// `global:whereis_name/1` (`None` without global).
    pub(crate) fn global_whereis(&self, name: &Term) -> Option<Pid> {
        self.global()?.whereis_name(name)
    }
}

impl Global {
    pub(crate) fn from_shared(node: Node, shared: Arc<Shared>) -> Global {
        Global { node, shared }
    }

    /// `global:whereis_name(Name)`: a read of this node's table, as in OTP.
    pub fn whereis_name(&self, name: &Term) -> Option<Pid> {
        let pid = self.shared.names().get(name).map(|e| e.pid.clone())?;
        if pid.node.as_str() == self.node.name() && !self.node.is_alive(&pid) {
            return None;
        }
        Some(pid)
    }

    /// `global:registered_names()`.
    pub fn registered_names(&self) -> Vec<Term> {
        self.shared.names().names()
    }

    /// `global:register_name(Name, Pid)`: `true` (yes) when registered on every node, `false`
    /// (no) when the name is taken or the pid already has a name.
    pub async fn register_name(&self, name: Term, pid: &Pid) -> bool {
        self.register_name_with(name, pid, resolve::default_method())
            .await
    }

    /// `global:register_name(Name, Pid, Method)`; `method` is a fun term such as
    /// `fun global:random_notify_name/3`.
    pub async fn register_name_with(&self, name: Term, pid: &Pid, method: Term) -> bool {
        if self.whereis_name(&name).is_some() || self.shared.names().has_pid(pid) {
            return false;
        }
        self.registrar(name, pid, method, false).await
    }

    /// `global:re_register_name(Name, Pid)`: always `true` (yes).
    pub async fn re_register_name(&self, name: Term, pid: &Pid) -> bool {
        self.registrar(name, pid, resolve::default_method(), true)
            .await
    }

    async fn registrar(&self, name: Term, pid: &Pid, method: Term, force: bool) -> bool {
        let (reply, rx) = oneshot::channel();
        let request = registrar::Request::Register {
            name,
            pid: pid.clone(),
            method,
            force,
            reply,
        };
        if self.shared.registrar.send(request).is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// `global:unregister_name(Name)`.
    pub async fn unregister_name(&self, name: &Term) {
        if self.shared.names().get(name).is_none() {
            return;
        }
        let (reply, rx) = oneshot::channel();
        let request = registrar::Request::Unregister {
            name: name.clone(),
            reply,
        };
        if self.shared.registrar.send(request).is_ok() {
            let _ = rx.await;
        }
    }

    /// `global:send(Name, Msg)` from `from`: the pid it went to.
    pub async fn send(
        &self,
        from: &Process,
        name: &Term,
        message: Term,
    ) -> Result<Pid, GlobalError> {
        let pid = self
            .whereis_name(name)
            .ok_or_else(|| GlobalError::NotRegistered(name.clone()))?;
        from.send(&pid, message).await;
        Ok(pid)
    }

    fn default_nodes(&self, nodes: Option<&[String]>) -> Vec<String> {
        match nodes {
            Some(nodes) => nodes.to_vec(),
            None => {
                let mut all = vec![self.node.name().to_string()];
                all.extend(self.node.nodes());
                all
            }
        }
    }

    /// `global:set_lock(Id, Nodes, Retries)` with `process` as the holder. `nodes` `None` is
    /// `[node() | nodes()]`; `retries` `None` is `infinity`.
    pub async fn set_lock(
        &self,
        process: &mut Process,
        id: &LockId,
        nodes: Option<&[String]>,
        retries: Option<u32>,
    ) -> bool {
        let nodes = self.default_nodes(nodes);
        lock_client::set_lock(
            process,
            &self.shared,
            &id.resource,
            &id.requester,
            &nodes,
            retries,
        )
        .await
    }

    /// `global:del_lock(Id, Nodes)` for `process`'s hold.
    pub async fn del_lock(&self, process: &mut Process, id: &LockId, nodes: Option<&[String]>) {
        let nodes = self.default_nodes(nodes);
        lock_client::del_lock(process, &id.resource, &id.requester, &nodes).await
    }

    /// `global:trans(Id, Fun, Nodes, Retries)`: `None` is `aborted` (the lock was not taken).
    pub async fn trans<F, Fut, T>(
        &self,
        process: &mut Process,
        id: &LockId,
        nodes: Option<&[String]>,
        retries: Option<u32>,
        f: F,
    ) -> Option<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let nodes = self.default_nodes(nodes);
        if !lock_client::set_lock(
            process,
            &self.shared,
            &id.resource,
            &id.requester,
            &nodes,
            retries,
        )
        .await
        {
            return None;
        }
        let value = f().await;
        lock_client::del_lock(process, &id.resource, &id.requester, &nodes).await;
        Some(value)
    }

    /// `global:sync()`: returns when every connected visible node is synced with us.
    pub async fn sync(&self) {
        let nodes = self.node.nodes();
        self.sync_nodes(&nodes).await
    }

    /// `global:sync(Nodes)`: waits until each of `nodes` is synced or no longer connected.
    pub async fn sync_nodes(&self, nodes: &[String]) {
        loop {
            let synced = self.shared.synced_nodes();
            let connected = self.node.nodes();
            let waiting = nodes
                .iter()
                .any(|n| n != self.node.name() && connected.contains(n) && !synced.contains(n));
            if !waiting {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The nodes global has synced with (`global:get_known()` in OTP's internals).
    pub fn known_nodes(&self) -> Vec<String> {
        self.shared.known_nodes()
    }
}
