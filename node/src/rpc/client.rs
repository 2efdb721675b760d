//! Calling other nodes from Rust the way OTP 25's `erpc` and `rpc` do: a SPAWN_REQUEST of
//! `erpc:execute_call/4` with a monitor, the result read from the monitor's exit reason, and the
//! same results and errors (`{badrpc, Reason}` for `rpc`) a BEAM caller gets.

use super::rex::rpc_result;
use super::Exception;
use crate::node::Node;
use crate::process::state::Monitoring;
use distproto::control::{ControlMessage, ProcRef, SpawnRequest};
use distproto::handshake::DistFlags;
use distproto::term::{Atom, Pid, Reference, Term};
use std::time::Duration;

/// Why an `erpc` call did not return a value: the exceptions `erpc:call/5` raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErpcError {
    /// The function threw `Value` (erpc re-throws it).
    Throw(Term),
    /// The function exited: `exit({exception, Reason})` in erpc.
    Exit(Term),
    /// The function raised an error: `error({exception, Reason, Stack})` in erpc.
    Error { reason: Term, stack: Term },
    /// erpc's own errors: `timeout`, `noconnection`, `notsup`, `badarg`, `system_limit`...
    Erpc(Term),
    /// The process running the call was killed by a signal: `exit({signal, Reason})`.
    Signal(Term),
}

impl ErpcError {
    /// The value `rpc:call/5` returns for this failure (`{badrpc, ...}` or a thrown value).
    pub fn to_rpc_result(&self) -> Term {
        let badrpc = |x: Term| Term::tuple(vec![Term::atom("badrpc"), x]);
        match self {
            ErpcError::Throw(v) => rpc_result(Err(Exception::Throw(v.clone()))),
            ErpcError::Exit(x) => rpc_result(Err(Exception::Exit(x.clone()))),
            ErpcError::Error { reason, stack } => rpc_result(Err(Exception::Error {
                reason: reason.clone(),
                stack: stack.clone(),
            })),
            ErpcError::Erpc(e) => match e.as_atom() {
                Some("noconnection") => badrpc(Term::atom("nodedown")),
                Some("timeout") => badrpc(Term::atom("timeout")),
                Some("notsup") => badrpc(Term::atom("notsup")),
                _ => rpc_result(Err(Exception::Exit(e.clone()))),
            },
            ErpcError::Signal(x) => rpc_result(Err(Exception::Exit(x.clone()))),
        }
    }

    /// Whether `rpc:multicall` counts the node among its bad nodes (timeout, connection lost).
    fn is_bad_node(&self) -> bool {
        matches!(self, ErpcError::Erpc(e) if matches!(e.as_atom(), Some("timeout") | Some("noconnection")))
    }
}

/// What `rpc:multicall/5` returns: results in node order, and the nodes that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MulticallResult {
    pub replies: Vec<Term>,
    pub bad_nodes: Vec<String>,
}

fn atom_of(text: &str) -> Result<Atom, ErpcError> {
    Atom::new(text).ok_or_else(|| ErpcError::Erpc(Term::atom("badarg")))
}

