//! global's name table on this node: `Name -> {Pid, Method, MonitorRef}`, kept in step with every
//! synced node by the name server. Readers (`whereis_name`, `registered_names`) only read it;
//! only the `global_name_server` process changes it, as only OTP's server writes its ETS tables.

use distproto::term::{Pid, Reference, Term};
use std::collections::HashMap;

/// One registered name.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub pid: Pid,
    /// The conflict resolution fun, kept opaque (`#Fun<global.0.…>` from BEAM nodes).
    pub method: Term,
    /// The name server's monitor of `pid`.
    pub monitor: Reference,
}

#[derive(Default)]
pub(crate) struct NameTable {
    names: HashMap<Term, Entry>,
}

impl NameTable {
    pub fn get(&self, name: &Term) -> Option<&Entry> {
        self.names.get(name)
    }

    /// Puts `name` in, giving back the entry it replaced (whose monitor the caller drops).
    pub fn insert(&mut self, name: Term, entry: Entry) -> Option<Entry> {
        self.names.insert(name, entry)
    }

    pub fn remove(&mut self, name: &Term) -> Option<Entry> {
        self.names.remove(name)
    }

    /// The name whose monitor is `reference` (its pid went down).
    pub fn name_of_monitor(&self, reference: &Reference) -> Option<Term> {
        self.names
            .iter()
            .find(|(_, e)| e.monitor == *reference)
            .map(|(n, _)| n.clone())
    }

    /// Whether `pid` already has a name (`check_dupname`).
    pub fn has_pid(&self, pid: &Pid) -> bool {
        self.names.values().any(|e| e.pid == *pid)
    }

    pub fn names(&self) -> Vec<Term> {
        self.names.keys().cloned().collect()
    }

    /// `[{Name, Pid, Method}]`, the whole table as `exchange` carries it.
    pub fn exchange_list(&self) -> Term {
        Term::list(
            self.names
                .iter()
                .map(|(name, e)| {
                    Term::tuple(vec![
                        name.clone(),
                        Term::Pid(e.pid.clone()),
                        e.method.clone(),
                    ])
                })
                .collect(),
        )
    }
}
