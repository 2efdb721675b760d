//! The node: its identity, processes and registered names, its connections, and the routing of
//! messages between local mailboxes and peers. `Node` is a cheap handle to all of it.

use crate::config::{CookieSource, NodeConfig};
use crate::connection::{
    accept_handshake, dial_handshake, spawn_link, AcceptVerdict, HandshakeFailure, LinkHandle,
    Lookup, Outcome, Payload, PeerStats, Peers,
};
use crate::cookie;
use crate::dest::Dest;
use crate::epmd_link;
use crate::error::NodeError;
use crate::process::{Process, ProcessTable, Slot};
use distproto::control::ControlMessage;
use distproto::handshake::{Cookie, Decision, DistFlags, HandshakeError, LocalNode};
use distproto::term::{Atom, Pid, Reference, Term};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

/// A change in the set of connected nodes, as `net_kernel:monitor_nodes/1` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    Up {
        node: String,
        hidden: bool,
    },
    Down {
        node: String,
        hidden: bool,
        reason: String,
    },
}

pub(crate) struct NodeInner {
    pub config: NodeConfig,
    pub name: Atom,
    pub creation: u32,
    cookie: Cookie,
    flags: DistFlags,
    pub(crate) processes: ProcessTable,
    registered: RwLock<HashMap<Atom, Pid>>,
    aliases: RwLock<HashMap<Reference, u32>>,
    pub(crate) peers: Peers,
    next_pid: AtomicU32,
    next_ref: AtomicU64,
    next_link: AtomicU64,
    next_unlink: AtomicU64,
    pub(crate) events: broadcast::Sender<NodeEvent>,
    listen_port: u16,
    /// The node's own group leader (its I/O server), once started.
    pub(crate) group_leader: OnceLock<Pid>,
    /// Spawn requests sent and not yet answered: request id to (requester, node asked).
    pub(crate) spawn_requests: Mutex<HashMap<Reference, (Pid, Atom)>>,
    pub(crate) node_monitors: crate::net_kernel::NodeMonitors,
    pub(crate) functions: crate::rpc::Functions,
    pub(crate) pg_scopes: Mutex<HashMap<Atom, Arc<crate::pg::Shared>>>,
    pub(crate) global: OnceLock<Arc<crate::global::Shared>>,
}

/// A running node. Clone it freely; the node runs until the process exits.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<NodeInner>,
}

impl Node {
    /// Starts a node: listens for distribution, registers with EPMD (starting our epmd when none
    /// runs and `config.start_epmd`), and starts `net_kernel`.
    pub async fn start(config: NodeConfig) -> Result<Node, NodeError> {
        let cookie = match &config.cookie {
            CookieSource::Explicit(cookie) => cookie.clone(),
            CookieSource::File(path) => cookie::read_or_create(path)?,
            CookieSource::HomeFile => cookie::read_or_create(&cookie::default_cookie_path()?)?,
        };
        let listener = listen(&config).await?;
        let listen_port = listener
            .local_addr()
            .map_err(|source| NodeError::Listen {
                ports: format!("{:?}", config.listen_ports),
                source,
            })?
            .port();
        let registration = epmd_link::register(&config, listen_port).await?;
        let creation = registration.creation();
        let name = Atom::new(&config.name.to_string())
            .ok_or_else(|| NodeError::BadPeerName(config.name.to_string()))?;
        let mut flags = DistFlags::OTP_DEFAULT;
        if config.hidden {
            flags = flags.difference(DistFlags::PUBLISHED);
        }
        let (events, _) = broadcast::channel(1024);
        let inner = Arc::new(NodeInner {
            config,
            name,
            creation,
            cookie,
            flags,
            processes: ProcessTable::default(),
            registered: RwLock::new(HashMap::new()),
            aliases: RwLock::new(HashMap::new()),
            peers: Peers::default(),
            next_pid: AtomicU32::new(1),
            next_ref: AtomicU64::new(1),
            next_link: AtomicU64::new(1),
            next_unlink: AtomicU64::new(1),
            events,
            listen_port,
            group_leader: OnceLock::new(),
            spawn_requests: Mutex::new(HashMap::new()),
            node_monitors: Default::default(),
            functions: Default::default(),
            pg_scopes: Mutex::new(HashMap::new()),
            global: OnceLock::new(),
        });
        let node = Node { inner };
        info!(node = %node.name(), creation, port = listen_port, "node started");
        epmd_link::keep_registered(node.inner.config.clone(), listen_port, registration);
        tokio::spawn(accept_loop(node.inner.clone(), listener));
        crate::io::start_group_leader(&node);
        crate::net_kernel::start(&node);
        crate::rpc::start(&node);
        node.pg_scope("pg");
        if node.inner.config.global {
            crate::global::start(&node);
        }
        Ok(node)
    }

