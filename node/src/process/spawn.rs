//! `Node::spawn`: a process that runs an async function on tokio, linked or monitored from the
//! start when asked, and ends when the function returns (with its result as exit reason), panics
//! (`{panic, Message}`) or is killed by an exit signal (the task is aborted).

use super::exit_reason::ExitReason;
use super::state::{Monitoring, Watcher};
use super::{Mailbox, Process};
use crate::node::Node;
use distproto::control::ProcRef;
use distproto::term::{Pid, Reference, Term};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How a new process starts: its group leader, a link, a monitor held on it.
#[derive(Default, Clone)]
pub struct SpawnOptions {
    /// Default: the node's own group leader.
    pub group_leader: Option<Pid>,
    /// `spawn_link`: the new process is linked to this pid from its first instant.
    pub link: Option<Pid>,
    /// `spawn_monitor`: this pid monitors the new process under this reference.
    pub monitor: Option<(Pid, Reference)>,
}

impl Node {
    /// `spawn(Fun)`: runs `f` as a new process and returns its pid. `f` gets the process (its
    /// pid and mailbox); what it returns is the exit reason (`()` is `normal`).
    pub fn spawn<F, Fut, R>(&self, f: F) -> Pid
    where
        F: FnOnce(Process) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
        R: Into<ExitReason>,
    {
        self.spawn_opt(SpawnOptions::default(), f)
    }

    /// `spawn_opt`: like [`Node::spawn`] with a group leader, link or monitor set up before the
    /// process runs.
    pub fn spawn_opt<F, Fut, R>(&self, options: SpawnOptions, f: F) -> Pid
    where
        F: FnOnce(Process) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
        R: Into<ExitReason>,
    {
        self.spawn_announced(options, |_| {}, f)
    }

    /// Like `spawn_opt`, calling `announce` with the new pid after its links and monitors are
    /// set and before it runs (a spawn request's reply must precede every signal from the pid).
    pub(crate) fn spawn_announced<F, Fut, R>(
        &self,
        options: SpawnOptions,
        announce: impl FnOnce(&Pid),
        f: F,
    ) -> Pid
    where
        F: FnOnce(Process) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
        R: Into<ExitReason>,
    {
        let mut process = self.new_process(options.group_leader);
        process.owned_by_task = true;
        let pid = process.pid.clone();
        let inner = &self.inner;
        if let Some(other) = &options.link {
            inner.add_link(&pid, other);
            if inner.is_local(other) && !inner.add_link(other, &pid) {
                inner.deliver_exit_signal(
                    other,
                    &pid,
                    Term::atom("noproc"),
                    super::signals::ExitKind::Link,
                );
            }
        }
        if let Some((watcher, reference)) = &options.monitor {
            if inner.is_local(watcher) {
                inner.add_monitoring(
                    watcher,
                    reference,
                    Monitoring {
                        node: pid.node.clone(),
                        target: ProcRef::Pid(pid.clone()),
                        down_id: Some(Term::Pid(pid.clone())),
                    },
                );
            }
            if let Some(slot) = inner.slot(&pid) {
                slot.state().watchers.insert(
                    reference.clone(),
                    Watcher {
                        pid: watcher.clone(),
                        named_as: ProcRef::Pid(pid.clone()),
                    },
                );
            }
        }
        announce(&pid);
        let future = f(process);
        let node = self.clone();
        let id = pid.id;
        let task = tokio::spawn(async move {
            let reason = match (CatchUnwind {
                future: Box::pin(future),
            })
            .await
            {
                Ok(result) => result.into().0,
                Err(message) => Term::tuple(vec![Term::atom("panic"), Term::binary(message)]),
            };
            node.inner.exit_process(id, reason);
        });
        match inner.slot(&pid) {
            Some(slot) => slot.state().task = Some(task.abort_handle()),
            None => task.abort(),
        }
        pid
    }

    /// A process with no task: the caller drives it through the returned handle.
    pub(crate) fn new_process(&self, group_leader: Option<Pid>) -> Process {
        let (pid, rx) = self.inner.new_slot(group_leader);
        Process {
            pid,
            mailbox: Mailbox::new(rx),
            node: self.clone(),
            owned_by_task: false,
        }
    }
}

/// Polls a future, turning a panic into `Err(message)`.
pub(crate) struct CatchUnwind<F: ?Sized> {
    pub future: Pin<Box<F>>,
}

impl<F: Future + ?Sized> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.future.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                Poll::Ready(Err(message))
            }
        }
    }
}
