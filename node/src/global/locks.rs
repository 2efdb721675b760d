//! global's lock table on this node, as grantor: `ResourceId -> {LockRequesterId, [{Pid, Ref}]}`.
//! OTP's grant rule: a lock is granted when the resource is free or already held under the same
//! LockRequesterId (several pids may share it). Holders are monitored by the name server; a
//! holder's `'DOWN'` removes it. There is no timeout.

use distproto::term::{Pid, Reference, Term};
use std::collections::HashMap;

/// The resource global locks for registrations and connection setup.
pub(crate) const GLOBAL_RESOURCE: &str = "global";

#[derive(Debug, Clone)]
struct Lock {
    requester: Term,
    holders: Vec<(Pid, Reference)>,
}

/// What asking for a lock found.
pub(crate) enum Grant {
    /// Granted, and `pid` already held it.
    AlreadyHolder,
    /// Granted: the caller must monitor `pid` and call [`LockTable::insert`].
    New,
    Refused,
}

#[derive(Default)]
pub(crate) struct LockTable {
    locks: HashMap<Term, Lock>,
}

impl LockTable {
    /// `can_set_lock/1`: false when the resource is held under another requester id.
    pub fn can_set(&self, resource: &Term, requester: &Term) -> bool {
        match self.locks.get(resource) {
            Some(lock) => lock.requester == *requester,
            None => true,
        }
    }

    pub fn check(&self, resource: &Term, requester: &Term, pid: &Pid) -> Grant {
        match self.locks.get(resource) {
            None => Grant::New,
            Some(lock) if lock.requester != *requester => Grant::Refused,
            Some(lock) if lock.holders.iter().any(|(p, _)| p == pid) => Grant::AlreadyHolder,
            Some(_) => Grant::New,
        }
    }

    /// Adds `pid` (monitored by `monitor`) as a holder; false if someone else took it meanwhile.
    pub fn insert(
        &mut self,
        resource: Term,
        requester: Term,
        pid: Pid,
        monitor: Reference,
    ) -> bool {
        let lock = self.locks.entry(resource).or_insert_with(|| Lock {
            requester: requester.clone(),
            holders: Vec::new(),
        });
        if lock.requester != requester {
            return false;
        }
        lock.holders.push((pid, monitor));
        true
    }

    /// `del_lock` from `pid`: removes only its own entry. Gives back the monitor to drop.
    pub fn remove_holder(
        &mut self,
        resource: &Term,
        requester: &Term,
        pid: &Pid,
    ) -> Option<Reference> {
        let lock = self.locks.get_mut(resource)?;
        if lock.requester != *requester {
            return None;
        }
        let i = lock.holders.iter().position(|(p, _)| p == pid)?;
        let (_, monitor) = lock.holders.remove(i);
        if lock.holders.is_empty() {
            self.locks.remove(resource);
        }
        Some(monitor)
    }

    /// A holder's monitor fired: removes it from every lock. Returns the resources it held.
    pub fn remove_monitor(&mut self, monitor: &Reference) -> Vec<Term> {
        let mut freed = Vec::new();
        self.locks.retain(|resource, lock| {
            let before = lock.holders.len();
            lock.holders.retain(|(_, r)| r != monitor);
            if lock.holders.len() != before {
                freed.push(resource.clone());
            }
            !lock.holders.is_empty()
        });
        freed
    }

    pub fn is_set(&self, resource: &Term) -> bool {
        self.locks.contains_key(resource)
    }

    /// `lock_still_set/3` for a registration from `pid`: is it a holder of the `global` lock?
    /// `None` when the `global` lock is not held at all.
    pub fn global_held_by(&self, pid: &Pid) -> Option<bool> {
        let lock = self.locks.get(&Term::atom(GLOBAL_RESOURCE))?;
        Some(lock.holders.iter().any(|(p, _)| p == pid))
    }

    /// The requester id of the `global` lock, if held.
    pub fn global_requester(&self) -> Option<&Term> {
        self.locks
            .get(&Term::atom(GLOBAL_RESOURCE))
            .map(|l| &l.requester)
    }
}
