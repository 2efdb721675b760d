//! Taking and releasing global locks as a holder, the way `global:set_lock/3` and `del_lock/2`
//! do: `{set_lock, Id}` multi-called to the name servers of the nodes, released again where it
//! was granted when any node refuses, retried after a random sleep. The calling process is the
//! holder: set_lock and del_lock must come from the same pid (trap 12.4.2).

use super::Shared;
use crate::process::Process;
use distproto::term::Term;
use std::time::Duration;

pub(crate) const SERVER: &str = "global_name_server";

/// `{ResourceId, LockRequesterId}`.
pub(crate) fn lock_id(resource: &Term, requester: &Term) -> Term {
    Term::tuple(vec![resource.clone(), requester.clone()])
}

/// `lists:max(Nodes)`: the boss of a partition.
pub(crate) fn the_boss(nodes: &[String]) -> Option<String> {
    nodes.iter().max().cloned()
}

/// `set_lock_on_nodes/2`: one round, no retry.
pub(crate) async fn set_lock_on_nodes(
    process: &mut Process,
    shared: &Shared,
    resource: &Term,
    requester: &Term,
    nodes: &[String],
) -> bool {
    if nodes.is_empty() {
        return true;
    }
    let me = process.node().name().to_string();
    if nodes.len() > 1 && nodes.contains(&me) && !shared.locks().can_set(resource, requester) {
        return false;
    }
    let request = Term::tuple(vec![Term::atom("set_lock"), lock_id(resource, requester)]);
    let (replies, _bad) = process.multi_call(nodes, SERVER, request, None).await;
    if replies.iter().all(|(_, r)| r.as_atom() == Some("true")) {
        return true;
    }
    if replies.len() > 1 {
        let granted: Vec<String> = replies
            .iter()
            .filter(|(_, r)| r.as_atom() == Some("true"))
            .map(|(n, _)| n.clone())
            .collect();
        del_lock(process, resource, requester, &granted).await;
    }
    false
}

/// `global:del_lock(Id, Nodes)`.
pub(crate) async fn del_lock(
    process: &mut Process,
    resource: &Term,
    requester: &Term,
    nodes: &[String],
) {
    if nodes.is_empty() {
        return;
    }
    let request = Term::tuple(vec![Term::atom("del_lock"), lock_id(resource, requester)]);
    process.multi_call(nodes, SERVER, request, None).await;
}

/// `global:set_lock(Id, Nodes, Retries)`: `None` retries forever.
pub(crate) async fn set_lock(
    process: &mut Process,
    shared: &Shared,
    resource: &Term,
    requester: &Term,
    nodes: &[String],
    retries: Option<u32>,
) -> bool {
    let mut left = retries;
    let mut times = 1;
    loop {
        if set_lock_on_nodes(process, shared, resource, requester, nodes).await {
            return true;
        }
        match left {
            Some(0) => return false,
            Some(n) => left = Some(n - 1),
            None => {}
        }
        random_sleep(times).await;
        times += 1;
    }
}

/// `random_sleep/1`: uniform in 1..=Tmax ms, Tmax 125 ms doubling per retry up to 8 s.
pub(crate) async fn random_sleep(times: u32) {
    let tmax: u64 = if times > 5 {
        8000
    } else {
        ((1u64 << times) * 1000) / 8
    };
    let ms = 1 + random_u64() % tmax.max(1);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

pub(crate) fn random_u64() -> u64 {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(7);
        return u64::from(nanos);
    }
    u64::from_le_bytes(bytes)
}