impl Node {
    /// `erpc:call(Node, Module, Function, Args, Timeout)`.
    pub async fn erpc_call(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, ErpcError> {
        let (module, function) = (Term::Atom(atom_of(module)?), Term::Atom(atom_of(function)?));
        if node == self.name() {
            return self.local_call(module, function, args, timeout).await;
        }
        let target = atom_of(node)?;
        let mut me = self.spawn_process();
        let req_id = self.make_ref();
        let res_ref = self.make_ref();
        let inner = &self.inner;
        inner.add_monitoring(
            me.pid(),
            &req_id,
            Monitoring {
                node: target.clone(),
                target: ProcRef::Name(Atom::new("undefined").unwrap_or_else(|| target.clone())),
                down_id: None,
            },
        );
        if let Ok(mut pending) = inner.spawn_requests.lock() {
            pending.insert(req_id.clone(), (me.pid().clone(), target.clone()));
        }
        let forget = |me: &crate::Process| {
            if let Ok(mut pending) = inner.spawn_requests.lock() {
                pending.remove(&req_id);
            }
            me.demonitor(&req_id);
        };
        let link = match self.connect(node).await {
            Ok(link) => link,
            Err(_) => {
                forget(&me);
                return Err(ErpcError::Erpc(Term::atom("noconnection")));
            }
        };
        if !link.peer.flags.contains(DistFlags::SPAWN) {
            forget(&me);
            return Err(ErpcError::Erpc(Term::atom("notsup")));
        }
        let request = SpawnRequest {
            req_id: req_id.clone(),
            from: me.pid().clone(),
            group_leader: self.group_leader_for_requests(&me),
            module: Atom::new("erpc").unwrap_or_else(|| target.clone()),
            function: Atom::new("execute_call").unwrap_or_else(|| target.clone()),
            arity: 4,
            opts: Term::list(vec![Term::atom("monitor")]),
        };
        let call_args = Term::list(vec![
            Term::from(res_ref.clone()),
            module,
            function,
            Term::list(args),
        ]);
        link.send(ControlMessage::SpawnRequest(request), Some(call_args));
        let deadline = tokio::time::Instant::now() + timeout;
        let req_term = Term::from(req_id.clone());
        let spawned = me
            .mailbox
            .recv_match(Some(remaining(deadline)), |m| match m {
                Term::Tuple(items)
                    if items.len() == 4
                        && items[0].as_atom() == Some("spawn_reply")
                        && items[1] == req_term =>
                {
                    Some((items[2].as_atom() == Some("ok"), items[3].clone()))
                }
                _ => None,
            })
            .await;
        match spawned {
            None => {
                forget(&me);
                return Err(ErpcError::Erpc(Term::atom("timeout")));
            }
            Some((false, reason)) => return Err(ErpcError::Erpc(reason)),
            Some((true, _pid)) => {}
        }
        let down = me
            .mailbox
            .recv_match(Some(remaining(deadline)), |m| match m {
                Term::Tuple(items)
                    if items.len() == 5
                        && items[0].as_atom() == Some("DOWN")
                        && items[1] == req_term =>
                {
                    Some(items[4].clone())
                }
                _ => None,
            })
            .await;
        let Some(reason) = down else {
            me.demonitor_flush(&req_id);
            return Err(ErpcError::Erpc(Term::atom("timeout")));
        };
        execute_call_result(&res_ref, reason)
    }

    /// `rpc:call(Node, Module, Function, Args, Timeout)`: the value, or `{badrpc, Reason}`.
    pub async fn rpc_call(
        &self,
        node: &str,
        module: &str,
        function: &str,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Term {
        match self.erpc_call(node, module, function, args, timeout).await {
            Ok(value) => value,
            Err(e) => e.to_rpc_result(),
        }
    }

    /// `rpc:multicall(Nodes, Module, Function, Args, Timeout)`: every node called at once.
    pub async fn rpc_multicall(
        &self,
        nodes: &[String],
        module: &str,
        function: &str,
        args: Vec<Term>,
        timeout: Duration,
    ) -> MulticallResult {
        let calls: Vec<_> = nodes
            .iter()
            .map(|n| {
                let (node, n, m, f, a) = (
                    self.clone(),
                    n.clone(),
                    module.to_string(),
                    function.to_string(),
                    args.clone(),
                );
                tokio::spawn(async move { node.erpc_call(&n, &m, &f, a, timeout).await })
            })
            .collect();
        let mut result = MulticallResult {
            replies: Vec::new(),
            bad_nodes: Vec::new(),
        };
        for (node, call) in nodes.iter().zip(calls) {
            match call.await {
                Ok(Ok(value)) => result.replies.push(value),
                Ok(Err(e)) if e.is_bad_node() => result.bad_nodes.push(node.clone()),
                Ok(Err(e)) => result.replies.push(e.to_rpc_result()),
                Err(_) => result.bad_nodes.push(node.clone()),
            }
        }
        result
    }

    /// `erpc:cast(Node, Module, Function, Args)` (and `rpc:cast/4`): fire and forget.
    pub async fn erpc_cast(&self, node: &str, module: &str, function: &str, args: Vec<Term>) {
        let (Some(m), Some(f)) = (Atom::new(module), Atom::new(function)) else {
            return;
        };
        if node == self.name() {
            let me = self.clone();
            self.spawn(move |process| async move {
                let _ = me
                    .apply(process, None, &Term::Atom(m), &Term::Atom(f), args)
                    .await;
            });
            return;
        }
        let Ok(link) = self.connect(node).await else {
            return;
        };
        if !link.peer.flags.contains(DistFlags::SPAWN) {
            return;
        }
        let me = self.spawn_process();
        let (Some(erpc), Some(execute_cast)) = (Atom::new("erpc"), Atom::new("execute_cast"))
        else {
            return;
        };
        let request = SpawnRequest {
            req_id: self.make_ref(),
            from: me.pid().clone(),
            group_leader: self.group_leader_for_requests(&me),
            module: erpc,
            function: execute_cast,
            arity: 3,
            opts: Term::nil(),
        };
        let args = Term::list(vec![Term::Atom(m), Term::Atom(f), Term::list(args)]);
        link.send(ControlMessage::SpawnRequest(request), Some(args));
    }

    /// A call to this node itself, run in a process of its own like any other.
    async fn local_call(
        &self,
        module: Term,
        function: Term,
        args: Vec<Term>,
        timeout: Duration,
    ) -> Result<Term, ErpcError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let node = self.clone();
        self.spawn(move |process| async move {
            let _ = tx.send(node.apply(process, None, &module, &function, args).await);
        });
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(Exception::Throw(v)))) => Err(ErpcError::Throw(v)),
            Ok(Ok(Err(Exception::Exit(x)))) => Err(ErpcError::Exit(x)),
            Ok(Ok(Err(Exception::Error { reason, stack }))) => {
                Err(ErpcError::Error { reason, stack })
            }
            Ok(Err(_)) => Err(ErpcError::Signal(Term::atom("killed"))),
            Err(_) => Err(ErpcError::Erpc(Term::atom("timeout"))),
        }
    }

    /// The group leader a request from `process` carries: its own, else the node's.
    fn group_leader_for_requests(&self, process: &crate::Process) -> Pid {
        process
            .group_leader()
            .unwrap_or_else(|| process.pid().clone())
    }
}

