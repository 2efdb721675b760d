//! The book's partition detection (`:net_kernel.monitor_nodes(true)` in a NodeMonitor): prints
//! "Node connected: N" / "Node disconnected: N" for visible nodes, and, once this node serves,
//! catches up from a node that (re)connects, since it may hold writes this node missed.

use crate::catch_up;
use crate::database::Database;
use node::{Node, NodeEvent};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tracing::{info, warn};

/// Starts watching; `serving` turns on once the start-up catch-up is done.
pub fn start(node: Node, db: Arc<Database>, serving: Arc<AtomicBool>) {
    let mut events = node.monitor_nodes();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(NodeEvent::Up {
                    node: peer,
                    hidden: false,
                }) => {
                    println!("Node connected: {peer}");
                    info!(node = %peer, "nodeup");
                    if serving.load(Ordering::Acquire) {
                        let (node, db) = (node.clone(), db.clone());
                        tokio::spawn(
                            async move { catch_up::catch_up_from(&node, &db, &peer).await },
                        );
                    }
                }
                Ok(NodeEvent::Down {
                    node: peer,
                    hidden: false,
                    reason,
                }) => {
                    println!("Node disconnected: {peer}");
                    info!(node = %peer, %reason, "nodedown");
                }
                Ok(_) => {} // hidden nodes: monitor_nodes(true) does not report them either
                Err(RecvError::Lagged(missed)) => warn!(missed, "missed node events"),
                Err(RecvError::Closed) => return,
            }
        }
    });
}
