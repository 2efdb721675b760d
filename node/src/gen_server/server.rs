//! The server loop: a [`GenServer`] implementation run as a process, called exactly as a BEAM
//! `gen_server` is. `timeout` arrives as `handle_info(timeout)` after an idle period, as in OTP.

use super::GenCall;
use crate::dest::Dest;
use crate::node::Node;
use crate::process::{Mailbox, Process, SpawnOptions};
use distproto::term::{Pid, Term};
use std::future::Future;
use std::time::{Duration, Instant};

/// A `handle_call` that returns within this lets its reply wait for the next ones (see
/// `Ctx::reply_returned`): the server is answering fast, so they follow within microseconds.
const QUICK_CALLBACK: Duration = Duration::from_micros(20);

/// What `handle_call` decides: reply now, reply later (keep the [`GenCall`] and use
/// [`Ctx::reply`]), or stop.
pub enum CallReply {
    Reply(Term),
    NoReply,
    Stop { reason: Term, reply: Option<Term> },
}

/// What `handle_cast` and `handle_info` decide.
pub enum Step {
    Continue,
    Stop(Term),
}

/// The server's process while a callback runs: to send, call others, reply, set the timeout.
pub struct Ctx<'a> {
    pub process: &'a mut Process,
    timeout: Option<Duration>,
}

impl Ctx<'_> {
    /// `gen_server:reply(From, Reply)`.
    pub async fn reply(&self, call: &GenCall, reply: Term) {
        call.reply(self.process.node(), self.process.pid(), reply)
            .await
    }

    /// The reply of a callback's return value. When the callback was quick and more messages
    /// wait in the mailbox, the reply may wait (until the server's task yields) to share one
    /// write with the replies to them; a slow server's replies leave at once.
    async fn reply_returned(&self, call: &GenCall, reply: Term, took: Duration) {
        let more_follows = took < QUICK_CALLBACK && !self.process.mailbox.is_empty();
        call.reply_more(self.process.node(), self.process.pid(), reply, more_follows)
            .await
    }

    /// Like returning `{reply, R, State, Timeout}`: if no message comes within `timeout` after
    /// this callback, `handle_info` gets the atom `timeout`. Any message cancels it.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }
}

/// A gen_server implemented in Rust. Only `handle_call` is required; the others default to
/// ignoring the message (`handle_info` logs nothing, like a server that does not care).
pub trait GenServer: Send + 'static {
    fn handle_call(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: Term,
        from: GenCall,
    ) -> impl Future<Output = CallReply> + Send;

    fn handle_cast(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _request: Term,
    ) -> impl Future<Output = Step> + Send {
        async { Step::Continue }
    }

    fn handle_info(
        &mut self,
        _ctx: &mut Ctx<'_>,
        _message: Term,
    ) -> impl Future<Output = Step> + Send {
        async { Step::Continue }
    }

    fn terminate(&mut self, _ctx: &mut Ctx<'_>, _reason: &Term) -> impl Future<Output = ()> + Send {
        async {}
    }
}

impl Node {
    /// `gen_server:start(Name, ...)`: runs `server` as a new process, registered under `name`
    /// when given (`None` if the name is taken, as start returns `{error, {already_started, P}}`).
    pub fn start_gen_server<S: GenServer>(&self, name: Option<&str>, server: S) -> Option<Pid> {
        self.start_gen_server_opt(name, SpawnOptions::default(), server)
    }

    /// `start_gen_server` with spawn options (`link` makes it `start_link`).
    pub fn start_gen_server_opt<S: GenServer>(
        &self,
        name: Option<&str>,
        options: SpawnOptions,
        server: S,
    ) -> Option<Pid> {
        if let Some(name) = name {
            if self.whereis(name).is_some() {
                return None;
            }
        }
        let mut registered = true;
        let pid = self.spawn_announced(
            options,
            |pid| {
                if let Some(name) = name {
                    registered = self.register(name, pid);
                }
            },
            move |process| run(process, server),
        );
        if !registered {
            self.inner.exit_process(pid.id, Term::atom("normal"));
            return None;
        }
        Some(pid)
    }
}

enum Next {
    Message(Term),
    Timeout,
    Closed,
}

async fn next(mailbox: &mut Mailbox, timeout: Option<Duration>) -> Next {
    match timeout {
        None => match mailbox.recv().await {
            Some(m) => Next::Message(m),
            None => Next::Closed,
        },
        Some(t) => match tokio::time::timeout(t, mailbox.recv()).await {
            Ok(Some(m)) => Next::Message(m),
            Ok(None) => Next::Closed,
            Err(_) => Next::Timeout,
        },
    }
}

/// The gen_server loop; returns the exit reason.
async fn run<S: GenServer>(mut process: Process, mut server: S) -> Term {
    let mut timeout = None;
    loop {
        let message = match next(&mut process.mailbox, timeout).await {
            Next::Message(m) => m,
            Next::Timeout => Term::atom("timeout"),
            Next::Closed => return Term::atom("killed"),
        };
        let mut ctx = Ctx {
            process: &mut process,
            timeout: None,
        };
        let step = match GenCall::take(message) {
            Ok((call, request)) => {
                let started = Instant::now();
                match server.handle_call(&mut ctx, request, call.clone()).await {
                    CallReply::Reply(reply) => {
                        ctx.reply_returned(&call, reply, started.elapsed()).await;
                        Step::Continue
                    }
                    CallReply::NoReply => Step::Continue,
                    CallReply::Stop { reason, reply } => {
                        if let Some(reply) = reply {
                            ctx.reply(&call, reply).await;
                        }
                        Step::Stop(reason)
                    }
                }
            }
            Err(message) => match take_cast(message) {
                Ok(request) => server.handle_cast(&mut ctx, request).await,
                Err(message) => server.handle_info(&mut ctx, message).await,
            },
        };
        timeout = ctx.timeout;
        if let Step::Stop(reason) = step {
            server.terminate(&mut ctx, &reason).await;
            return reason;
        }
    }
}

/// The request of a `{'$gen_cast', Request}` message; any other message is given back.
fn take_cast(message: Term) -> Result<Term, Term> {
    let is_cast = matches!(&message, Term::Tuple(items)
        if items.len() == 2 && items.first().and_then(Term::as_atom) == Some("$gen_cast"));
    if !is_cast {
        return Err(message);
    }
    let items = message.into_tuple()?;
    Ok(items.into_iter().nth(1).unwrap_or_else(Term::nil))
}

impl Process {
    /// `gen_server:cast(Dest, Request)`.
    pub async fn cast(&self, dest: &Dest, request: Term) {
        let message = Term::tuple(vec![Term::atom("$gen_cast"), request]);
        self.send_to(dest, message).await;
    }

    /// `gen_server:abcast(Nodes, Name, Request)`.
    pub async fn abcast(&self, nodes: &[String], name: &str, request: Term) {
        for node in nodes {
            if let Some(dest) = Dest::remote(name, node) {
                self.cast(&dest, request.clone()).await;
            }
        }
    }
}
