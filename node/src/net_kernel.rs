//! `net_kernel` on a Rust node: the process that answers `is_auth` (what `Node.ping/1` asks), and
//! the node-monitoring subscriptions of local processes: `net_kernel:monitor_nodes/1,2` and
//! `erlang:monitor_node/2`, with the message shapes OTP 25 delivers.

use crate::gen_server::GenCall;
use crate::node::{Node, NodeInner};
use crate::process::Process;
use distproto::term::{Atom, Map, Pid, Term};
use std::sync::Mutex;
use tracing::debug;

pub(crate) fn start(node: &Node) {
    let mut process = node.spawn_process();
    process.register("net_kernel");
    let node = node.clone();
    tokio::spawn(async move {
        while let Some(message) = process.mailbox.recv().await {
            let Some((call, request)) = GenCall::parse(&message) else {
                debug!(
                    ?message,
                    "net_kernel: ignoring a message that is not a gen call"
                );
                continue;
            };
            match request {
                Term::Tuple(items) if items.first().and_then(Term::as_atom) == Some("is_auth") => {
                    call.reply(&node, process.pid(), Term::atom("yes")).await;
                }
                other => debug!(request = ?other, "net_kernel: request not supported"),
            }
        }
    });
}

/// Which connections a `monitor_nodes` subscriber hears about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NodeType {
    #[default]
    Visible,
    Hidden,
    All,
}

/// How `{nodeup, Node, Info}` / `{nodedown, Node, Info}` carry extra information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InfoForm {
    /// `monitor_nodes(true)`: `{nodeup, Node}`, no info.
    #[default]
    None,
    /// `monitor_nodes(true, [Option])`: an info list.
    List,
    /// `monitor_nodes(true, #{...})`: an info map.
    Map,
}

/// The options of `net_kernel:monitor_nodes/2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorNodesOptions {
    pub node_type: NodeType,
    /// Add `{node_type, visible|hidden}` (set when the option `node_type` was given).
    pub report_node_type: bool,
    pub nodedown_reason: bool,
    pub connection_id: bool,
    pub form: InfoForm,
}

impl MonitorNodesOptions {
    /// `monitor_nodes(true)`.
    pub fn plain() -> Self {
        Self::default()
    }

