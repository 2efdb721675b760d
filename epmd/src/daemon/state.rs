//! The daemon's shared state: the registry plus a way to close each registration connection
//! (for STOP_REQ). Every registry change happens under one short lock, never across an await.

use crate::config::DaemonConfig;
use crate::handler::{do_request, request_name, Outcome, RequestContext};
use crate::registry::{ConnId, Registry, RegistryLimits};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Registry and registration-connection closers.
pub struct State {
    pub registry: Registry,
    closers: HashMap<ConnId, oneshot::Sender<()>>,
}

/// What every connection task shares.
pub struct Shared {
    pub config: DaemonConfig,
    state: Mutex<State>,
    next_conn: AtomicU64,
}

impl Shared {
    pub fn new(config: DaemonConfig, limits: RegistryLimits) -> Self {
        Shared {
            config,
            state: Mutex::new(State {
                registry: Registry::new(limits),
                closers: HashMap::new(),
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
    /// closes it; a STOP fires the stopped node's receiver.
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
                st.closers.insert(ctx.conn, tx);
                closed = Some(rx);
            }
            Outcome::Stop {
                stopped: Some(conn),
                ..
            } => {
                if let Some(tx) = st.closers.remove(conn) {
                    let _ = tx.send(());
                }
            }
            _ => {}
        }
        (outcome, closed)
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
            st.closers.remove(&holder);
        }
    }
}
