//! One connection per peer: the table of pending and established connections, the decisions for
//! simultaneous connects (the greater node name's attempt wins, as OTP's net_kernel decides), and
//! waiting for a connection that another task is setting up.

use super::LinkHandle;
use std::collections::HashMap;
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
        dialing: bool,
        /// Our dial lost a simultaneous connect: the peer's own attempt is expected, and is
        /// accepted when it comes (OTP's pending entry is gone by then).
        awaiting_peer: bool,
    },
    Up(LinkHandle),
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
    slots: Mutex<HashMap<String, Slot>>,
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
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
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
                        dialing: true,
                        awaiting_peer: false,
                    },
                );
                Lookup::Dial(tx)
            }
        }
    }

    /// The acceptor's question: `me` is our node name, `peer` the connecting one.
    pub fn on_incoming(&self, me: &str, peer: &str) -> AcceptVerdict {
        let mut slots = self.lock();
        match slots.get(peer) {
            Some(Slot::Up(_)) => AcceptVerdict::Alive,
            Some(Slot::Pending { dialing: true, .. }) => {
                if me > peer {
                    AcceptVerdict::Refuse
                } else {
                    // The peer's attempt is now the one in progress; ours will get nok.
                    if let Some(Slot::Pending { dialing, .. }) = slots.get_mut(peer) {
                        *dialing = false;
                    }
                    AcceptVerdict::Proceed { simultaneous: true }
                }
            }
            // The peer's attempt we were told to wait for (our dial lost with nok).
            Some(Slot::Pending {
                dialing: false,
                awaiting_peer: true,
                ..
            }) => {
                if let Some(Slot::Pending { awaiting_peer, .. }) = slots.get_mut(peer) {
                    *awaiting_peer = false;
                }
                AcceptVerdict::Proceed {
                    simultaneous: false,
                }
            }
            // Another incoming attempt from the same name is in progress: OTP closes this one.
            Some(Slot::Pending { dialing: false, .. }) => AcceptVerdict::Refuse,
            None => {
                let (tx, _) = watch::channel(Outcome::Waiting);
                slots.insert(
                    peer.to_string(),
                    Slot::Pending {
                        outcome: tx,
                        dialing: false,
                        awaiting_peer: false,
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
                    dialing: false,
                    awaiting_peer: false,
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

    /// A dial lost a simultaneous connect: the incoming connection will fill the slot; it is
    /// now the acceptor's (a later failure of the incoming attempt clears it).
    pub fn lost_simultaneous(&self, peer: &str) {
        if let Some(Slot::Pending {
            dialing,
            awaiting_peer,
            ..
        }) = self.lock().get_mut(peer)
        {
            if *dialing {
                *dialing = false;
                *awaiting_peer = true;
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
