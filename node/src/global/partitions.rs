//! Node loss and prevent_overlapping_partitions (OTP 25's default): a lost connection is
//! multicast as `lost_connection` to every node we know; a node told of a loss by someone else
//! asks the lost node to leave (`remove_connection`) and forgets it; `remove_connection` to us
//! makes us disconnect. Names and locks of a lost node go with its monitors (`noconnection`).

use super::server::Server;
use distproto::term::{Atom, Term};
use tracing::warn;

/// global's protocol version that introduced lost_connection (`?pop_vsn`).
const POP_VSN: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeDown {
    /// The connection went down on its own.
    Disconnected,
    /// We dropped it to prevent overlapping partitions.
    RemoveConnection,
}

impl Server {
    /// `handle_nodedown/3`.
    pub(super) async fn handle_nodedown(&mut self, node: Atom, what: NodeDown) {
        self.forget_session(&node).await;
        match what {
            NodeDown::RemoveConnection => {
                self.removing.insert(node.clone());
            }
            NodeDown::Disconnected => {
                if !self.removing.remove(&node) {
                    self.inform_connection_loss(&node).await;
                }
            }
        }
        self.pending.remove(&node);
        self.known.remove(&node);
        self.synced.retain(|n| *n != node);
    }

    async fn inform_connection_loss(&self, node: &Atom) {
        let message = Term::tuple(vec![
            Term::atom("lost_connection"),
            Term::Atom(self.me.clone()),
            Term::Integer(i64::from(self.node.creation())),
            Term::Integer(super::connect::unique_integer()),
            Term::Atom(node.clone()),
        ]);
        self.multicast(message, node).await;
    }

    /// `gns_volatile_multicast/5` to known and pending nodes of vsn >= 7 but `except`.
    async fn multicast(&self, message: Term, except: &Atom) {
        let mut targets: Vec<Atom> = Vec::new();
        for (n, v) in self.known.iter().chain(self.pending.iter()) {
            if n != except && *v >= POP_VSN && !targets.contains(n) {
                targets.push(n.clone());
            }
        }
        for n in targets {
            self.volatile_send(&n, message.clone()).await;
        }
    }

    fn potentially_known(&self, node: &Atom) -> bool {
        self.known.contains_key(node) || self.pending.contains_key(node)
    }

    /// NodeA reports it lost NodeB: pass it on, and if we still know B, have it leave us.
    pub(super) async fn lost_connection(
        &mut self,
        message: Term,
        a: Atom,
        x_creation: Term,
        op_id: Term,
        b: Atom,
    ) {
        let key = (a.clone(), b.clone());
        if let Some((x, op)) = self.lost.get(&key) {
            if *x == x_creation && op_id.erlang_cmp(op) != std::cmp::Ordering::Greater {
                return;
            }
        }
        self.multicast(message, &a).await;
        self.lost.insert(key, (x_creation, op_id));
        let remove = if b == self.me { a } else { b };
        if !self.potentially_known(&remove) {
            return;
        }
        let vsn = self
            .known
            .get(&remove)
            .or_else(|| self.pending.get(&remove))
            .copied()
            .unwrap_or(0);
        if vsn < POP_VSN {
            self.node.disconnect_node(remove.as_str());
        } else {
            let request = Term::tuple(vec![
                Term::atom("remove_connection"),
                Term::Atom(self.me.clone()),
            ]);
            self.volatile_send(&remove, request).await;
        }
        warn!(
            "'global' at node {} requested disconnect from node {} in order to prevent overlapping partitions",
            self.me.as_str(),
            remove.as_str()
        );
        self.handle_nodedown(remove, NodeDown::RemoveConnection)
            .await;
    }

    /// Another node asks us to drop our connection to it.
    pub(super) async fn remove_connection(&mut self, node: Atom) {
        if !self.potentially_known(&node) {
            return;
        }
        self.node.disconnect_node(node.as_str());
        self.handle_nodedown(node.clone(), NodeDown::RemoveConnection)
            .await;
        warn!(
            "'global' at node {} disconnected node {} in order to prevent overlapping partitions",
            self.me.as_str(),
            node.as_str()
        );
    }
}
