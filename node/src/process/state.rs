//! What the runtime remembers about one process besides its mailbox: its links, the monitors it
//! holds and the monitors held on it, its aliases, group leader and (for spawned tasks) its task.

use distproto::control::ProcRef;
use distproto::term::{Atom, Pid, Reference, Term};
use std::collections::{HashMap, HashSet};
use tokio::task::AbortHandle;

/// A monitor this process holds on another process.
#[derive(Debug, Clone)]
pub(crate) struct Monitoring {
    /// The node the monitored process lives on.
    pub node: Atom,
    /// How the target was named in the monitor (pid, or name), for DEMONITOR_P.
    pub target: ProcRef,
    /// The 4th element of the `'DOWN'` message: the pid, or `{Name, Node}`. `None` until known
    /// (a monitor set up by a spawn request learns the pid from the reply).
    pub down_id: Option<Term>,
}

/// A monitor another process holds on this one.
#[derive(Debug, Clone)]
pub(crate) struct Watcher {
    pub pid: Pid,
    /// How the watcher named us: the pid, or the registered name (echoed in MONITOR_P_EXIT and in
    /// a local `'DOWN'` as `{Name, Node}`).
    pub named_as: ProcRef,
}

pub(crate) struct ProcessState {
    pub links: HashSet<Pid>,
    pub monitoring: HashMap<Reference, Monitoring>,
    pub watchers: HashMap<Reference, Watcher>,
    pub aliases: Vec<Reference>,
    pub group_leader: Option<Pid>,
    /// The task running the process, aborted when the process is killed.
    pub task: Option<AbortHandle>,
}

impl ProcessState {
    pub fn new(group_leader: Option<Pid>) -> ProcessState {
        ProcessState {
            links: HashSet::new(),
            monitoring: HashMap::new(),
            watchers: HashMap::new(),
            aliases: Vec::new(),
            group_leader,
            task: None,
        }
    }
}
