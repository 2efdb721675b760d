//! Calling a gen_server from a Rust process as `gen:call/4` does on OTP 25: monitor the target,
//! send `{'$gen_call', {Self, [alias | Mref]}, Request}`, wait for the reply or the `'DOWN'`,
//! demonitor. The alias makes a reply that comes after a timeout vanish instead of lingering.

use crate::connection::{gen_call_message, Payload};
use crate::dest::Dest;
use crate::process::Process;
use distproto::handshake::DistFlags;
use distproto::term::Term;
use std::borrow::Cow;
use std::time::Duration;

/// Why a call returned no reply; `exit_reason` gives what a BEAM caller would exit with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("no reply within the timeout")]
    Timeout,
    #[error("no such process (noproc)")]
    NoProc,
    #[error("node {0} went down (or could not be reached)")]
    NodeDown(String),
    #[error("the server exited: {0:?}")]
    Exit(Term),
}

impl CallError {
    /// The reason `gen:call` exits with (`timeout`, `noproc`, `{nodedown, Node}`, the reason).
    pub fn reason(&self) -> Term {
        match self {
            CallError::Timeout => Term::atom("timeout"),
            CallError::NoProc => Term::atom("noproc"),
            CallError::NodeDown(node) => {
                Term::tuple(vec![Term::atom("nodedown"), Term::atom(node)])
            }
            CallError::Exit(reason) => reason.clone(),
        }
    }
}

impl Process {
    /// `gen_server:call(Dest, Request, Timeout)` (`None` waits forever).
    pub async fn call(
        &mut self,
        dest: &Dest,
        request: Term,
        timeout: Option<Duration>,
    ) -> Result<Term, CallError> {
        self.call_request(dest, Cow::Owned(request), timeout).await
    }

    /// [`Process::call`] with a borrowed request, for a caller that keeps it (to send it again,
    /// say): a request to another node is encoded straight from `request`, never copied, as a
    /// BEAM process sends a term without copying it; a server on this node gets a copy.
    pub async fn call_ref(
        &mut self,
        dest: &Dest,
        request: &Term,
        timeout: Option<Duration>,
    ) -> Result<Term, CallError> {
        self.call_request(dest, Cow::Borrowed(request), timeout)
            .await
    }

    /// The call itself, for an owned or a borrowed request.
    async fn call_request(
        &mut self,
        dest: &Dest,
        request: Cow<'_, Term>,
        timeout: Option<Duration>,
    ) -> Result<Term, CallError> {
        let resolved;
        let dest = match dest {
            // gen:call resolves {global, Name} once, then calls the pid.
            Dest::Global(name) => match self.node().global_whereis(name) {
                Some(pid) => {
                    resolved = Dest::Pid(pid);
                    &resolved
                }
                None => return Err(CallError::NoProc),
            },
            other => other,
        };
        let node_name = match dest {
            Dest::Pid(pid) => pid.node.as_str().to_string(),
            Dest::Name(_) => self.node().name().to_string(),
            Dest::Remote { node, .. } => node.as_str().to_string(),
            Dest::Global(_) => return Err(CallError::NoProc),
        };
        // The request follows at once: the two messages may share one write.
        let mref = self.monitor_more(dest, true).await;
        let local = node_name == self.node().name();
        let alias_ok = local
            || self
                .node()
                .inner
                .peers
                .get(&node_name)
                .is_some_and(|link| link.peer.flags.contains(DistFlags::ALIAS));
        let tag = if alias_ok {
            self.node().inner.add_alias(self.pid(), &mref);
            Term::improper_list(vec![Term::atom("alias")], Term::from(mref.clone()))
        } else {
            Term::from(mref.clone())
        };
        let message = if local {
            Payload::Term(gen_call_message(self.pid(), &tag, request.into_owned()))
        } else {
            Payload::GenCall {
                from: self.pid(),
                tag: &tag,
                request: &request,
            }
        };
        self.node().send_payload_to(self.pid(), dest, message).await;
        let mref_term = Term::from(mref.clone());
        // The matcher only recognises the reply or the 'DOWN'; the message is then taken apart
        // by value (no copy of a large reply).
        let outcome = self
            .mailbox
            .recv_match_owned(timeout, |m| match m {
                Term::Tuple(items) if items.len() == 2 && items[0] == tag => Some(true),
                Term::Tuple(items)
                    if items.len() == 5
                        && items[0].as_atom() == Some("DOWN")
                        && items[1] == mref_term =>
                {
                    Some(false)
                }
                _ => None,
            })
            .await
            .map(|(is_reply, message)| {
                if is_reply {
                    Ok(element(message, 1))
                } else {
                    Err(element(message, 4))
                }
            });
        if alias_ok {
            self.unalias(&mref);
        }
        match outcome {
            Some(Ok(reply)) => {
                self.demonitor_flush(&mref);
                Ok(reply)
            }
            Some(Err(reason)) => Err(match reason.as_atom() {
                Some("noconnection") => CallError::NodeDown(node_name),
                Some("noproc") => CallError::NoProc,
                _ => CallError::Exit(reason),
            }),
            None => {
                self.demonitor_flush(&mref);
                // A reply may have arrived in the meantime, as gen.erl checks once more.
                let late = self.mailbox.take_first(|m| match m {
                    Term::Tuple(items) if items.len() == 2 && items[0] == tag => {
                        Some(items[1].clone())
                    }
                    _ => None,
                });
                late.ok_or(CallError::Timeout)
            }
        }
    }

