//! The process table: pid number to mailbox sender, in 16 independently locked shards so that
//! delivering to one process never waits for senders to others.

use distproto::term::Term;
use std::collections::HashMap;
use std::sync::RwLock;
use tokio::sync::mpsc::UnboundedSender;

const SHARDS: usize = 16;

#[derive(Default)]
pub(crate) struct ProcessTable {
    shards: [RwLock<HashMap<u32, UnboundedSender<Term>>>; SHARDS],
}

impl ProcessTable {
    fn shard(&self, id: u32) -> &RwLock<HashMap<u32, UnboundedSender<Term>>> {
        &self.shards[id as usize % SHARDS]
    }

    pub fn insert(&self, id: u32, tx: UnboundedSender<Term>) {
        if let Ok(mut shard) = self.shard(id).write() {
            shard.insert(id, tx);
        }
    }

    pub fn remove(&self, id: u32) {
        if let Ok(mut shard) = self.shard(id).write() {
            shard.remove(&id);
        }
    }

    /// Delivers `message` to process `id`; `false` when there is no such process (the message is
    /// dropped, as sending to a dead pid is in Erlang).
    pub fn deliver(&self, id: u32, message: Term) -> bool {
        match self.shard(id).read() {
            Ok(shard) => shard.get(&id).is_some_and(|tx| tx.send(message).is_ok()),
            Err(_) => false,
        }
    }

    pub fn contains(&self, id: u32) -> bool {
        self.shard(id)
            .read()
            .is_ok_and(|shard| shard.contains_key(&id))
    }
}
