//! The server side of one gen call on the wire (`gen_server:call` and friends, OTP 24+): reading
//! a `'$gen_call'` request and replying to its tag, through the alias when it is `[alias | Ref]`.

use crate::node::Node;
use distproto::term::{Pid, Term};

/// A `{'$gen_call', {From, Tag}, Request}` message, taken apart. Keep it to reply later.
#[derive(Debug, Clone)]
pub struct GenCall {
    pub from: Pid,
    pub tag: Term,
    pub request: Term,
}

impl GenCall {
    pub fn parse(message: &Term) -> Option<GenCall> {
        let Term::Tuple(items) = message else {
            return None;
        };
        let [label, from_tag, request] = items.as_slice() else {
            return None;
        };
        if label.as_atom() != Some("$gen_call") {
            return None;
        }
        let Term::Tuple(from_tag) = from_tag else {
            return None;
        };
        let [Term::Pid(from), tag] = from_tag.as_slice() else {
            return None;
        };
        Some(GenCall {
            from: from.clone(),
            tag: tag.clone(),
            request: request.clone(),
        })
    }

    /// `gen:reply/2`: `{Tag, Reply}` to the alias when the tag is `[alias | Alias]` (or
    /// `[[alias | Alias] | _]`), else to From.
    pub async fn reply(&self, node: &Node, sender: &Pid, reply: Term) {
        let message = Term::tuple(vec![self.tag.clone(), reply]);
        match alias_of(&self.tag) {
            Some(alias) => node.send_alias(sender, alias, message).await,
            None => node.send(Some(sender), &self.from, message).await,
        }
    }
}

fn alias_of(tag: &Term) -> Option<&distproto::term::Reference> {
    match tag {
        Term::ImproperList(head, tail) => match (head.as_slice(), tail.as_ref()) {
            ([label], Term::Reference(alias)) if label.as_atom() == Some("alias") => Some(alias),
            (items, _) => items.first().and_then(alias_of),
        },
        Term::List(items) => items.first().and_then(alias_of),
        _ => None,
    }
}
