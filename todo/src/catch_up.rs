//! Beyond the book: a node that joins copies the lists it lacks, or holds older copies of, from
//! its peers before it serves (`keys/0` then `get/1` on each peer); and a server that starts
//! loads the freshest of its own replica and the peers' (`get/1`), so book peers without `keys/0`
//! are caught up on demand. "Older" means a smaller `next_id`: entries are only ever added.

use crate::database::{Database, DbError};
use crate::database_rpc::MODULE;
use crate::todo_list::TodoList;
use node::{ErpcError, Node, Term};
use std::time::Duration;
use tracing::{info, warn};

/// How long to wait for one peer's answer.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a starting server waits for the peers' copies (its first caller waits too).
const ON_DEMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// What catching up from one peer did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CatchUpReport {
    /// Lists the peer holds.
    pub offered: usize,
    /// Lists copied because this node lacked them or held an older copy.
    pub copied: usize,
    /// The peer has no `keys/0` (a node running the book's code unchanged).
    pub no_keys_function: bool,
}

/// Catches up from every visible node, one after the other; failures are logged, not fatal.
pub async fn catch_up_all(node: &Node, db: &Database) {
    for peer in node.nodes() {
        catch_up_from(node, db, &peer).await;
    }
}

/// Copies from `peer` every list this node lacks or holds an older copy of.
pub async fn catch_up_from(node: &Node, db: &Database, peer: &str) -> CatchUpReport {
    let mut report = CatchUpReport::default();
    let keys = match node
        .erpc_call(peer, MODULE, "keys", Vec::new(), PEER_TIMEOUT)
        .await
        .map(Term::into_list)
    {
        Ok(Ok(keys)) => keys,
        Err(ErpcError::Error { reason, .. }) if reason.as_atom() == Some("undef") => {
            info!(%peer, "peer has no Todo.Database.keys/0 (the book's code): its lists are fetched when first used");
            report.no_keys_function = true;
            return report;
        }
        Ok(Err(other)) => {
            warn!(%peer, reply = %crate::term_text::show(&other), "Todo.Database.keys/0 gave no list; not catching up from it");
            return report;
        }
        Err(e) => {
            warn!(%peer, error = %crate::term_text::show(&e.to_rpc_result()), "cannot ask for its lists; not catching up from it");
            return report;
        }
    };
    for key in keys {
        let Ok(key) = key.into_binary() else { continue };
        report.offered += 1;
        let Some(list) = peer_copy(node, peer, &key, PEER_TIMEOUT).await else {
            continue;
        };
        match db.store_if_newer(&key, &list).await {
            Ok(true) => report.copied += 1,
            Ok(false) => {}
            Err(e) => {
                warn!(list = %String::from_utf8_lossy(&key), error = %e, "cannot store a caught-up list")
            }
        }
    }
    info!(%peer, offered = report.offered, copied = report.copied, "caught up");
    report
}

/// `Todo.Database.get(key)` on `peer`, read as a list; `None` when it has none (or fails).
async fn peer_copy(node: &Node, peer: &str, key: &[u8], timeout: Duration) -> Option<TodoList> {
    let args = vec![Term::binary(key.to_vec())];
    match node.erpc_call(peer, MODULE, "get", args, timeout).await {
        Ok(term) if term.as_atom() == Some("nil") => None,
        Ok(term) => match TodoList::from_term(&term) {
            Ok(list) => Some(list),
            Err(e) => {
                warn!(%peer, list = %String::from_utf8_lossy(key), error = %e, "peer's copy ignored");
                None
            }
        },
        // A node without the todo application (a plain erl node, say) has nothing to offer.
        Err(ErpcError::Error { reason, .. }) if reason.as_atom() == Some("undef") => None,
        Err(e) => {
            warn!(%peer, list = %String::from_utf8_lossy(key), error = %crate::term_text::show(&e.to_rpc_result()), "cannot read the peer's copy");
            None
        }
    }
}

/// The freshest copy of list `key` among this node's replica and every visible node's; a newer
/// peer copy is also written to this node's replica. An unreadable local file is an error only
/// when no peer has a copy (then the error says to move the file away).
pub async fn freshest_copy(
    node: &Node,
    db: &Database,
    key: &[u8],
) -> Result<Option<TodoList>, DbError> {
    let local = db.get(key).await;
    let asks: Vec<_> = node
        .nodes()
        .into_iter()
        .map(|peer| {
            let (node, key) = (node.clone(), key.to_vec());
            tokio::spawn(async move { peer_copy(&node, &peer, &key, ON_DEMAND_TIMEOUT).await })
        })
        .collect();
    let mut best: Option<TodoList> = None;
    for ask in asks {
        if let Ok(Some(copy)) = ask.await {
            if best.as_ref().is_none_or(|b| copy.next_id > b.next_id) {
                best = Some(copy);
            }
        }
    }
    match (local, best) {
        (Ok(local), None) => Ok(local),
        (Err(e), None) => Err(e),
        (local, Some(peer)) => {
            let local = local.ok().flatten();
            if local.as_ref().is_some_and(|l| l.next_id >= peer.next_id) {
                return Ok(local);
            }
            if let Err(e) = db.store_if_newer(key, &peer).await {
                warn!(list = %String::from_utf8_lossy(key), error = %e, "cannot store the peer's newer copy");
            }
            Ok(Some(peer))
        }
    }
}
