//! What a pg scope knows: which local processes joined which groups (a process may join a group
//! more than once), and the groups each peer scope reported. Pure data, no messages.

use distproto::term::{Pid, Reference, Term};
use std::collections::HashMap;

#[derive(Default)]
pub(crate) struct Groups {
    /// Local member pid → (its monitor, the groups it joined, with repeats).
    pub local: HashMap<Pid, (Option<Reference>, Vec<Term>)>,
    /// Peer scope pid → (our monitor on it, its groups and members).
    pub remote: HashMap<Pid, (Reference, HashMap<Term, Vec<Pid>>)>,
}

impl Groups {
    /// `get_members`: local then remote members, a pid once per join.
    pub fn members(&self, group: &Term) -> Vec<Pid> {
        let mut members = self.local_members(group);
        for (_, groups) in self.remote.values() {
            if let Some(pids) = groups.get(group) {
                members.extend(pids.iter().cloned());
            }
        }
        members
    }

    pub fn local_members(&self, group: &Term) -> Vec<Pid> {
        let mut members = Vec::new();
        for (pid, (_, groups)) in &self.local {
            for g in groups.iter().filter(|g| *g == group) {
                let _ = g;
                members.push(pid.clone());
            }
        }
        members
    }

    pub fn which_groups(&self, local_only: bool) -> Vec<Term> {
        let mut groups: Vec<Term> = self
            .local
            .values()
            .flat_map(|(_, gs)| gs.iter().cloned())
            .collect();
        if !local_only {
            for (_, remote) in self.remote.values() {
                groups.extend(remote.keys().cloned());
            }
        }
        groups.sort();
        groups.dedup();
        groups
    }

    /// `[{Group, [Pid]}]` of local members, as sync sends them.
    pub fn local_sync_list(&self) -> Term {
        let mut by_group: HashMap<Term, Vec<Term>> = HashMap::new();
        for (pid, (_, groups)) in &self.local {
            for group in groups {
                by_group
                    .entry(group.clone())
                    .or_default()
                    .push(Term::Pid(pid.clone()));
            }
        }
        Term::list(
            by_group
                .into_iter()
                .map(|(g, pids)| Term::tuple(vec![g, Term::list(pids)]))
                .collect(),
        )
    }

    /// Every group → members, for `monitor_scope`'s first answer.
    pub fn all(&self) -> HashMap<Term, Vec<Pid>> {
        let mut all: HashMap<Term, Vec<Pid>> = HashMap::new();
        for group in self.which_groups(false) {
            let members = self.members(&group);
            all.insert(group, members);
        }
        all
    }
}

/// A pid or a list of pids (`PidOrPids` in pg's messages); `None` for anything else.
pub(crate) fn pids_of(term: &Term) -> Option<Vec<Pid>> {
    match term {
        Term::Pid(pid) => Some(vec![pid.clone()]),
        Term::List(items) => items
            .iter()
            .map(|t| match t {
                Term::Pid(p) => Some(p.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Removes one occurrence of each of `pids` from `members`.
pub(crate) fn remove_each(members: &mut Vec<Pid>, pids: &[Pid]) {
    for pid in pids {
        if let Some(i) = members.iter().position(|m| m == pid) {
            members.remove(i);
        }
    }
}
