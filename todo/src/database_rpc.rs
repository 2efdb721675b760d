//! `'Elixir.Todo.Database'` as other nodes call it over rpc/erpc: the book's `store_local/2`
//! and `get/1`, plus `keys/0`, which a joining node uses to learn which lists a peer holds.
//! Bad arguments raise Erlang errors for the caller; they never stop this node.

use crate::database::{Database, DbError};
use crate::todo_list::TodoList;
use node::{Exception, Node, Term};
use std::sync::Arc;
use tracing::warn;

pub const MODULE: &str = "Elixir.Todo.Database";

/// Makes `Todo.Database.store_local/2`, `get/1` and `keys/0` callable on this node.
pub fn register(node: &Node, db: Arc<Database>) {
    let store_db = db.clone();
    node.register_function(MODULE, "store_local", 2, move |_ctx, args| {
        let db = store_db.clone();
        async move {
            let [key, data] = <[Term; 2]>::try_from(args).map_err(|_| Exception::badarg())?;
            let key = key_bytes(&key).ok_or_else(Exception::badarg)?;
            if let Err(why) = TodoList::check(&data) {
                return Err(Exception::error(error_term(&why.to_string())));
            }
            db.store_local(&key, &data).await.map_err(db_error)?;
            Ok(Term::atom("ok"))
        }
    });
    let get_db = db.clone();
    node.register_function(MODULE, "get", 1, move |_ctx, args| {
        let db = get_db.clone();
        async move {
            let key = args
                .first()
                .and_then(key_bytes)
                .ok_or_else(Exception::badarg)?;
            match db.get_term(&key).await.map_err(db_error)? {
                Some(term) => Ok(term),
                None => Ok(Term::atom("nil")),
            }
        }
    });
    node.register_function(MODULE, "keys", 0, move |_ctx, _args| {
        let db = db.clone();
        async move {
            let keys = db.keys().await.map_err(db_error)?;
            Ok(Term::list(keys.into_iter().map(Term::binary).collect()))
        }
    });
}

/// A key as the book uses it: a binary (an atom is taken as its text, as `to_string/1` does).
fn key_bytes(key: &Term) -> Option<Vec<u8>> {
    match key {
        Term::Binary(bytes) => Some(bytes.to_vec()),
        Term::Atom(atom) => Some(atom.as_str().as_bytes().to_vec()),
        _ => None,
    }
}

fn db_error(e: DbError) -> Exception {
    warn!(error = %e, "Todo.Database call failed");
    Exception::error(error_term(&e.to_string()))
}

/// `{todo_database, <<"what happened and what to do">>}`.
fn error_term(message: &str) -> Term {
    Term::tuple(vec![
        Term::atom("todo_database"),
        Term::binary(message.as_bytes().to_vec()),
    ])
}
