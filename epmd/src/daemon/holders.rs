//! The daemon side of registration holders: when its own descriptors run short, the daemon hands
//! registration sockets to helper processes and hears back when one ends. The registry stays here.

use super::state::{Closer, Shared};
use crate::holder::control::{self, ControlSocket, Message, Received};
use crate::holder::HOLDER_ARG;
use crate::registry::ConnId;
use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Most holder processes per daemon.
pub const MAX_HOLDERS: usize = 16;
/// Descriptors a holder keeps for itself (stdio, control socket, runtime).
pub const HOLDER_FD_RESERVE: usize = 64;
/// Descriptors the daemon keeps free for lookups, listeners and control sockets (at most a
/// quarter of its limit, for small limits).
pub const FD_HEADROOM: usize = 1024;
/// After a failed spawn, the next attempt waits this long (registrations meanwhile are closed).
const SPAWN_RETRY: Duration = Duration::from_secs(1);

/// Names a holder process for the daemon's lifetime.
pub type HolderId = u32;

/// How many registrations go where, derived from the open-file limit.
#[derive(Debug, Clone)]
pub struct HolderPlan {
    /// The program to re-execute as a holder; `None` = no holders (refuse at the own budget).
    pub exe: Option<PathBuf>,
    /// Registration sockets the daemon keeps itself.
    pub local_budget: usize,
    /// Registration sockets one holder keeps (it inherits the daemon's limit).
    pub holder_capacity: usize,
    /// Most holders.
    pub max_holders: usize,
}

impl HolderPlan {
    /// The plan for a daemon whose open-file limit is `fd_limit`.
    pub fn new(fd_limit: u64, exe: Option<PathBuf>) -> HolderPlan {
        let fds = usize::try_from(fd_limit).unwrap_or(usize::MAX);
        let headroom = FD_HEADROOM.min(fds / 4);
        HolderPlan {
            local_budget: fds.saturating_sub(headroom).max(1),
            holder_capacity: fds.saturating_sub(HOLDER_FD_RESERVE).max(1),
            max_holders: if exe.is_some() { MAX_HOLDERS } else { 0 },
            exe,
        }
    }

    /// Every registration socket the daemon and all its holders can keep.
    pub fn capacity(&self) -> usize {
        self.holder_capacity
            .saturating_mul(self.max_holders)
            .saturating_add(self.local_budget)
    }
}

/// Where the program to re-execute is: `/proc/self/exe` (works even if the file was replaced
/// since start), else `current_exe()`; `None` if neither is usable.
pub fn own_executable() -> Option<PathBuf> {
    let proc_exe = PathBuf::from("/proc/self/exe");
    if proc_exe.is_file() {
        return Some(proc_exe);
    }
    std::env::current_exe().ok().filter(|p| p.is_file())
}

/// What the daemon sends a holder's writer task.
enum Command {
    /// Pass this registration socket (our copy is closed once sent).
    Hold(ConnId, OwnedFd),
    /// Close this registration (STOP_REQ).
    Close(ConnId),
}

/// One running holder.
struct Slot {
    commands: mpsc::UnboundedSender<Command>,
    control: Arc<ControlSocket>,
    held: usize,
}

/// The holders of one daemon and the count of registration sockets kept in-process.
pub struct HolderPool {
    plan: HolderPlan,
    slots: HashMap<HolderId, Slot>,
    next_id: HolderId,
    local_held: usize,
    spawn_failed_at: Option<Instant>,
}

/// Where a new registration's socket goes.
pub enum Placement {
    /// Kept by the daemon's own task (call `Shared::local_ended` when it ends).
    Local,
    /// Handed to a holder.
    HandOver,
}

impl HolderPool {
    pub fn new(plan: HolderPlan) -> HolderPool {
        HolderPool {
            plan,
            slots: HashMap::new(),
            next_id: 1,
            local_held: 0,
            spawn_failed_at: None,
        }
    }

    pub fn plan(&self) -> &HolderPlan {
        &self.plan
    }

    /// Decides where a registration socket goes; `Local` counts it as kept in-process.
    pub fn place(&mut self) -> Placement {
        if self.local_held < self.plan.local_budget || self.plan.exe.is_none() {
            self.local_held += 1;
            Placement::Local
        } else {
            Placement::HandOver
        }
    }

    /// A registration kept in-process ended.
    pub fn local_ended(&mut self) {
        self.local_held = self.local_held.saturating_sub(1);
    }

