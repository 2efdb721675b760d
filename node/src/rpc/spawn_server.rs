//! SPAWN_REQUEST from a peer: what `erpc:call`, `rpc:call`, `rpc:multicall`, `erpc:cast` and
//! `Node.spawn` send. Replies SPAWN_REPLY first, then runs the call in a new process whose exit
//! reason carries the result (`{ResRef, return, V}` and friends, as `erpc:execute_call/4` does).

use super::Exception;
use crate::connection::LinkHandle;
use crate::node::{Node, NodeInner};
use crate::process::SpawnOptions;
use distproto::control::{ControlMessage, SpawnReply, SpawnRequest};
use distproto::term::Term;
use std::sync::Arc;
use tracing::{debug, warn};

pub(crate) fn serve_spawn_request(
    inner: &Arc<NodeInner>,
    link: &LinkHandle,
    request: SpawnRequest,
    args: Term,
) {
    let reply = |flags: u32, result: Term| {
        link.send(
            ControlMessage::SpawnReply(SpawnReply {
                req_id: request.req_id.clone(),
                to: request.from.clone(),
                flags,
                result,
            }),
            None,
        );
    };
    let Ok(args) = args.into_list() else {
        reply(0, Term::atom("badarg"));
        return;
    };
    let (mut want_link, mut want_monitor) = (false, false);
    if let Term::List(opts) = &request.opts {
        for opt in opts {
            match opt.as_atom() {
                Some("link") => want_link = true,
                Some("monitor") => want_monitor = true,
                _ => {}
            }
        }
    } else if !request.opts.is_nil() {
        reply(0, Term::atom("badopt"));
        return;
    }
    let options = SpawnOptions {
        group_leader: Some(request.group_leader.clone()),
        link: want_link.then(|| request.from.clone()),
        monitor: want_monitor.then(|| (request.from.clone(), request.req_id.clone())),
    };
    let flags = u32::from(want_link) | (u32::from(want_monitor) << 1);
    let node = Node {
        inner: inner.clone(),
    };
    let caller = request.from.clone();
    let (module, function) = (
        Term::Atom(request.module.clone()),
        Term::Atom(request.function.clone()),
    );
    let kind = match (
        request.module.as_str(),
        request.function.as_str(),
        args.len(),
    ) {
        ("erpc", "execute_call", 4) => Kind::ExecuteCall,
        ("erpc", "execute_cast", 3) => Kind::ExecuteCast,
        _ => Kind::Spawn,
    };
    debug!(module = %request.module.as_str(), function = %request.function.as_str(), "spawn request");
    node.clone().spawn_announced(
        options,
        |pid| reply(flags, Term::Pid(pid.clone())),
        move |process| async move {
            match kind {
                Kind::ExecuteCall => execute_call(&node, process, caller, args).await,
                Kind::ExecuteCast => execute_cast(&node, process, caller, args).await,
                Kind::Spawn => match node
                    .apply(process, Some(caller), &module, &function, args)
                    .await
                {
                    Ok(_) => Term::atom("normal"),
                    Err(exception) => {
                        warn!(?exception, "spawned function failed");
                        exception.exit_reason()
                    }
                },
            }
        },
    );
}

enum Kind {
    ExecuteCall,
    ExecuteCast,
    Spawn,
}

/// `erpc:execute_call(ResRef, M, F, A)`: the result travels as the exit reason.
async fn execute_call(
    node: &Node,
    process: crate::Process,
    caller: distproto::term::Pid,
    args: Vec<Term>,
) -> Term {
    let mut args = args.into_iter();
    let (Some(res_ref), Some(module), Some(function), Some(call_args)) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Term::atom("badarg");
    };
    let Ok(call_args) = call_args.into_list() else {
        return Term::tuple(vec![
            res_ref,
            Term::atom("error"),
            Term::tuple(vec![Term::atom("erpc"), Term::atom("badarg")]),
        ]);
    };
    match node
        .apply(process, Some(caller), &module, &function, call_args)
        .await
    {
        Ok(value) => Term::tuple(vec![res_ref, Term::atom("return"), value]),
        Err(Exception::Throw(value)) => Term::tuple(vec![res_ref, Term::atom("throw"), value]),
        Err(Exception::Exit(reason)) => Term::tuple(vec![res_ref, Term::atom("exit"), reason]),
        Err(Exception::Error { reason, stack }) => {
            Term::tuple(vec![res_ref, Term::atom("error"), reason, stack])
        }
    }
}

/// `erpc:execute_cast(M, F, A)`: runs the call; failures are logged, as OTP logs them.
async fn execute_cast(
    node: &Node,
    process: crate::Process,
    caller: distproto::term::Pid,
    args: Vec<Term>,
) -> Term {
    let mut args = args.into_iter();
    let (Some(module), Some(function), Some(call_args)) = (args.next(), args.next(), args.next())
    else {
        return Term::atom("normal");
    };
    let Ok(call_args) = call_args.into_list() else {
        return Term::atom("normal");
    };
    if let Err(exception) = node
        .apply(process, Some(caller), &module, &function, call_args)
        .await
    {
        warn!(?exception, "rpc cast failed");
    }
    Term::atom("normal")
}
