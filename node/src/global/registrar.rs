//! The registrar: the one process that runs every register/unregister of this node as OTP's
//! `trans_all_known/1` does: `{set_lock, {global, Self}}` on the boss then on every known node
//! (random backoff and retry on refusal, or when `known` grew meanwhile), the operation
//! multi-called to every node, then `del_lock` on all, boss last. One pid for the whole
//! transaction (trap 12.4.2): BEAM accepts `register` only from a holder of the `global` lock.

use super::lock_client::{del_lock, random_sleep, set_lock_on_nodes, the_boss, SERVER};
use super::locks::GLOBAL_RESOURCE;
use super::Shared;
use crate::process::Process;
use distproto::term::{Pid, Term};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

pub(crate) enum Request {
    Register {
        name: Term,
        pid: Pid,
        method: Term,
        /// `re_register_name`: no check that the name is free.
        force: bool,
        reply: oneshot::Sender<bool>,
    },
    Unregister {
        name: Term,
        reply: oneshot::Sender<()>,
    },
}

pub(crate) async fn run(
    mut process: Process,
    shared: Arc<Shared>,
    mut requests: mpsc::UnboundedReceiver<Request>,
) {
    while let Some(request) = requests.recv().await {
        let nodes = lock_known(&mut process, &shared).await;
        match request {
            Request::Register {
                name,
                pid,
                method,
                force,
                reply,
            } => {
                let free = force
                    || (shared.where_name(&process, &name).is_none()
                        && !shared.names().has_pid(&pid));
                if free {
                    let request =
                        Term::tuple(vec![Term::atom("register"), name, Term::Pid(pid), method]);
                    process.multi_call(&nodes, SERVER, request, None).await;
                }
                let _ = reply.send(free);
            }
            Request::Unregister { name, reply } => {
                let request = Term::tuple(vec![Term::atom("unregister"), name]);
                process.multi_call(&nodes, SERVER, request, None).await;
                let _ = reply.send(());
            }
        }
        release(&mut process, &nodes).await;
    }
}

/// `set_lock_known/2`: the `global` lock on this node and every known one; the nodes locked.
async fn lock_known(process: &mut Process, shared: &Shared) -> Vec<String> {
    let global = Term::atom(GLOBAL_RESOURCE);
    let requester = Term::Pid(process.pid().clone());
    let me = process.node().name().to_string();
    let mut times = 0;
    loop {
        let known = shared.known_nodes();
        let mut nodes = vec![me.clone()];
        nodes.extend(known.iter().cloned());
        let boss = the_boss(&nodes).unwrap_or_else(|| me.clone());
        if set_lock_on_nodes(
            process,
            shared,
            &global,
            &requester,
            std::slice::from_ref(&boss),
        )
        .await
        {
            if set_lock_on_nodes(process, shared, &global, &requester, &nodes).await
                && shared.known_nodes().iter().all(|n| known.contains(n))
            {
                return nodes;
            }
            del_lock(process, &global, &requester, &[boss]).await;
        }
        random_sleep(times).await;
        times += 1;
    }
}

/// `delete_global_lock/2`.
async fn release(process: &mut Process, nodes: &[String]) {
    let global = Term::atom(GLOBAL_RESOURCE);
    let requester = Term::Pid(process.pid().clone());
    let Some(boss) = the_boss(nodes) else { return };
    let others: Vec<String> = nodes.iter().filter(|n| **n != boss).cloned().collect();
    del_lock(process, &global, &requester, &others).await;
    del_lock(process, &global, &requester, &[boss]).await;
}
