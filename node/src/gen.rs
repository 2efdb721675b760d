//! The wire side of gen calls (`gen_server:call` and friends, OTP 24+): reading a `'$gen_call'`
//! request and replying to its tag, through the alias when the caller sent `[alias | Ref]`.

use crate::node::Node;
use distproto::term::{Pid, Term};

/// A `{'$gen_call', {From, Tag}, Request}` message, taken apart.
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

    /// `gen:reply/2`: `{Tag, Reply}` to the alias when the tag is `[alias | Alias]`, else to From.
    pub async fn reply(&self, node: &Node, sender: &Pid, reply: Term) {
        let message = Term::tuple(vec![self.tag.clone(), reply]);
        match &self.tag {
            Term::ImproperList(head, tail)
                if head.len() == 1 && head[0].as_atom() == Some("alias") =>
            {
                if let Term::Reference(alias) = tail.as_ref() {
                    node.send_alias(sender, alias, message).await;
                }
            }
            _ => node.send(Some(sender), &self.from, message).await,
        }
    }
}