    /// From OTP's option list or map (`[nodedown_reason, {node_type, all}, connection_id]` or
    /// `#{node_type => all, nodedown_reason => true, connection_id => true}`); `None` on a bad
    /// option, where OTP returns `{error, {invalid_options, ...}}`.
    pub fn from_term(options: &Term) -> Option<Self> {
        let mut parsed = MonitorNodesOptions::default();
        let node_type = |value: &Term| match value.as_atom()? {
            "visible" => Some(NodeType::Visible),
            "hidden" => Some(NodeType::Hidden),
            "all" => Some(NodeType::All),
            _ => None,
        };
        match options {
            Term::List(items) => {
                if !items.is_empty() {
                    parsed.form = InfoForm::List;
                }
                for item in items {
                    match item {
                        Term::Atom(a) if a.as_str() == "nodedown_reason" => {
                            parsed.nodedown_reason = true
                        }
                        Term::Atom(a) if a.as_str() == "connection_id" => {
                            parsed.connection_id = true
                        }
                        Term::Tuple(kv)
                            if kv.len() == 2 && kv[0].as_atom() == Some("node_type") =>
                        {
                            parsed.node_type = node_type(&kv[1])?;
                            parsed.report_node_type = true;
                        }
                        _ => return None,
                    }
                }
            }
            Term::Map(map) => {
                parsed.form = InfoForm::Map;
                for (key, value) in map.iter() {
                    match key.as_atom()? {
                        "node_type" => {
                            parsed.node_type = node_type(value)?;
                            parsed.report_node_type = true;
                        }
                        "nodedown_reason" => parsed.nodedown_reason = value.as_atom()? == "true",
                        "connection_id" => parsed.connection_id = value.as_atom()? == "true",
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
        Some(parsed)
    }
}

#[derive(Default)]
struct Subscriptions {
    /// monitor_nodes subscribers.
    all: Vec<(Pid, MonitorNodesOptions)>,
    /// monitor_node subscriptions: one `{nodedown, Node}` each.
    single: Vec<(Pid, Atom)>,
}

#[derive(Default)]
pub(crate) struct NodeMonitors {
    subscriptions: Mutex<Subscriptions>,
}

impl NodeMonitors {
    fn lock(&self) -> std::sync::MutexGuard<'_, Subscriptions> {
        self.subscriptions.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn node_up(&self, inner: &NodeInner, node: &Atom, hidden: bool, id: u64) {
        let subscribers = self.lock().all.clone();
        for (pid, options) in subscribers {
            if let Some(message) = event_message("nodeup", node, hidden, None, id, &options) {
                if !inner.processes.deliver(pid.id, message) {
                    self.lock().all.retain(|(p, _)| *p != pid);
                }
            }
        }
    }

    pub(crate) fn node_down(
        &self,
        inner: &NodeInner,
        node: &Atom,
        hidden: bool,
        reason: &str,
        id: u64,
    ) {
        let (subscribers, singles) = {
            let mut subs = self.lock();
            let singles: Vec<Pid> = subs
                .single
                .iter()
                .filter(|(_, n)| n == node)
                .map(|(p, _)| p.clone())
                .collect();
            subs.single.retain(|(_, n)| n != node);
            (subs.all.clone(), singles)
        };
        for (pid, options) in subscribers {
            if let Some(message) =
                event_message("nodedown", node, hidden, Some(reason), id, &options)
            {
                inner.processes.deliver(pid.id, message);
            }
        }
        for pid in singles {
            inner.processes.deliver(
                pid.id,
                Term::tuple(vec![Term::atom("nodedown"), Term::Atom(node.clone())]),
            );
        }
    }

    fn subscribe(&self, pid: &Pid, options: MonitorNodesOptions, on: bool) {
        let mut subs = self.lock();
        if on {
            subs.all.push((pid.clone(), options));
        } else if let Some(i) = subs.all.iter().position(|(p, o)| p == pid && *o == options) {
            subs.all.remove(i);
        }
    }
}

/// The message one subscriber gets, or `None` when its node_type excludes this node.
fn event_message(
    what: &str,
    node: &Atom,
    hidden: bool,
    reason: Option<&str>,
    connection_id: u64,
    options: &MonitorNodesOptions,
) -> Option<Term> {
    let wanted = match options.node_type {
        NodeType::Visible => !hidden,
        NodeType::Hidden => hidden,
        NodeType::All => true,
    };
    if !wanted {
        return None;
    }
    let head = vec![Term::atom(what), Term::Atom(node.clone())];
    let node_type = Term::atom(if hidden { "hidden" } else { "visible" });
    let mut info: Vec<(Term, Term)> = Vec::new();
    if options.connection_id {
        info.push((
            Term::atom("connection_id"),
            Term::Integer(connection_id as i64),
        ));
    }
    if let (true, Some(reason)) = (options.nodedown_reason, reason) {
        info.push((Term::atom("nodedown_reason"), nodedown_reason(reason)));
    }
    if options.report_node_type {
        info.push((Term::atom("node_type"), node_type));
    }
    let info = match options.form {
        InfoForm::None => return Some(Term::tuple(head)),
        InfoForm::List => Term::list(
            info.into_iter()
                .map(|(k, v)| Term::tuple(vec![k, v]))
                .collect(),
        ),
        InfoForm::Map => Term::Map(Map::from_pairs(info).ok()?),
    };
    let mut items = head;
    items.push(info);
    Some(Term::tuple(items))
}

/// Our nodedown reasons as OTP's atoms (`connection_closed`, `net_tick_timeout`, `disconnect`, ...).
fn nodedown_reason(reason: &str) -> Term {
    let atom = match reason {
        "connection_closed" | "net_tick_timeout" | "disconnect" | "wait_pending" => reason,
        r if r.starts_with("read error") || r.starts_with("write error") => "connection_closed",
        _ => "connection_closed",
    };
    Term::atom(atom)
}

impl Process {
    /// `net_kernel:monitor_nodes(Flag, Options)`: nodeup/nodedown messages to this process.
    pub fn monitor_nodes(&self, on: bool, options: MonitorNodesOptions) {
        self.node
            .inner
            .node_monitors
            .subscribe(&self.pid, options, on);
    }

    /// `erlang:monitor_node(Node, true)`: one `{nodedown, Node}` when the connection to `node`
    /// goes down, or at once if it cannot be made.
    pub async fn monitor_node(&self, node: &str) {
        let Some(atom) = Atom::new(node) else {
            return;
        };
        let inner = &self.node.inner;
        inner
            .node_monitors
            .lock()
            .single
            .push((self.pid.clone(), atom.clone()));
        if self.node.connect(node).await.is_err() {
            let mut subs = inner.node_monitors.lock();
            let before = subs.single.len();
            if let Some(i) = subs
                .single
                .iter()
                .position(|(p, n)| *p == self.pid && *n == atom)
            {
                subs.single.remove(i);
            }
            if subs.single.len() < before {
                drop(subs);
                inner.processes.deliver(
                    self.pid.id,
                    Term::tuple(vec![Term::atom("nodedown"), Term::Atom(atom)]),
                );
            }
        }
    }
}