    /// `gen_server:multi_call(Nodes, Name, Request, Timeout)`: `(Replies, BadNodes)`, replies
    /// as `(Node, Reply)` in the order they came.
    pub async fn multi_call(
        &mut self,
        nodes: &[String],
        name: &str,
        request: Term,
        timeout: Option<Duration>,
    ) -> (Vec<(String, Term)>, Vec<String>) {
        let tag = self.node().make_ref();
        let mut waiting = Vec::new();
        let mut bad = Vec::new();
        for node in nodes {
            let Some(dest) = Dest::remote(name, node) else {
                bad.push(node.clone());
                continue;
            };
            let dest = if node == self.node().name() {
                Dest::Name(
                    distproto::term::Atom::new(name).unwrap_or_else(|| self.pid().node.clone()),
                )
            } else {
                dest
            };
            let mref = self.monitor(&dest).await;
            let message = Term::tuple(vec![
                Term::atom("$gen_call"),
                Term::tuple(vec![
                    Term::Pid(self.pid().clone()),
                    Term::tuple(vec![Term::from(tag.clone()), Term::atom(node)]),
                ]),
                request.clone(),
            ]);
            self.send_to(&dest, message).await;
            waiting.push((node.clone(), mref));
        }
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let tag = Term::from(tag);
        let mut replies = Vec::new();
        while !waiting.is_empty() {
            let left = deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
            let refs: Vec<Term> = waiting.iter().map(|(_, r)| Term::from(r.clone())).collect();
            let next = self
                .mailbox
                .recv_match(left, |m| {
                    let Term::Tuple(items) = m else { return None };
                    match items.as_slice() {
                        [Term::Tuple(t), reply] if t.len() == 2 && t[0] == tag => {
                            Some((t[1].as_atom()?.to_string(), Some(reply.clone())))
                        }
                        [down, r, _, _, _] if down.as_atom() == Some("DOWN") => {
                            let i = refs.iter().position(|x| x == r)?;
                            Some((waiting[i].0.clone(), None))
                        }
                        _ => None,
                    }
                })
                .await;
            let Some((node, reply)) = next else {
                break;
            };
            let Some(i) = waiting.iter().position(|(n, _)| *n == node) else {
                continue;
            };
            let (node, mref) = waiting.remove(i);
            self.demonitor_flush(&mref);
            match reply {
                Some(reply) => replies.push((node, reply)),
                None => bad.push(node),
            }
        }
        for (node, mref) in waiting {
            self.demonitor_flush(&mref);
            bad.push(node);
        }
        (replies, bad)
    }
}

/// Element `index` (0-based) of a tuple, by value.
fn element(message: Term, index: usize) -> Term {
    match message.into_tuple() {
        Ok(items) => items.into_iter().nth(index).unwrap_or_else(Term::nil),
        Err(_) => Term::nil(),
    }
}