    /// Asks holder `id` to close `conn` (STOP_REQ, or its name was taken over).
    pub fn close(&mut self, id: HolderId, conn: ConnId) {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.held = slot.held.saturating_sub(1);
            let _ = slot.commands.send(Command::Close(conn));
        }
    }

    /// Holder `id` reported that one of its registrations ended.
    pub fn ended(&mut self, id: HolderId) {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.held = slot.held.saturating_sub(1);
        }
    }

    /// A holder with room, spawning one if needed.
    fn with_room(&mut self, shared: &Arc<Shared>) -> Result<HolderId, String> {
        let capacity = self.plan.holder_capacity;
        if let Some((&id, _)) = self.slots.iter().find(|(_, s)| s.held < capacity) {
            return Ok(id);
        }
        if self.slots.len() >= self.plan.max_holders {
            return Err(format!(
                "all {} registration holders are full ({capacity} registrations each); \
                 raise the open-file limit (ulimit -n) to hold more",
                self.slots.len()
            ));
        }
        if let Some(at) = self.spawn_failed_at {
            if at.elapsed() < SPAWN_RETRY {
                return Err("the last attempt to start a registration holder failed".into());
            }
        }
        match self.spawn(shared) {
            Ok(id) => {
                self.spawn_failed_at = None;
                Ok(id)
            }
            Err(e) => {
                self.spawn_failed_at = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// Starts a holder process with its control socket as stdin, and its reader, writer and
    /// reaper tasks.
    fn spawn(&mut self, shared: &Arc<Shared>) -> Result<HolderId, String> {
        let Some(exe) = self.plan.exe.clone() else {
            return Err("registration holders are disabled (own executable not found)".into());
        };
        let (ours, theirs) = control::socketpair()
            .map_err(|e| format!("cannot create a control socketpair: {e}"))?;
        let mut child = tokio::process::Command::new(&exe)
            .arg0("epmd")
            .arg(HOLDER_ARG)
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(false)
            .spawn()
            .map_err(|e| format!("cannot start {} {HOLDER_ARG}: {e}", exe.display()))?;
        let pid = child.id();
        let id = self.attach(shared, ours)?;
        info!(holder = id, pid, "started registration holder");
        tokio::spawn(async move {
            match child.wait().await {
                Ok(status) => debug!(holder = id, %status, "registration holder exited"),
                Err(e) => debug!(holder = id, error = %e, "cannot wait for registration holder"),
            }
        });
        Ok(id)
    }

    /// Adds a holder reached through `ours` (the daemon's end of its control socketpair) and
    /// starts its writer and reader tasks.
    fn attach(&mut self, shared: &Arc<Shared>, ours: OwnedFd) -> Result<HolderId, String> {
        let control = Arc::new(
            ControlSocket::new(ours).map_err(|e| format!("cannot watch a control socket: {e}"))?,
        );
        let id = self.next_id;
        self.next_id += 1;
        let (tx, rx) = mpsc::unbounded_channel();
        self.slots.insert(
            id,
            Slot {
                commands: tx,
                control: control.clone(),
                held: 0,
            },
        );
        tokio::spawn(write_commands(shared.clone(), id, control.clone(), rx));
        tokio::spawn(read_reports(shared.clone(), id, control));
        Ok(id)
    }

    /// Removes holder `id`: its channel is shut down (so the process exits and closes its
    /// sockets); returns true if it was running.
    fn remove(&mut self, id: HolderId) -> bool {
        match self.slots.remove(&id) {
            Some(slot) => {
                slot.control.shutdown();
                true
            }
            None => false,
        }
    }
}

/// Hands the registration socket of `name` (connection `conn`, ALIVE2 reply already written)
/// to a holder. On failure the connection is closed and the node unregistered (it re-registers).
pub fn hand_over(shared: &Arc<Shared>, conn: ConnId, name: Arc<str>, stream: TcpStream) {
    let fd: OwnedFd = match stream.into_std() {
        Ok(s) => s.into(),
        Err(e) => {
            warn!(%name, "cannot hand the registration over: {e}; closing its connection");
            shared.unregister_conn(&name, conn);
            return;
        }
    };
    let mut st = shared.lock();
    if !matches!(st.closers.get(&conn), Some(Closer::Local(_))) {
        // STOP_REQ (or a failed reply) ended it already: dropping `fd` closes it.
        return;
    }
    let placed = st.holders.with_room(shared).and_then(|id| {
        let slot = st
            .holders
            .slots
            .get_mut(&id)
            .ok_or_else(|| "holder vanished".to_string())?;
        slot.commands
            .send(Command::Hold(conn, fd))
            .map_err(|_| format!("registration holder {id} is gone"))?;
        slot.held += 1;
        Ok(id)
    });
    match placed {
        Ok(holder) => {
            debug!(conn, %name, holder, "registration handed over");
            st.closers.insert(
                conn,
                Closer::Held {
                    holder,
                    name: name.clone(),
                },
            );
        }
        Err(why) => {
            warn!(
                %name,
                "cannot hand the registration to a holder: {why}; closing its connection \
                 (the node will register again)"
            );
            st.closers.remove(&conn);
            st.registry.unregister_conn(&name, conn);
        }
    }
}

/// Sends the daemon's commands to holder `id`, in order; a failed send ends the holder.
async fn write_commands(
    shared: Arc<Shared>,
    id: HolderId,
    control: Arc<ControlSocket>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    while let Some(command) = commands.recv().await {
        let sent = match &command {
            Command::Hold(conn, fd) => control.send(Message::Hold(*conn), Some(fd.as_fd())).await,
            Command::Close(conn) => control.send(Message::Close(*conn), None).await,
        };
        // Our copy of a handed-over socket closes here; the holder has its own.
        drop(command);
        if let Err(e) = sent {
            warn!(
                holder = id,
                "cannot send to registration holder: {e}; ending it"
            );
            holder_gone(&shared, id);
            return;
        }
    }
}

/// Reads holder `id`'s reports; anything but "connection ended" ends that holder.
async fn read_reports(shared: Arc<Shared>, id: HolderId, control: Arc<ControlSocket>) {
    loop {
        match control.recv().await {
            Ok(Received::Message(Message::Ended(conn), None)) => held_ended(&shared, id, conn),
            Ok(Received::Eof) => {
                debug!(holder = id, "registration holder closed its channel");
                break;
            }
            Ok(Received::Message(other, fd)) => {
                warn!(
                    holder = id,
                    "unexpected {other:?}{} from registration holder; ending it",
                    if fd.is_some() {
                        " with a descriptor"
                    } else {
                        ""
                    }
                );
                break;
            }
            Ok(Received::Bad(why)) => {
                warn!(
                    holder = id,
                    "bad message from registration holder ({why}); ending it"
                );
                break;
            }
            Err(e) => {
                warn!(
                    holder = id,
                    "cannot read from registration holder: {e}; ending it"
                );
                break;
            }
        }
    }
    holder_gone(&shared, id);
}

/// Holder `id` closed `conn`: unregister its node, exactly as for an in-process registration.
fn held_ended(shared: &Shared, id: HolderId, conn: ConnId) {
    let mut st = shared.lock();
    match st.closers.get(&conn) {
        Some(Closer::Held { holder, .. }) if *holder == id => {}
        // Already stopped, or not this holder's: nothing to do.
        _ => return,
    }
    if let Some(Closer::Held { name, .. }) = st.closers.remove(&conn) {
        st.holders.ended(id);
        if st.registry.unregister_conn(&name, conn) {
            debug!(%name, holder = id, "unregistered");
        }
    }
}

/// Holder `id` is gone or misbehaved: shut its channel and unregister every node it held.
fn holder_gone(shared: &Shared, id: HolderId) {
    let mut st = shared.lock();
    if !st.holders.remove(id) {
        return;
    }
    let held: Vec<ConnId> = st
        .closers
        .iter()
        .filter_map(|(conn, c)| match c {
            Closer::Held { holder, .. } if *holder == id => Some(*conn),
            _ => None,
        })
        .collect();
    for conn in &held {
        if let Some(Closer::Held { name, .. }) = st.closers.remove(conn) {
            st.registry.unregister_conn(&name, *conn);
        }
    }
    warn!(
        holder = id,
        unregistered = held.len(),
        "registration holder ended; its registrations are unregistered (the nodes will register again)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DaemonConfig;
    use crate::handler::{Outcome, RequestContext};
    use crate::protocol::request::Alive2Params;
    use crate::registry::RegistryLimits;
    use std::io::Read;

    #[test]
    fn plan_follows_the_fd_limit() {
        let p = HolderPlan::new(20_000, Some(PathBuf::from("/bin/epmd")));
        assert_eq!(p.local_budget, 18_976);
        assert_eq!(p.holder_capacity, 19_936);
        assert!(p.capacity() > 50_000);
        let small = HolderPlan::new(300, Some(PathBuf::from("/bin/epmd")));
        assert_eq!(small.local_budget, 225);
        assert_eq!(small.holder_capacity, 236);
        let none = HolderPlan::new(20_000, None);
        assert_eq!(none.capacity(), 18_976);
    }

    /// A relaxed daemon state that hands every registration over (own budget 0) and cannot
    /// start holders (the test plays the holder through `attach`).
    fn shared(max_holders: usize) -> Arc<Shared> {
        let config = DaemonConfig {
            relaxed: true,
            ..DaemonConfig::default()
        };
        let plan = HolderPlan {
            exe: Some(PathBuf::from("/nonexistent/epmd")),
            local_budget: 0,
            holder_capacity: 10,
            max_holders,
        };
        let limits = RegistryLimits {
            max_nodes: 100,
            max_unreg: 10,
        };
        Arc::new(Shared::new(config, limits, plan))
    }

    /// Attaches a fake holder; returns its end of the control channel.
    fn fake_holder(shared: &Arc<Shared>) -> ControlSocket {
        let (ours, theirs) = control::socketpair().unwrap();
        shared.lock().holders.attach(shared, ours).unwrap();
        ControlSocket::new(theirs).unwrap()
    }

    fn ctx(conn: ConnId) -> RequestContext {
        RequestContext {
            local_peer: true,
            relaxed: true,
            epmd_port: 4369,
            conn,
            fd: 9,
            now_unix: 1000,
        }
    }

    /// Registers `name` on a real loopback connection and hands it over; returns the node's end.
    fn register(shared: &Arc<Shared>, name: &str) -> (std::net::TcpStream, ConnId) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let node = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        let conn = shared.next_conn();
        let payload = Alive2Params::new(name, 5000).encode()[2..].to_vec();
        let (outcome, _closed) = shared.handle(&payload, &ctx(conn));
        assert!(matches!(
            outcome,
            Outcome::Alive2 {
                registered: Some(_),
                ..
            }
        ));
        hand_over(
            shared,
            conn,
            name.into(),
            TcpStream::from_std(server).unwrap(),
        );
        (node, conn)
    }

    fn registered(shared: &Shared, name: &str) -> bool {
        shared.lock().registry.lookup(name).is_some()
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        for _ in 0..200 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for: {what}");
    }

    #[tokio::test]
    async fn ended_report_unregisters_and_stop_closes() {
        let shared = shared(1);
        let holder = fake_holder(&shared);
        let (_node_a, conn_a) = register(&shared, "a");
        let Received::Message(Message::Hold(got), Some(_fd)) = holder.recv().await.unwrap() else {
            panic!("expected a hand-over with a descriptor");
        };
        assert_eq!(got, conn_a);
        assert!(registered(&shared, "a"));
        holder.send(Message::Ended(conn_a), None).await.unwrap();
        until("a unregistered", || !registered(&shared, "a")).await;

        let (_node_b, conn_b) = register(&shared, "b");
        assert!(matches!(
            holder.recv().await.unwrap(),
            Received::Message(Message::Hold(c), Some(_)) if c == conn_b
        ));
        let (outcome, _) = shared.handle(b"sb", &ctx(shared.next_conn()));
        assert!(matches!(outcome, Outcome::Stop { stopped: Some(c), .. } if c == conn_b));
        assert!(matches!(
            holder.recv().await.unwrap(),
            Received::Message(Message::Close(c), None) if c == conn_b
        ));
        assert!(!registered(&shared, "b"));
        // A late report for the stopped connection changes nothing.
        holder.send(Message::Ended(conn_b), None).await.unwrap();
        let (_node_c, _) = register(&shared, "c");
        assert!(matches!(
            holder.recv().await.unwrap(),
            Received::Message(Message::Hold(_), Some(_))
        ));
        assert!(registered(&shared, "c"));
    }

    #[tokio::test]
    async fn an_unexpected_message_ends_only_that_holder() {
        let shared = shared(1);
        let holder = fake_holder(&shared);
        let (_node, _) = register(&shared, "c");
        assert!(matches!(
            holder.recv().await.unwrap(),
            Received::Message(Message::Hold(_), Some(_))
        ));
        holder.send(Message::Close(1), None).await.unwrap();
        until("c unregistered", || !registered(&shared, "c")).await;
        assert!(matches!(holder.recv().await.unwrap(), Received::Eof));
        // The daemon goes on: lookups are answered.
        let (outcome, _) = shared.handle(b"n", &ctx(shared.next_conn()));
        assert!(matches!(outcome, Outcome::Reply(_)));
    }

    #[tokio::test]
    async fn a_failed_hand_over_closes_the_connection() {
        // No holder attached and none can be started: the registration is closed.
        let shared = shared(1);
        let (mut node, _) = register(&shared, "d");
        assert!(!registered(&shared, "d"));
        node.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut byte = [0u8; 1];
        assert_eq!(node.read(&mut byte).unwrap(), 0);
    }
}
