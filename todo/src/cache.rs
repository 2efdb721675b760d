//! `Todo.Cache.server_process/1`: the pid of the list's server wherever it runs in the cluster,
//! found with a local `:global` lookup first and started on this node only when absent. Two nodes
//! starting the same list at once end with one server: the loser uses the winner's pid.

use crate::database::Database;
use crate::server::{TodoServer, INIT};
use node::{Global, Node, Pid, Term};
use std::sync::Arc;
use std::time::Duration;
use tracing::debug;

/// Everything needed to find or start a list's server.
pub struct Cache {
    node: Node,
    global: Global,
    db: Arc<Database>,
    expiry: Duration,
}

/// Why no server could be had.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the list's server name is registered and unregistered again and again; try again")]
    Unsettled,
}

/// `{'Elixir.Todo.Server', <<Name>>}`: the list's global name.
pub fn global_name(list: &[u8]) -> Term {
    Term::tuple(vec![
        Term::atom("Elixir.Todo.Server"),
        Term::binary(list.to_vec()),
    ])
}

impl Cache {
    pub fn new(node: Node, global: Global, db: Arc<Database>, expiry: Duration) -> Cache {
        Cache {
            node,
            global,
            db,
            expiry,
        }
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// `Todo.Server.whereis/1`: a read of this node's `:global` table (no message sent).
    pub fn whereis(&self, list: &[u8]) -> Option<Pid> {
        self.global.whereis_name(&global_name(list))
    }

    /// Waits (at most `limit`) until this node's `:global` no longer names `dead` as the list's
    /// server: a call can see a server's end (`noproc`, `noconnection`) a moment before global
    /// drops its name, and a lookup in between would find the dead pid again.
    pub async fn wait_until_gone(&self, list: &[u8], dead: &Pid, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.whereis(list).as_ref() == Some(dead) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// `server_process(Name)`: the running server, or a new one on this node.
    pub async fn server_process(&self, list: &[u8]) -> Result<Pid, CacheError> {
        let name = global_name(list);
        // A few rounds cover a server that expires just as we find it taken.
        for _ in 0..5 {
            if let Some(pid) = self.global.whereis_name(&name) {
                return Ok(pid);
            }
            let server = TodoServer::new(list.to_vec(), self.db.clone(), self.expiry);
            let Some(pid) = self.node.start_gen_server(None, server) else {
                continue;
            };
            // As gen's start with {global, Name}: register (under global's lock on every node)
            // before the server does anything; the loser of a race stops unseen.
            if self.global.register_name(name.clone(), &pid).await {
                let starter = self.node.spawn_process();
                starter.send(&pid, Term::atom(INIT)).await;
                return Ok(pid);
            }
            debug!(list = %String::from_utf8_lossy(list), "another node registered the list's server first");
            let starter = self.node.spawn_process();
            starter.exit_signal(&pid, Term::atom("kill")).await;
        }
        Err(CacheError::Unsettled)
    }
}