    /// The full node name, e.g. `rust@localhost`.
    pub fn name(&self) -> &str {
        self.inner.name.as_str()
    }

    pub fn creation(&self) -> u32 {
        self.inner.creation
    }

    /// The distribution port this node listens on.
    pub fn listen_port(&self) -> u16 {
        self.inner.listen_port
    }

    /// A new process with an empty mailbox, driven by whoever holds the returned handle (use
    /// [`Node::spawn`] to run a function as a process). Dropping the handle ends the process.
    pub fn spawn_process(&self) -> Process {
        self.new_process(None)
    }

    /// A new reference (`make_ref()`), unique on this node.
    pub fn make_ref(&self) -> Reference {
        let n = self.inner.next_ref.fetch_add(1, Ordering::Relaxed);
        Reference {
            node: self.inner.name.clone(),
            creation: self.inner.creation,
            ids: [n as u32 & 0x3ffff, (n >> 18) as u32, (n >> 50) as u32].into(),
        }
    }

    /// `register(Name, Pid)`: false if the name is taken or the pid is not a live local process.
    pub fn register(&self, name: &str, pid: &Pid) -> bool {
        let Some(atom) = Atom::new(name) else {
            return false;
        };
        if !self.is_local(pid) || !self.inner.processes.contains(pid.id) {
            return false;
        }
        let Ok(mut names) = self.inner.registered.write() else {
            return false;
        };
        if names.contains_key(&atom) || names.values().any(|p| p == pid) {
            return false;
        }
        names.insert(atom, pid.clone());
        true
    }

    pub fn unregister(&self, name: &str) -> bool {
        let Some(atom) = Atom::new(name) else {
            return false;
        };
        self.inner
            .registered
            .write()
            .map(|mut names| names.remove(&atom).is_some())
            .unwrap_or(false)
    }

