//! Name conflicts when two partitions sync (`exchange_names/4`), and `global:resolve_it/4` for
//! our pids: OTP's three methods (`random_exit_name`, the default, keeps the pid on the lower node
//! name and kills the other; `random_notify_name`; `notify_all_name`). Conflicts are resolved by
//! the node whose name sorts lower, on the node of the pid it holds, as OTP does.

use super::Shared;
use crate::node::Node;
use crate::process::Process;
use crate::rpc::Exception;
use distproto::term::{Fun, Pid, Term};
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

/// How long a conflict's `resolve_it` rpc may take before the peer's pid wins (`badrpc`).
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(30);

/// `fun global:random_exit_name/3`, the method our registrations carry.
pub(crate) fn default_method() -> Term {
    Term::Fun(Fun::Export(Box::new(distproto::term::ExportFun {
        module: distproto::term::Atom::new("global").expect("atom"),
        function: distproto::term::Atom::new("random_exit_name").expect("atom"),
        arity: 3,
    })))
}

enum Method {
    Exit,
    Notify,
    NotifyAll,
}

fn method_of(method: &Term) -> Method {
    match method {
        Term::Fun(Fun::Export(f)) if f.module.as_str() == "global" => match f.function.as_str() {
            "random_notify_name" => Method::Notify,
            "notify_all_name" => Method::NotifyAll,
            _ => Method::Exit,
        },
        // The default `fun random_exit_name/3` arrives as a local fun of module global; any other
        // fun cannot run here, and gets the default.
        _ => Method::Exit,
    }
}

fn minmax(p1: &Pid, p2: &Pid) -> (Pid, Pid) {
    if p1.node.as_str() < p2.node.as_str() {
        (p1.clone(), p2.clone())
    } else {
        (p2.clone(), p1.clone())
    }
}

/// `global:resolve_it(Method, Name, Pid1, Pid2)` run by `process` on this node.
pub(crate) async fn resolve_it(
    process: &Process,
    method: &Term,
    name: &Term,
    p1: &Pid,
    p2: &Pid,
) -> Term {
    let conflict = Term::atom("global_name_conflict");
    match method_of(method) {
        Method::Exit => {
            let (min, max) = minmax(p1, p2);
            info!(name = ?name, loser = ?max, "global: name conflict, terminating the loser");
            process.exit_signal(&max, Term::atom("kill")).await;
            Term::Pid(min)
        }
        Method::Notify => {
            let (min, max) = minmax(p1, p2);
            process
                .send(&max, Term::tuple(vec![conflict, name.clone()]))
                .await;
            Term::Pid(min)
        }
        Method::NotifyAll => {
            let m1 = Term::tuple(vec![conflict.clone(), name.clone(), Term::Pid(p2.clone())]);
            let m2 = Term::tuple(vec![conflict, name.clone(), Term::Pid(p1.clone())]);
            process.send(p1, m1).await;
            process.send(p2, m2).await;
            Term::atom("none")
        }
    }
}

/// Serves `global:resolve_it/4` to BEAM resolvers whose conflicting pid is ours.
pub(crate) fn register_resolve_it(node: &Node) {
    node.register_function("global", "resolve_it", 4, |ctx, args| async move {
        match args.as_slice() {
            [method, name, Term::Pid(p1), Term::Pid(p2)] => {
                Ok(resolve_it(&ctx.process, method, name, p1, p2).await)
            }
            _ => Err(Exception::badarg()),
        }
    });
}

/// `exchange_names/4`: the peer's whole table against ours. Returns `(Ops, Resolved)`: what we
/// apply, and what we tell the peer to apply.
pub(crate) async fn exchange_names(
    node: &Node,
    shared: &Arc<Shared>,
    peer: &str,
    list: &Term,
) -> (Vec<Term>, Vec<Term>) {
    let mut ops = Vec::new();
    let mut res = Vec::new();
    let Term::List(entries) = list else {
        return (ops, res);
    };
    let insert = |name: &Term, pid: &Pid, method: &Term| {
        Term::tuple(vec![
            Term::atom("insert"),
            Term::tuple(vec![name.clone(), Term::Pid(pid.clone()), method.clone()]),
        ])
    };
    for entry in entries {
        let Term::Tuple(parts) = entry else { continue };
        let [name, Term::Pid(pid), method] = parts.as_slice() else {
            continue;
        };
        let existing = shared.names().get(name).cloned();
        match existing {
            Some(e) if e.pid == *pid => {}
            Some(e) if node.name() < peer => {
                let pid2 = e.pid.clone();
                let winner = if pid2.node.as_str() == node.name() {
                    let process = node.spawn_process();
                    resolve_it(&process, &e.method, name, pid, &pid2).await
                } else {
                    let args = vec![
                        e.method.clone(),
                        name.clone(),
                        Term::Pid(pid.clone()),
                        Term::Pid(pid2.clone()),
                    ];
                    node.rpc_call(
                        pid2.node.as_str(),
                        "global",
                        "resolve_it",
                        args,
                        RESOLVE_TIMEOUT,
                    )
                    .await
                };
                match &winner {
                    Term::Pid(w) if w == pid => ops.push(insert(name, pid, method)),
                    Term::Pid(w) if *w == pid2 => res.push(insert(name, &pid2, &e.method)),
                    Term::Atom(a) if a.as_str() == "none" => {
                        let op = Term::tuple(vec![Term::atom("delete"), name.clone()]);
                        ops.push(op.clone());
                        res.push(op);
                    }
                    Term::Tuple(t) if t.first().and_then(Term::as_atom) == Some("badrpc") => {
                        info!(
                            ?name,
                            ?winner,
                            "global: badrpc when resolving a conflicting name"
                        );
                        ops.push(insert(name, pid, method));
                    }
                    _ => {
                        let op = Term::tuple(vec![Term::atom("delete"), name.clone()]);
                        ops.push(op.clone());
                        res.push(op);
                    }
                }
            }
            Some(_) => {}
            None => ops.push(insert(name, pid, method)),
        }
    }
    (ops, res)
}
