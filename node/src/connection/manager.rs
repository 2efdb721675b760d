//! One connection per peer: the table of pending and established connections, the decisions for
//! simultaneous connects (the greater node name's attempt wins, as OTP's net_kernel decides), and
//! waiting for a connection that another task is setting up.

use super::LinkHandle;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;
use tokio::sync::watch;

/// What a pending connection ends as.
#[derive(Clone)]
pub(crate) enum Outcome {
    Waiting,
    Up(LinkHandle),
    Failed(String),
}

enum Slot {
    Pending {
        outcome: watch::Sender<Outcome>,
        attempt: Attempt,
    },
    Up(LinkHandle),
}

/// Who is setting a pending connection up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// We dial.
    Dialing,
    /// An incoming handshake from the peer is in progress.
    Accepting,
    /// Our dial lost a simultaneous connect: the peer's own connection is expected.
    AwaitingPeer,
}

/// What the acceptor should answer a connecting peer.
pub(crate) enum AcceptVerdict {
    /// Go on (ok or ok_simultaneous), and report the outcome here.
    Proceed { simultaneous: bool },
    /// Our own attempt wins (nok).
    Refuse,
    /// Already up (alive): ask the peer.
    Alive,
}

#[derive(Default)]
pub(crate) struct Peers {
    slots: Mutex<HashMap<String, Slot, BuildHasherDefault<Fx>>>,
}

/// A word-at-a-time multiplicative hash (FxHash's): every remote send looks a node name up
/// here, and SipHash's protection against chosen keys is not needed for names we connect to.
#[derive(Default)]
struct Fx(u64);

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// What `Peers::connect_or_wait` found.
pub(crate) enum Lookup {
    Up(LinkHandle),
    /// Someone is setting it up: wait on this.
    Wait(watch::Receiver<Outcome>),
    /// Nobody is: the caller must dial and report to this.
    Dial(watch::Sender<Outcome>),
}