    /// `whereis(Name)` on this node.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        let atom = Atom::new(name)?;
        self.inner.registered.read().ok()?.get(&atom).cloned()
    }

    fn is_local(&self, pid: &Pid) -> bool {
        self.inner.is_local(pid)
    }

    /// `is_process_alive(Pid)` for a pid of this node.
    pub fn is_alive(&self, pid: &Pid) -> bool {
        self.inner.slot(pid).is_some()
    }

    /// Sends to any destination: a pid, a local name or `{Name, Node}`.
    pub async fn send_to(&self, from: &Pid, dest: &Dest, message: Term) {
        self.send_payload_to(from, dest, Payload::Term(message))
            .await
    }

    /// [`Node::send_to`] for a [`Payload`]: a remote receiver's message is encoded from it, a
    /// local one gets [`Payload::into_term`].
    pub(crate) async fn send_payload_to(&self, from: &Pid, dest: &Dest, message: Payload<'_>) {
        match dest {
            Dest::Pid(pid) => self.send_more(Some(from), pid, message, false).await,
            Dest::Name(name) => {
                self.inner.deliver_to_name(name, message.into_term());
            }
            Dest::Remote { name, node } => {
                self.send_named_payload(from, name.as_str(), node.as_str(), message)
                    .await
            }
            Dest::Global(name) => {
                if let Some(pid) = self.global_whereis(name) {
                    self.send_more(Some(from), &pid, message, false).await;
                }
            }
        }
    }

    /// `To ! Message` with `from` as the sender; connects to the pid's node first if needed.
    /// Like Erlang's send, it never fails: undeliverable messages are dropped (and logged).
    pub async fn send(&self, from: Option<&Pid>, to: &Pid, message: Term) {
        self.send_more(from, to, Payload::Term(message), false)
            .await
    }

    /// [`Node::send`] from a sender that will send again at once (see
    /// `LinkHandle::send_more`): a remote message may wait for the next ones to share a write.
    pub(crate) async fn send_more(
        &self,
        from: Option<&Pid>,
        to: &Pid,
        message: Payload<'_>,
        more_follows: bool,
    ) {
        if self.is_local(to) {
            self.inner.processes.deliver(to.id, message.into_term());
            return;
        }
        match self.connect(to.node.as_str()).await {
            Ok(link) => {
                let control = match from {
                    Some(from) if link.peer.flags.contains(DistFlags::SEND_SENDER) => {
                        ControlMessage::SendSender {
                            from: from.clone(),
                            to: to.clone(),
                        }
                    }
                    _ => ControlMessage::Send { to: to.clone() },
                };
                link.send_more(control, Some(message), more_follows);
            }
            Err(e) => debug!(to = ?to, error = %e, "message dropped"),
        }
    }

    /// `{Name, Node} ! Message` from `from`.
    pub async fn send_named(&self, from: &Pid, name: &str, node: &str, message: Term) {
        self.send_named_payload(from, name, node, Payload::Term(message))
            .await
    }

    /// [`Node::send_named`] for a [`Payload`].
    async fn send_named_payload(&self, from: &Pid, name: &str, node: &str, message: Payload<'_>) {
        let Some(to_name) = Atom::new(name) else {
            return;
        };
        if node == self.name() {
            self.inner.deliver_to_name(&to_name, message.into_term());
            return;
        }
        match self.connect(node).await {
            Ok(link) => {
                link.send_more(
                    ControlMessage::RegSend {
                        from: from.clone(),
                        to_name,
                    },
                    Some(message),
                    false,
                );
            }
            Err(e) => debug!(%node, %name, error = %e, "message dropped"),
        }
    }

    /// Sends to an alias (a reference the receiver made an alias of), as gen replies do.
    pub async fn send_alias(&self, from: &Pid, alias: &Reference, message: Term) {
        self.send_alias_more(from, alias, message, false).await
    }

    /// [`Node::send_alias`] from a sender that will send again at once (see `send_more`).
    pub(crate) async fn send_alias_more(
        &self,
        from: &Pid,
        alias: &Reference,
        message: Term,
        more_follows: bool,
    ) {
        if alias.node == self.inner.name {
            self.inner.deliver_to_alias(alias, message);
            return;
        }
        if let Ok(link) = self.connect(alias.node.as_str()).await {
            link.send_more(
                ControlMessage::AliasSend {
                    from: from.clone(),
                    alias: alias.clone(),
                },
                Some(Payload::Term(message)),
                more_follows,
            );
        }
    }

    /// `net_kernel:connect_node/1`: connects (or finds the connection) to `peer`.
    pub async fn connect_node(&self, peer: &str) -> Result<(), NodeError> {
        self.connect(peer).await.map(|_| ())
    }

    /// `erlang:disconnect_node/1`.
    pub fn disconnect_node(&self, peer: &str) -> bool {
        match self.inner.peers.get(peer) {
            Some(link) => {
                link.close("disconnect");
                true
            }
            None => false,
        }
    }

    /// `net_adm:ping/1`: `true` (pong) when the peer's net_kernel answers `is_auth`.
    pub async fn ping(&self, peer: &str) -> bool {
        if self.connect(peer).await.is_err() {
            return false;
        }
        let mut me = self.spawn_process();
        let tag = self.make_ref();
        let request = Term::tuple(vec![
            Term::atom("$gen_call"),
            Term::tuple(vec![Term::Pid(me.pid.clone()), Term::from(tag.clone())]),
            Term::tuple(vec![
                Term::atom("is_auth"),
                Term::Atom(self.inner.name.clone()),
            ]),
        ]);
        self.send_named(&me.pid, "net_kernel", peer, request).await;
        let timeout = self.inner.config.setup_time;
        me.mailbox
            .recv_match(Some(timeout), |m| match m {
                Term::Tuple(items) if items.len() == 2 && items[0] == Term::from(tag.clone()) => {
                    Some(items[1] == Term::atom("yes"))
                }
                _ => None,
            })
            .await
            .unwrap_or(false)
    }

    /// `nodes()`: connected visible peers.
    pub fn nodes(&self) -> Vec<String> {
        self.peer_names(false)
    }

    /// `nodes(hidden)`: connected hidden peers.
    pub fn hidden_nodes(&self) -> Vec<String> {
        self.peer_names(true)
    }

    fn peer_names(&self, hidden: bool) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .peers
            .up_links()
            .iter()
            .filter(|l| l.peer.peer_is_hidden() == hidden)
            .map(|l| l.peer.peer_name.clone())
            .collect();
        names.sort();
        names
    }

    /// `net_kernel:monitor_nodes(true)`: nodeup/nodedown events from now on.
    pub fn monitor_nodes(&self) -> broadcast::Receiver<NodeEvent> {
        self.inner.events.subscribe()
    }

    /// Traffic counters of a connected peer.
    pub fn peer_stats(&self, peer: &str) -> Option<PeerStats> {
        self.inner
            .peers
            .get(peer)
            .map(|link| link.counters.snapshot())
    }

    pub(crate) async fn connect(&self, peer: &str) -> Result<LinkHandle, NodeError> {
        connect(&self.inner, peer).await
    }
}

