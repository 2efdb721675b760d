//! `Todo.Server`: the one process per list in the whole cluster, answering the book's calls
//! `{add_entry, Entry}` (→ `ok`, after every replica is written) and `{entries, Date}` (→ the
//! entries), and stopping after `TODO_SERVER_EXPIRY` idle. Odd requests get an error, never a crash.

use crate::catch_up;
use crate::database::Database;
use crate::replication;
use crate::todo_list::TodoList;
use node::{CallReply, Ctx, GenCall, GenServer, Step, Term};
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, warn};

/// The message the starter sends right after registering the server, so that it loads its list
/// and arms its idle timer even if no call follows (the book's `handle_continue(:init)`).
pub const INIT: &str = "init";

pub struct TodoServer {
    name: Vec<u8>,
    /// `None` until loaded (on `INIT` or the first call, whichever comes first).
    list: Option<TodoList>,
    db: Arc<Database>,
    expiry: Duration,
}

impl TodoServer {
    pub fn new(name: Vec<u8>, db: Arc<Database>, expiry: Duration) -> TodoServer {
        TodoServer {
            name,
            list: None,
            db,
            expiry,
        }
    }

    fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    /// The list, loaded on first use: `Todo.Database.get(name) || Todo.List.new()`, from the
    /// freshest of this node's replica and the visible nodes' replicas. `Err` is the stop reason.
    async fn list(&mut self, ctx: &mut Ctx<'_>) -> Result<&mut TodoList, Term> {
        if self.list.is_none() {
            println!("Starting to-do server for {}.", self.display_name());
            let node = ctx.process.node().clone();
            match catch_up::freshest_copy(&node, &self.db, &self.name).await {
                Ok(list) => self.list = Some(list.unwrap_or_default()),
                Err(e) => {
                    error!(list = %self.display_name(), error = %e, "cannot load the list");
                    return Err(Term::tuple(vec![
                        Term::atom("cannot_load"),
                        Term::binary(e.to_string().into_bytes()),
                    ]));
                }
            }
        }
        Ok(self.list.get_or_insert_with(TodoList::new))
    }

    async fn add_entry(&mut self, ctx: &mut Ctx<'_>, entry: Term) -> Result<Term, Term> {
        let Ok(entry) = entry.into_map() else {
            return Ok(error_reply("bad_entry", "the entry must be a map"));
        };
        let new_list = {
            let list = self.list(ctx).await?;
            list.add_entry(entry);
            list.to_term()
        };
        let node = ctx.process.node().clone();
        let outcome = replication::store(&node, &self.name, new_list).await;
        if outcome.stored_on.is_empty() {
            // Stored nowhere: take it back, so that no later read shows an entry that failed.
            if let Some(list) = self.list.as_mut() {
                list.undo_add_entry();
            }
            return Ok(error_reply("store_failed", "no node could store the list"));
        }
        Ok(Term::atom("ok"))
    }
}

impl GenServer for TodoServer {
    async fn handle_call(&mut self, ctx: &mut Ctx<'_>, request: Term, _from: GenCall) -> CallReply {
        ctx.set_timeout(self.expiry);
        let reply = match request.into_tuple() {
            Ok(items) if items.len() == 2 => {
                let mut items = items.into_iter();
                let (Some(tag), Some(argument)) = (items.next(), items.next()) else {
                    return CallReply::Reply(error_reply("unknown_call", "empty request"));
                };
                match tag.as_atom() {
                    Some("add_entry") => self.add_entry(ctx, argument).await,
                    Some("entries") => self
                        .list(ctx)
                        .await
                        .map(|list| Term::list(list.entries(&argument))),
                    _ => Ok(unknown_call(&Term::tuple(vec![tag, argument]))),
                }
            }
            Ok(items) => Ok(unknown_call(&Term::tuple(items))),
            Err(other) => Ok(unknown_call(&other)),
        };
        match reply {
            Ok(reply) => CallReply::Reply(reply),
            Err(reason) => CallReply::Stop {
                reason,
                reply: None,
            },
        }
    }

    async fn handle_info(&mut self, ctx: &mut Ctx<'_>, message: Term) -> Step {
        if message.as_atom() == Some("timeout") {
            println!("Stopping to-do server for {}", self.display_name());
            return Step::Stop(Term::atom("normal"));
        }
        ctx.set_timeout(self.expiry);
        if let Err(reason) = self.list(ctx).await {
            return Step::Stop(reason);
        }
        Step::Continue
    }

    async fn handle_cast(&mut self, ctx: &mut Ctx<'_>, request: Term) -> Step {
        ctx.set_timeout(self.expiry);
        warn!(list = %self.display_name(), request = %crate::term_text::show(&request), "Todo.Server has no casts; ignored");
        Step::Continue
    }
}

fn unknown_call(request: &Term) -> Term {
    warn!(request = %crate::term_text::show(request), "Todo.Server: unknown call");
    error_reply(
        "unknown_call",
        "Todo.Server answers {add_entry, Entry} and {entries, Date}",
    )
}

/// `{error, {Kind, <<"message">>}}`.
fn error_reply(kind: &str, message: &str) -> Term {
    Term::tuple(vec![
        Term::atom("error"),
        Term::tuple(vec![
            Term::atom(kind),
            Term::binary(message.as_bytes().to_vec()),
        ]),
    ])
}
