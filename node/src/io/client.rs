//! Printing from a Rust process to a group leader (any io server: an iex shell's, a BEAM node's
//! `user`, or our own), with the io protocol's monitor, request and reply.

use crate::dest::Dest;
use crate::process::Process;
use distproto::term::{Pid, Term};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IoError {
    #[error("the group leader is gone (io request terminated)")]
    Terminated,
    #[error("the io server did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the io server refused the request: {0:?}")]
    Refused(Term),
    #[error("this process has no group leader")]
    NoGroupLeader,
}

impl Process {
    /// `io:put_chars(GroupLeader, Text)`: waits for the io server's reply, as `io` does.
    pub async fn put_chars_to(&mut self, group_leader: &Pid, text: &str) -> Result<(), IoError> {
        let request = Term::tuple(vec![
            Term::atom("put_chars"),
            Term::atom("unicode"),
            Term::binary(text.as_bytes().to_vec()),
        ]);
        self.io_request(group_leader, request).await
    }

    /// `io:put_chars(Text)`: to this process's group leader (for a process serving a BEAM caller's
    /// rpc or spawn, the caller's; e.g. an iex shell).
    pub async fn put_chars(&mut self, text: &str) -> Result<(), IoError> {
        let leader = self.group_leader().ok_or(IoError::NoGroupLeader)?;
        self.put_chars_to(&leader, text).await
    }

    /// `io:format(Format, Args)` to this process's group leader, shipped unformatted as `io`
    /// does (the io server formats it).
    pub async fn format(&mut self, format: &str, args: Vec<Term>) -> Result<(), IoError> {
        let leader = self.group_leader().ok_or(IoError::NoGroupLeader)?;
        let request = Term::tuple(vec![
            Term::atom("put_chars"),
            Term::atom("unicode"),
            Term::atom("io_lib"),
            Term::atom("format"),
            Term::list(vec![
                Term::list(format.chars().map(|c| Term::Integer(c as i64)).collect()),
                Term::list(args),
            ]),
        ]);
        self.io_request(&leader, request).await
    }

    /// One request of the io protocol: monitor the server, `{io_request, Self, Ref, Request}`,
    /// wait for `{io_reply, Ref, Reply}` or the server's `'DOWN'`.
    async fn io_request(&mut self, server: &Pid, request: Term) -> Result<(), IoError> {
        let reference = self.monitor(&Dest::Pid(server.clone())).await;
        let tag = Term::from(reference.clone());
        let message = Term::tuple(vec![
            Term::atom("io_request"),
            Term::Pid(self.pid().clone()),
            tag.clone(),
            request,
        ]);
        self.send(server, message).await;
        let timeout = Duration::from_secs(60);
        let reply = self
            .mailbox
            .recv_match(Some(timeout), |m| match m {
                Term::Tuple(items)
                    if items.len() == 3
                        && items[0].as_atom() == Some("io_reply")
                        && items[1] == tag =>
                {
                    Some(Ok(items[2].clone()))
                }
                Term::Tuple(items)
                    if items.len() == 5
                        && items[0].as_atom() == Some("DOWN")
                        && items[1] == tag =>
                {
                    Some(Err(IoError::Terminated))
                }
                _ => None,
            })
            .await;
        self.demonitor_flush(&reference);
        match reply {
            Some(Ok(reply)) if reply.as_atom() == Some("ok") => Ok(()),
            Some(Ok(reply)) => Err(IoError::Refused(reply)),
            Some(Err(e)) => Err(e),
            None => Err(IoError::Timeout(timeout)),
        }
    }
}