impl Peers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot, BuildHasherDefault<Fx>>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, peer: &str) -> Option<LinkHandle> {
        match self.lock().get(peer) {
            Some(Slot::Up(link)) => Some(link.clone()),
            _ => None,
        }
    }

    pub fn up_links(&self) -> Vec<LinkHandle> {
        self.lock()
            .values()
            .filter_map(|slot| {
                if let Slot::Up(link) = slot {
                    Some(link.clone())
                } else {
                    None
                }
            })
            .collect()
    }

    pub fn connect_or_wait(&self, peer: &str) -> Lookup {
        let mut slots = self.lock();
        match slots.get(peer) {
            Some(Slot::Up(link)) => Lookup::Up(link.clone()),
            Some(Slot::Pending { outcome, .. }) => Lookup::Wait(outcome.subscribe()),
            None => {
                let (tx, _) = watch::channel(Outcome::Waiting);
                slots.insert(
                    peer.to_string(),
                    Slot::Pending {
                        outcome: tx.clone(),
                        attempt: Attempt::Dialing,
                    },
                );
                Lookup::Dial(tx)
            }
        }
    }

    /// The acceptor's question: `me` is our node name, `peer` the connecting one.
    pub fn on_incoming(&self, me: &str, peer: &str) -> AcceptVerdict {
        let mut slots = self.lock();
        match slots.get_mut(peer) {
            Some(Slot::Up(_)) => AcceptVerdict::Alive,
            Some(Slot::Pending { attempt, .. }) => match *attempt {
                Attempt::Dialing if me > peer => AcceptVerdict::Refuse,
                Attempt::Dialing => {
                    *attempt = Attempt::Accepting;
                    AcceptVerdict::Proceed { simultaneous: true }
                }
                // Another incoming attempt from the same name is in progress: OTP closes this one.
                Attempt::Accepting => AcceptVerdict::Refuse,
                // The connection our lost dial was waiting for.
                Attempt::AwaitingPeer => {
                    *attempt = Attempt::Accepting;
                    AcceptVerdict::Proceed {
                        simultaneous: false,
                    }
                }
            },
            None => {
                let (tx, _) = watch::channel(Outcome::Waiting);
                slots.insert(
                    peer.to_string(),
                    Slot::Pending {
                        outcome: tx,
                        attempt: Attempt::Accepting,
                    },
                );
                AcceptVerdict::Proceed {
                    simultaneous: false,
                }
            }
        }
    }

    /// The peer answered `alive` with `true`: forget the old connection (the caller closes it).
    pub fn replace_old(&self, peer: &str) -> Option<LinkHandle> {
        let mut slots = self.lock();
        if let Some(Slot::Up(old)) = slots.get(peer) {
            let old = old.clone();
            let (tx, _) = watch::channel(Outcome::Waiting);
            slots.insert(
                peer.to_string(),
                Slot::Pending {
                    outcome: tx,
                    attempt: Attempt::Accepting,
                },
            );
            return Some(old);
        }
        None
    }

    /// A handshake succeeded: the connection is up and everyone waiting gets it. `false` when
    /// another connection to the peer is already up (the caller closes this one).
    pub fn up(&self, peer: &str, link: LinkHandle) -> bool {
        let mut slots = self.lock();
        if let Some(Slot::Up(_)) = slots.get(peer) {
            return false;
        }
        if let Some(Slot::Pending { outcome, .. }) =
            slots.insert(peer.to_string(), Slot::Up(link.clone()))
        {
            let _ = outcome.send(Outcome::Up(link));
        }
        true
    }

    /// A dial lost a simultaneous connect: the peer's incoming connection will fill the slot
    /// (a later failure of that attempt clears it). When it has not arrived yet, it is accepted
    /// when it does, rather than refused as a second incoming attempt.
    pub fn lost_simultaneous(&self, peer: &str) {
        if let Some(Slot::Pending { attempt, .. }) = self.lock().get_mut(peer) {
            if *attempt == Attempt::Dialing {
                *attempt = Attempt::AwaitingPeer;
            }
        }
    }

    /// A handshake failed: waiters get the reason; the slot is freed if still pending.
    pub fn failed(&self, peer: &str, why: &str) {
        let mut slots = self.lock();
        if let Some(Slot::Pending { outcome, .. }) = slots.get(peer) {
            let _ = outcome.send(Outcome::Failed(why.to_string()));
            slots.remove(peer);
        }
    }

    /// A connection went down: removes it if it is still the current one. Returns whether it was.
    pub fn down(&self, peer: &str, id: u64) -> bool {
        let mut slots = self.lock();
        if matches!(slots.get(peer), Some(Slot::Up(link)) if link.id == id) {
            slots.remove(peer);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_dial_accepts_the_peers_connection_once() {
        let peers = Peers::default();
        assert!(matches!(peers.connect_or_wait("z@h"), Lookup::Dial(_)));
        // The peer's name is greater: its connection wins; ours is refused with nok first.
        peers.lost_simultaneous("z@h");
        assert!(matches!(
            peers.on_incoming("a@h", "z@h"),
            AcceptVerdict::Proceed {
                simultaneous: false
            }
        ));
        assert!(matches!(
            peers.on_incoming("a@h", "z@h"),
            AcceptVerdict::Refuse
        ));
    }

    #[test]
    fn simultaneous_connects_follow_the_name_order() {
        let peers = Peers::default();
        assert!(matches!(peers.connect_or_wait("b@h"), Lookup::Dial(_)));
        assert!(matches!(
            peers.on_incoming("c@h", "b@h"),
            AcceptVerdict::Refuse
        ));
        assert!(matches!(peers.connect_or_wait("d@h"), Lookup::Dial(_)));
        assert!(matches!(
            peers.on_incoming("c@h", "d@h"),
            AcceptVerdict::Proceed { simultaneous: true }
        ));
        // Our dial then gets nok; the incoming attempt already holds the slot.
        peers.lost_simultaneous("d@h");
        assert!(matches!(
            peers.on_incoming("c@h", "d@h"),
            AcceptVerdict::Refuse
        ));
    }
}
