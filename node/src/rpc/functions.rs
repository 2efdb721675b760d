//! The registry of Rust functions callable by `Module:Function/Arity`, and the context a call
//! runs in: the process executing it (its pid, mailbox and group leader) and who asked.

use super::Exception;
use crate::node::Node;
use crate::process::{CatchUnwind, Process};
use distproto::term::{Atom, Pid, Term};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

/// What a registered function runs with.
pub struct CallContext {
    /// The process executing the call (spawned for it, as erpc spawns one on a BEAM node). Its
    /// group leader is the caller's, so output sent there lands where the caller lives.
    pub process: Process,
    /// The process that asked for the call (the rpc caller, or the spawner).
    pub caller: Option<Pid>,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Term, Exception>> + Send>>;
type Function = Arc<dyn Fn(CallContext, Vec<Term>) -> BoxFuture + Send + Sync>;

#[derive(Default)]
pub(crate) struct Functions {
    table: RwLock<HashMap<(Atom, Atom, usize), Function>>,
}

impl Functions {
    fn get(&self, module: &Atom, function: &Atom, arity: usize) -> Option<Function> {
        let table = self.table.read().unwrap_or_else(|p| p.into_inner());
        table
            .get(&(module.clone(), function.clone(), arity))
            .cloned()
    }
}

impl Node {
    /// Makes `f` callable as `Module:Function/Arity` from BEAM nodes (`:rpc.call`, `:erpc.call`,
    /// `:rpc.multicall`, `Node.spawn`) and from Rust. A later registration replaces an earlier.
    ///
    /// `f` gets the call's context and the arguments (exactly `arity` of them) and returns the
    /// value, or an [`Exception`]; a panic is reported as `error({panic, Message})`.
    pub fn register_function<F, Fut>(&self, module: &str, function: &str, arity: usize, f: F)
    where
        F: Fn(CallContext, Vec<Term>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Term, Exception>> + Send + 'static,
    {
        let (Some(module), Some(function)) = (Atom::new(module), Atom::new(function)) else {
            return;
        };
        let f: Function = Arc::new(move |ctx, args| Box::pin(f(ctx, args)));
        let mut table = self
            .inner
            .functions
            .table
            .write()
            .unwrap_or_else(|p| p.into_inner());
        table.insert((module, function, arity), f);
    }

    /// Runs `Module:Function(Args)` in `process`: the registered function, or `undef`.
    pub(crate) async fn apply(
        &self,
        process: Process,
        caller: Option<Pid>,
        module: &Term,
        function: &Term,
        args: Vec<Term>,
    ) -> Result<Term, Exception> {
        let found = match (module, function) {
            (Term::Atom(m), Term::Atom(f)) => self.inner.functions.get(m, f, args.len()),
            _ => return Err(Exception::badarg()),
        };
        let Some(f) = found else {
            return Err(Exception::undef(module, function, &args));
        };
        let call = f(CallContext { process, caller }, args);
        match (CatchUnwind { future: call }).await {
            Ok(result) => result,
            Err(message) => Err(Exception::error(Term::tuple(vec![
                Term::atom("panic"),
                Term::binary(message.into_bytes()),
            ]))),
        }
    }
}

/// `erlang:node/0`, `erlang:nodes/0,1`, `erlang:whereis/1` and `erlang:is_process_alive/1`,
/// which users try first.
pub(crate) fn register_builtins(node: &Node) {
    node.register_function("erlang", "whereis", 1, |ctx, args| async move {
        match args.first() {
            Some(Term::Atom(name)) => Ok(ctx
                .process
                .node()
                .whereis(name.as_str())
                .map(Term::Pid)
                .unwrap_or_else(|| Term::atom("undefined"))),
            _ => Err(Exception::badarg()),
        }
    });
    node.register_function("erlang", "is_process_alive", 1, |ctx, args| async move {
        match args.first() {
            Some(Term::Pid(pid)) if ctx.process.node().name() == pid.node.as_str() => {
                Ok(Term::atom(if ctx.process.node().is_alive(pid) {
                    "true"
                } else {
                    "false"
                }))
            }
            _ => Err(Exception::badarg()),
        }
    });
    node.register_function("erlang", "node", 0, |ctx, _| async move {
        Ok(Term::atom(ctx.process.node().name()))
    });
    node.register_function("erlang", "nodes", 0, |ctx, _| async move {
        Ok(node_list(ctx.process.node().nodes()))
    });
    node.register_function("erlang", "nodes", 1, |ctx, args| async move {
        let node = ctx.process.node();
        let kinds: Vec<Term> = match args.first() {
            Some(Term::List(items)) => items.clone(),
            Some(atom @ Term::Atom(_)) => vec![atom.clone()],
            _ => return Err(Exception::badarg()),
        };
        let mut names = Vec::new();
        for kind in &kinds {
            match kind.as_atom() {
                Some("visible") => names.extend(node.nodes()),
                Some("hidden") => names.extend(node.hidden_nodes()),
                Some("connected") => {
                    names.extend(node.nodes());
                    names.extend(node.hidden_nodes());
                }
                Some("this") => names.push(node.name().to_string()),
                Some("known") => {
                    names.push(node.name().to_string());
                    names.extend(node.nodes());
                    names.extend(node.hidden_nodes());
                }
                _ => return Err(Exception::badarg()),
            }
        }
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| seen.insert(n.clone()));
        Ok(node_list(names))
    });
}

fn node_list(names: Vec<String>) -> Term {
    Term::list(names.iter().map(|n| Term::atom(n)).collect())
}
