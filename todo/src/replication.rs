//! `Todo.Database.store/2`: write a list on this node and on every visible node at once, as the
//! book's `:rpc.multicall(Todo.Database, :store_local, [Key, Data], 5000)` does (erpc spawn
//! requests on OTP 25), waiting at most 5 s and naming every node that failed.

use node::{Node, Term};
use std::time::Duration;
use tracing::warn;

/// How long a store waits for the slowest node, as the book's multicall.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a store reached: the nodes that answered `ok` and those that did not (with why).
#[derive(Debug, Default)]
pub struct StoreOutcome {
    pub stored_on: Vec<String>,
    pub failed: Vec<(String, String)>,
}

/// Stores `list` under `key` on `[node() | nodes()]`; every failure is printed as the book does
/// ("Store failed on node N") and logged with its reason.
pub async fn store(node: &Node, key: &[u8], list: Term) -> StoreOutcome {
    let mut nodes = vec![node.name().to_string()];
    nodes.extend(node.nodes());
    let calls: Vec<_> = nodes
        .into_iter()
        .map(|target| {
            let node = node.clone();
            let args = vec![Term::binary(key.to_vec()), list.clone()];
            tokio::spawn(async move {
                let result = node
                    .erpc_call(
                        &target,
                        "Elixir.Todo.Database",
                        "store_local",
                        args,
                        STORE_TIMEOUT,
                    )
                    .await;
                (target, result)
            })
        })
        .collect();
    let mut outcome = StoreOutcome::default();
    for call in calls {
        let Ok((target, result)) = call.await else {
            continue;
        };
        match result {
            Ok(reply) if reply.as_atom() == Some("ok") => outcome.stored_on.push(target),
            Ok(other) => outcome.failed.push((
                target,
                format!("replied {}", crate::term_text::show(&other)),
            )),
            Err(e) => outcome
                .failed
                .push((target, crate::term_text::show(&e.to_rpc_result()))),
        }
    }
    for (target, why) in &outcome.failed {
        println!("Store failed on node {target}");
        warn!(node = %target, list = %String::from_utf8_lossy(key), %why, "store failed");
    }
    outcome
}