impl NodeInner {
    fn local_node(&self) -> LocalNode {
        LocalNode {
            name: self.name.as_str().to_string(),
            creation: self.creation,
            flags: self.flags,
            mandatory: DistFlags::MANDATORY_25,
        }
    }

    fn cookie_for(&self, peer: &str) -> Cookie {
        self.config
            .peer_cookies
            .get(peer)
            .cloned()
            .unwrap_or_else(|| self.cookie.clone())
    }

    pub(crate) fn is_local(&self, pid: &Pid) -> bool {
        pid.node == self.name && (pid.creation == self.creation || pid.creation == 0)
    }

    /// A new process slot: its pid and the receiving end of its mailbox.
    pub(crate) fn new_slot(
        &self,
        group_leader: Option<Pid>,
    ) -> (Pid, mpsc::UnboundedReceiver<Term>) {
        let id = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let pid = Pid {
            node: self.name.clone(),
            id,
            serial: 0,
            creation: self.creation,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let leader = group_leader.or_else(|| self.group_leader.get().cloned());
        self.processes
            .insert(Arc::new(Slot::new(pid.clone(), tx, leader)));
        (pid, rx)
    }

    pub(crate) fn next_unlink_id(&self) -> u64 {
        self.next_unlink.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn whereis_atom(&self, name: &Atom) -> Option<Pid> {
        self.registered.read().ok()?.get(name).cloned()
    }

    pub(crate) fn deliver_to_name(&self, name: &Atom, message: Term) -> bool {
        self.whereis_atom(name)
            .is_some_and(|pid| self.processes.deliver(pid.id, message))
    }

    /// Removes every name `pid` is registered under (it exited).
    pub(crate) fn unregister_pid(&self, pid: &Pid) {
        if let Ok(mut names) = self.registered.write() {
            names.retain(|_, p| p != pid);
        }
    }

    pub(crate) fn add_alias(&self, pid: &Pid, alias: &Reference) {
        if let Some(slot) = self.slot(pid) {
            slot.state().aliases.push(alias.clone());
            if let Ok(mut aliases) = self.aliases.write() {
                aliases.insert(alias.clone(), pid.id);
            }
        }
    }

    pub(crate) fn remove_alias(&self, pid: &Pid, alias: &Reference) -> bool {
        if let Some(slot) = self.slot(pid) {
            slot.state().aliases.retain(|a| a != alias);
        }
        self.aliases
            .write()
            .map(|mut aliases| aliases.remove(alias).is_some())
            .unwrap_or(false)
    }

    pub(crate) fn remove_aliases(&self, aliases: &[Reference]) {
        if aliases.is_empty() {
            return;
        }
        if let Ok(mut table) = self.aliases.write() {
            for alias in aliases {
                table.remove(alias);
            }
        }
    }

    /// A message sent to an alias of a local process; dropped when the alias is not active.
    pub(crate) fn deliver_to_alias(&self, alias: &Reference, message: Term) -> bool {
        let id = self.aliases.read().ok().and_then(|a| a.get(alias).copied());
        id.is_some_and(|id| self.processes.deliver(id, message))
    }

    pub(crate) fn link_down(&self, link: &LinkHandle, reason: &str) {
        if self.peers.down(&link.peer.peer_name, link.id) {
            self.node_lost(
                &link.peer.peer_name,
                link.peer.peer_is_hidden(),
                reason,
                link.id,
            );
        }
    }

    /// After a connection is gone: `noconnection` to links and monitors across it, nodedown to
    /// `monitor_node` and `monitor_nodes` subscribers, failed spawn requests.
    pub(crate) fn node_lost(&self, peer: &str, hidden: bool, reason: &str, link_id: u64) {
        if let Some(node) = Atom::new(peer) {
            self.fail_spawn_requests(&node);
            self.node_down_signals(&node);
            self.node_monitors
                .node_down(self, &node, hidden, reason, link_id);
        }
        let _ = self.events.send(NodeEvent::Down {
            node: peer.to_string(),
            hidden,
            reason: reason.to_string(),
        });
    }

    fn link_up(
        self: &Arc<Self>,
        stream: TcpStream,
        leftover: bytes::BytesMut,
        peer: distproto::handshake::Established,
    ) {
        let name = peer.peer_name.clone();
        let hidden = peer.peer_is_hidden();
        let id = self.next_link.fetch_add(1, Ordering::Relaxed);
        let link = spawn_link(self.clone(), stream, leftover, peer, id);
        if self.peers.up(&name, link.clone()) {
            info!(node = %name, hidden, "nodeup");
            if let Some(node) = Atom::new(&name) {
                self.node_monitors.node_up(self, &node, hidden, id);
            }
            let _ = self.events.send(NodeEvent::Up { node: name, hidden });
        } else {
            link.close("duplicate connection");
        }
    }
}

async fn listen(config: &NodeConfig) -> Result<TcpListener, NodeError> {
    let (min, max) = (*config.listen_ports.start(), *config.listen_ports.end());
    let mut last = None;
    for port in min..=max.max(min) {
        match TcpListener::bind(("0.0.0.0", port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(NodeError::Listen {
        ports: format!("{min}..={max}"),
        source: last.unwrap_or_else(|| std::io::Error::other("empty port range")),
    })
}

async fn accept_loop(node: Arc<NodeInner>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                let node = node.clone();
                tokio::spawn(async move { accept_one(node, stream, addr).await });
            }
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn accept_one(node: Arc<NodeInner>, mut stream: TcpStream, addr: std::net::SocketAddr) {
    let me = node.name.as_str().to_string();
    let mut proceeded = None::<String>;
    let mut decide = |hello: &distproto::handshake::PeerHello| {
        let cookie = node.cookie_for(&hello.name);
        if hello.name == me {
            return (Decision::NotAllowed, cookie);
        }
        let decision = match node.peers.on_incoming(&me, &hello.name) {
            AcceptVerdict::Proceed { simultaneous } => {
                proceeded = Some(hello.name.clone());
                if simultaneous {
                    Decision::OkSimultaneous
                } else {
                    Decision::Ok
                }
            }
            AcceptVerdict::Refuse => Decision::Nok,
            AcceptVerdict::Alive => {
                proceeded = Some(hello.name.clone());
                Decision::Alive
            }
        };
        (decision, cookie)
    };
    let peers = &node.peers;
    let mut replace_old = |peer: &str| {
        if let Some(old) = peers.replace_old(peer) {
            node.node_lost(peer, old.peer.peer_is_hidden(), "wait_pending", old.id);
            old.close("wait_pending");
        }
    };
    let result = accept_handshake(
        &mut stream,
        node.local_node(),
        &mut decide,
        &mut replace_old,
        node.config.setup_time,
    )
    .await;
    let proceeded = proceeded.take();
    match result {
        Ok((peer, leftover)) => node.link_up(stream, leftover, peer),
        Err(e) => {
            warn!(from = %addr, peer = proceeded.as_deref().unwrap_or("?"), error = %e, "incoming connection refused");
            if let Some(peer) = proceeded {
                node.peers.failed(&peer, &e.to_string());
            }
        }
    }
}

async fn connect(node: &Arc<NodeInner>, peer: &str) -> Result<LinkHandle, NodeError> {
    if peer == node.name.as_str() {
        return Err(NodeError::SelfConnect(peer.into()));
    }
    if !distproto::handshake::is_full_node_name(peer) {
        return Err(NodeError::BadPeerName(peer.into()));
    }
    let mut outcome = match node.peers.connect_or_wait(peer) {
        Lookup::Up(link) => return Ok(link),
        Lookup::Wait(rx) => rx,
        Lookup::Dial(tx) => {
            let rx = tx.subscribe();
            tokio::spawn(dial(node.clone(), peer.to_string()));
            rx
        }
    };
    let wait = async {
        loop {
            match &*outcome.borrow_and_update() {
                Outcome::Up(link) => return Ok(link.clone()),
                Outcome::Failed(why) => return Err(why.clone()),
                Outcome::Waiting => {}
            }
            if outcome.changed().await.is_err() {
                return Err("connection attempt abandoned".to_string());
            }
        }
    };
    match tokio::time::timeout(node.config.setup_time * 2, wait).await {
        Ok(Ok(link)) => Ok(link),
        Ok(Err(why)) => Err(NodeError::Connect {
            peer: peer.into(),
            why,
        }),
        Err(_) => Err(NodeError::Connect {
            peer: peer.into(),
            why: "timed out".into(),
        }),
    }
}

async fn dial(node: Arc<NodeInner>, peer: String) {
    let attempt = async {
        let port = epmd_link::port_of(&node.config, &peer).await?;
        let host = peer.split('@').nth(1).unwrap_or("localhost");
        let mut stream =
            tokio::time::timeout(node.config.setup_time, TcpStream::connect((host, port)))
                .await
                .map_err(|_| "TCP connect timed out".to_string())?
                .map_err(|e| format!("TCP connect to {host}:{port}: {e}"))?;
        let result = dial_handshake(
            &mut stream,
            node.local_node(),
            &peer,
            node.cookie_for(&peer),
            node.config.setup_time,
            || node.peers.get(&peer).is_some(),
        )
        .await;
        Ok::<_, String>((stream, result))
    };
    match attempt.await {
        Ok((stream, Ok((established, leftover)))) => node.link_up(stream, leftover, established),
        Ok((_, Err(HandshakeFailure::Protocol(HandshakeError::SimultaneousConnectLost)))) => {
            debug!(%peer, "simultaneous connect: the peer's connection wins");
            node.peers.lost_simultaneous(&peer);
            let node = node.clone();
            tokio::spawn(async move {
                tokio::time::sleep(node.config.setup_time).await;
                node.peers.failed(
                    &peer,
                    "simultaneous connect lost and the peer's connection never came",
                );
            });
        }
        Ok((_, Err(e))) => {
            warn!(%peer, error = %e, "cannot connect");
            node.peers.failed(&peer, &e.to_string());
        }
        Err(e) => {
            warn!(%peer, error = %e, "cannot connect");
            node.peers.failed(&peer, &e);
        }
    }
}
