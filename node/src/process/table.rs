//! The process table: pid number to process slot (mailbox sender and signal state), in 16
//! independently locked shards so that delivering to one process never waits for senders to others.

use super::state::ProcessState;
use distproto::term::{Pid, Term};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use tokio::sync::mpsc::UnboundedSender;

const SHARDS: usize = 16;

/// One live process as the node sees it: where its messages go and what signals concern it.
pub(crate) struct Slot {
    pub pid: Pid,
    pub tx: UnboundedSender<Term>,
    /// `process_flag(trap_exit, true)`.
    pub trap_exit: AtomicBool,
    state: Mutex<ProcessState>,
}

impl Slot {
    pub fn new(pid: Pid, tx: UnboundedSender<Term>, group_leader: Option<Pid>) -> Slot {
        Slot {
            pid,
            tx,
            trap_exit: AtomicBool::new(false),
            state: Mutex::new(ProcessState::new(group_leader)),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, ProcessState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Default)]
pub(crate) struct ProcessTable {
    shards: [RwLock<HashMap<u32, Arc<Slot>>>; SHARDS],
}

impl ProcessTable {
    fn shard(&self, id: u32) -> &RwLock<HashMap<u32, Arc<Slot>>> {
        &self.shards[id as usize % SHARDS]
    }

    pub fn insert(&self, slot: Arc<Slot>) {
        let mut shard = self
            .shard(slot.pid.id)
            .write()
            .unwrap_or_else(|p| p.into_inner());
        shard.insert(slot.pid.id, slot);
    }

    /// Takes process `id` out of the table; `None` if it had already exited.
    pub fn remove(&self, id: u32) -> Option<Arc<Slot>> {
        let mut shard = self.shard(id).write().unwrap_or_else(|p| p.into_inner());
        shard.remove(&id)
    }

    pub fn get(&self, id: u32) -> Option<Arc<Slot>> {
        let shard = self.shard(id).read().unwrap_or_else(|p| p.into_inner());
        shard.get(&id).cloned()
    }

    /// Delivers `message` to process `id`; `false` when there is no such process (the message is
    /// dropped, as sending to a dead pid is in Erlang).
    pub fn deliver(&self, id: u32, message: Term) -> bool {
        let shard = self.shard(id).read().unwrap_or_else(|p| p.into_inner());
        shard
            .get(&id)
            .is_some_and(|slot| slot.tx.send(message).is_ok())
    }

    pub fn contains(&self, id: u32) -> bool {
        let shard = self.shard(id).read().unwrap_or_else(|p| p.into_inner());
        shard.contains_key(&id)
    }

    /// Every live process (a snapshot).
    pub fn all(&self) -> Vec<Arc<Slot>> {
        let mut slots = Vec::new();
        for shard in &self.shards {
            let shard = shard.read().unwrap_or_else(|p| p.into_inner());
            slots.extend(shard.values().cloned());
        }
        slots
    }
}
