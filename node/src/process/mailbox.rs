//! A process's mailbox: messages in arrival order, received in order or selectively (the first
//! message a matcher accepts; the others stay, in order, as Erlang's `receive` leaves them).

use distproto::term::Term;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Mailbox {
    rx: mpsc::UnboundedReceiver<Term>,
    /// Messages looked at by a selective receive and left for later.
    saved: VecDeque<Term>,
}

impl Mailbox {
    pub(crate) fn new(rx: mpsc::UnboundedReceiver<Term>) -> Mailbox {
        Mailbox {
            rx,
            saved: VecDeque::new(),
        }
    }

    /// The oldest message, waiting for one.
    pub async fn recv(&mut self) -> Option<Term> {
        match self.saved.pop_front() {
            Some(message) => Some(message),
            None => self.rx.recv().await,
        }
    }

    /// The oldest message, or `None` after `timeout`.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Option<Term> {
        if let Some(message) = self.saved.pop_front() {
            return Some(message);
        }
        tokio::time::timeout(timeout, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Selective receive: the first message (oldest first) for which `matcher` returns `Some`,
    /// waiting up to `timeout` (`None` waits forever). Other messages stay in the mailbox.
    pub async fn recv_match<T>(
        &mut self,
        timeout: Option<Duration>,
        matcher: impl FnMut(&Term) -> Option<T>,
    ) -> Option<T> {
        self.recv_match_owned(timeout, matcher)
            .await
            .map(|(found, _)| found)
    }

    /// [`Mailbox::recv_match`] that also hands over the matching message itself, so that a
    /// caller can take it apart instead of copying parts of it.
    pub async fn recv_match_owned<T>(
        &mut self,
        timeout: Option<Duration>,
        mut matcher: impl FnMut(&Term) -> Option<T>,
    ) -> Option<(T, Term)> {
        if let Some((index, found)) = self
            .saved
            .iter()
            .enumerate()
            .find_map(|(i, m)| matcher(m).map(|found| (i, found)))
        {
            return self.saved.remove(index).map(|message| (found, message));
        }
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        loop {
            let next = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, self.rx.recv())
                    .await
                    .ok()
                    .flatten(),
                None => self.rx.recv().await,
            };
            let message = next?;
            match matcher(&message) {
                Some(found) => return Some((found, message)),
                None => self.saved.push_back(message),
            }
        }
    }

    /// Removes every message already in the mailbox for which `unwanted` is true (as
    /// `demonitor(Ref, [flush])` removes a `'DOWN'`). Messages arriving later are not affected.
    pub fn remove_where(&mut self, mut unwanted: impl FnMut(&Term) -> bool) {
        while let Ok(message) = self.rx.try_recv() {
            self.saved.push_back(message);
        }
        self.saved.retain(|m| !unwanted(m));
    }

    /// The first message already in the mailbox that `matcher` accepts, without waiting.
    pub fn take_first<T>(&mut self, mut matcher: impl FnMut(&Term) -> Option<T>) -> Option<T> {
        while let Ok(message) = self.rx.try_recv() {
            self.saved.push_back(message);
        }
        let index = self.saved.iter().position(|m| matcher(m).is_some())?;
        let message = self.saved.remove(index)?;
        matcher(&message)
    }

    /// Messages waiting, including those a selective receive skipped.
    pub fn len(&self) -> usize {
        self.saved.len() + self.rx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