fn remaining(deadline: tokio::time::Instant) -> Duration {
    deadline.saturating_duration_since(tokio::time::Instant::now())
}

/// Reads `erpc:execute_call/4`'s exit reason, as `erpc:call/5` does.
fn execute_call_result(res_ref: &Reference, reason: Term) -> Result<Term, ErpcError> {
    let res_ref = Term::from(res_ref.clone());
    if let Term::Tuple(items) = &reason {
        if items.first() == Some(&res_ref) {
            match items.as_slice() {
                [_, class, value] if class.as_atom() == Some("return") => return Ok(value.clone()),
                [_, class, value] if class.as_atom() == Some("throw") => {
                    return Err(ErpcError::Throw(value.clone()))
                }
                [_, class, value] if class.as_atom() == Some("exit") => {
                    return Err(ErpcError::Exit(value.clone()))
                }
                [_, class, Term::Tuple(e)]
                    if class.as_atom() == Some("error")
                        && e.len() == 2
                        && e[0].as_atom() == Some("erpc") =>
                {
                    return Err(ErpcError::Erpc(e[1].clone()))
                }
                [_, class, reason, stack] if class.as_atom() == Some("error") => {
                    return Err(ErpcError::Error {
                        reason: reason.clone(),
                        stack: stack.clone(),
                    })
                }
                _ => {}
            }
        }
    }
    if reason.as_atom() == Some("noconnection") {
        return Err(ErpcError::Erpc(reason));
    }
    Err(ErpcError::Signal(reason))
}
