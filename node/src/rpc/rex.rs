//! `rex`, the rpc server process of every node: `rpc:block_call` and C-node style clients reach
//! it with `{call, M, F, A, GL}`; BEAM nodes ask it `features_request` when they connect. Each
//! call runs in its own process so a slow call never holds up the next.

use super::Exception;
use crate::gen_server::GenCall;
use crate::node::Node;
use crate::process::SpawnOptions;
use distproto::term::{Pid, Term};
use tracing::debug;

pub(crate) fn start(node: &Node) {
    let mut rex = node.spawn_process();
    rex.register("rex");
    let node = node.clone();
    tokio::spawn(async move {
        while let Some(message) = rex.mailbox.recv().await {
            serve(&node, &rex, message).await;
        }
    });
}

/// `{call, M, F, A, GL}` / `{block_call, ...}` / `{cast, ...}`, taken apart.
struct Mfa {
    module: Term,
    function: Term,
    args: Vec<Term>,
    group_leader: Option<Pid>,
}

fn parse_mfa(request: &Term, tag: &str) -> Option<Mfa> {
    let Term::Tuple(items) = request else {
        return None;
    };
    let [label, module, function, Term::List(args), gl] = items.as_slice() else {
        return None;
    };
    if label.as_atom() != Some(tag) {
        return None;
    }
    Some(Mfa {
        module: module.clone(),
        function: function.clone(),
        args: args.clone(),
        group_leader: match gl {
            Term::Pid(pid) => Some(pid.clone()),
            _ => None,
        },
    })
}

async fn serve(node: &Node, rex: &crate::Process, message: Term) {
    if let Some((call, request)) = GenCall::parse(&message) {
        let mfa = parse_mfa(request, "call").or_else(|| parse_mfa(request, "block_call"));
        match mfa {
            Some(mfa) => {
                let node2 = node.clone();
                node.spawn_opt(options(&mfa), move |worker| async move {
                    let me = worker.pid().clone();
                    let result = rpc_result(
                        node2
                            .apply(
                                worker,
                                Some(call.from.clone()),
                                &mfa.module,
                                &mfa.function,
                                mfa.args,
                            )
                            .await,
                    );
                    call.reply(&node2, &me, result).await;
                });
            }
            None => debug!(?request, "rex: unknown call"),
        }
        return;
    }
    let Term::Tuple(items) = &message else {
        return;
    };
    match items.as_slice() {
        [label, request] if label.as_atom() == Some("$gen_cast") => {
            if let Some(mfa) = parse_mfa(request, "cast") {
                let node2 = node.clone();
                node.spawn_opt(options(&mfa), move |worker| async move {
                    let _ = node2
                        .apply(worker, None, &mfa.module, &mfa.function, mfa.args)
                        .await;
                });
            }
        }
        [Term::Pid(from), request] if request.as_atom() == Some("features_request") => {
            let reply = Term::tuple(vec![
                Term::atom("features_reply"),
                Term::atom(node.name()),
                Term::list(vec![Term::atom("erpc")]),
            ]);
            rex.send(from, reply).await;
        }
        [Term::Pid(from), request] => {
            if let Some(mfa) = parse_mfa(request, "call") {
                let (node2, from) = (node.clone(), from.clone());
                node.spawn_opt(options(&mfa), move |worker| async move {
                    let me = worker.pid().clone();
                    let result = rpc_result(
                        node2
                            .apply(
                                worker,
                                Some(from.clone()),
                                &mfa.module,
                                &mfa.function,
                                mfa.args,
                            )
                            .await,
                    );
                    node2
                        .send(
                            Some(&me),
                            &from,
                            Term::tuple(vec![Term::atom("rex"), result]),
                        )
                        .await;
                });
            } else if let Term::Tuple(send) = request {
                if let [label, Term::Atom(name), msg] = send.as_slice() {
                    if label.as_atom() == Some("send") {
                        let wrapped = Term::tuple(vec![Term::Pid(from.clone()), msg.clone()]);
                        node.inner.deliver_to_name(name, wrapped);
                    }
                }
            }
        }
        _ => debug!(?message, "rex: message ignored"),
    }
}

fn options(mfa: &Mfa) -> SpawnOptions {
    SpawnOptions {
        group_leader: mfa.group_leader.clone(),
        ..SpawnOptions::default()
    }
}

/// What `rpc:call` returns for an outcome: the value, a thrown value, or `{badrpc, {'EXIT', X}}`.
pub(crate) fn rpc_result(result: Result<Term, Exception>) -> Term {
    let exit = |x: Term| {
        Term::tuple(vec![
            Term::atom("badrpc"),
            Term::tuple(vec![Term::atom("EXIT"), x]),
        ])
    };
    match result {
        Ok(value) => value,
        Err(Exception::Throw(value)) => value,
        Err(Exception::Exit(reason)) => exit(reason),
        Err(Exception::Error { reason, stack }) => exit(Term::tuple(vec![reason, stack])),
    }
}
