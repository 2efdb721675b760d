//! The daemon's shared state: the registry, a way to close each registration connection (for
//! STOP_REQ) wherever it is kept, and the registration holders. One short lock, never across an await.

use super::holders::{HolderId, HolderPlan, HolderPool, Placement};
use crate::config::DaemonConfig;
use crate::handler::{do_request, request_name, Outcome, RequestContext};
use crate::registry::{ConnId, Registry, RegistryLimits};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// How to close a registration connection.
pub enum Closer {
    /// Kept by a task of the daemon: firing (or dropping) the sender closes it.
    Local(oneshot::Sender<()>),
    /// Kept by a registration holder.
    Held { holder: HolderId, name: Arc<str> },
}

/// Registry, registration-connection closers and holders.
pub struct State {
    pub registry: Registry,
    pub closers: HashMap<ConnId, Closer>,
    pub holders: HolderPool,
}

impl State {
    /// Closes registration connection `conn` wherever it is kept (its node is already
    /// unregistered or about to be).
    fn close_registration(&mut self, conn: ConnId) {
        match self.closers.remove(&conn) {
            Some(Closer::Local(tx)) => {
                let _ = tx.send(());
            }
            Some(Closer::Held { holder, .. }) => self.holders.close(holder, conn),
            None => {}
        }
    }
}

/// What every connection task shares.
pub struct Shared {
    pub config: DaemonConfig,
    state: Mutex<State>,
    next_conn: AtomicU64,
}

impl Shared {
    pub fn new(config: DaemonConfig, limits: RegistryLimits, plan: HolderPlan) -> Self {
        Shared {
            config,
            state: Mutex::new(State {
                registry: Registry::new(limits),
                closers: HashMap::new(),
                holders: HolderPool::new(plan),
            }),
            next_conn: AtomicU64::new(1),
        }
    }

    /// A fresh connection id.
    pub fn next_conn(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The state, even if a task panicked while holding it (the registry stays consistent
    /// because no method of it can panic half-way).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one request. A new registration also returns the receiver that fires when STOP_REQ
    /// closes it; a STOP closes the stopped node's connection.
    pub fn handle(
        &self,
        payload: &[u8],
        ctx: &RequestContext,
    ) -> (Outcome, Option<oneshot::Receiver<()>>) {
        if tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(conn = ctx.conn, request = %payload.escape_ascii(), "got request");
        }
        let mut st = self.lock();
        let outcome = do_request(&mut st.registry, payload, ctx);
        tracing::debug!(
            conn = ctx.conn,
            request = request_name(payload.first().copied()),
            "{}",
            outcome.describe()
        );
        let mut closed = None;
        match &outcome {
            Outcome::Alive2 {
                registered: Some(_),
                ..
            } => {
                let (tx, rx) = oneshot::channel();
                st.closers.insert(ctx.conn, Closer::Local(tx));
                closed = Some(rx);
            }
            Outcome::Stop {
                stopped: Some(conn),
                ..
            } => st.close_registration(*conn),
            _ => {}
        }
        (outcome, closed)
    }

    /// Where the socket of a registration whose reply was written goes.
    pub fn place_registration(&self) -> Placement {
        self.lock().holders.place()
    }

    /// A registration socket kept in-process ended.
    pub fn local_ended(&self) {
        self.lock().holders.local_ended();
    }

    /// The registration connection `conn` for `name` ended.
    pub fn unregister_conn(&self, name: &str, conn: ConnId) -> bool {
        let mut st = self.lock();
        st.closers.remove(&conn);
        st.registry.unregister_conn(name, conn)
    }

    /// Writing the ALIVE2 reply failed: unregister the name, as OTP does (whoever holds it).
    pub fn unregister_name(&self, name: &str, conn: ConnId) {
        let mut st = self.lock();
        st.closers.remove(&conn);
        if let Some(holder) = st.registry.unregister_name(name) {
            st.close_registration(holder);
        }
    }
}
