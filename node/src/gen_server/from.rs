//! The server side of one gen call on the wire (`gen_server:call` and friends, OTP 24+): reading
//! a `'$gen_call'` request and replying to its tag, through the alias when it is `[alias | Ref]`.

use crate::node::Node;
use distproto::term::{Pid, Term};

/// Who made a gen call and how to answer it: the `{From, Tag}` of a
/// `{'$gen_call', {From, Tag}, Request}` message. Keep it to reply later.
#[derive(Debug, Clone)]
pub struct GenCall {
    pub from: Pid,
    pub tag: Term,
}

impl GenCall {
    /// Takes a `'$gen_call'` message apart into the caller and the request, without copying;
    /// any other message is given back.
    pub fn take(message: Term) -> Result<(GenCall, Term), Term> {
        if parts(&message).is_none() {
            return Err(message);
        }
        let mut items = message.into_tuple()?.into_iter();
        let (_, Some(from_tag), Some(request)) = (items.next(), items.next(), items.next()) else {
            return Err(Term::nil());
        };
        let Ok(from_tag) = from_tag.into_tuple() else {
            return Err(Term::nil());
        };
        let mut from_tag = from_tag.into_iter();
        let (Some(from), Some(tag)) = (from_tag.next(), from_tag.next()) else {
            return Err(Term::nil());
        };
        let Ok(from) = from.into_pid() else {
            return Err(Term::nil());
        };
        Ok((GenCall { from, tag }, request))
    }

    /// The caller and the request of a `'$gen_call'` message, if it is one.
    pub fn parse(message: &Term) -> Option<(GenCall, &Term)> {
        let (from, tag, request) = parts(message)?;
        Some((
            GenCall {
                from: from.clone(),
                tag: tag.clone(),
            },
            request,
        ))
    }

    /// `gen:reply/2`: `{Tag, Reply}` to the alias when the tag is `[alias | Alias]` (or
    /// `[[alias | Alias] | _]`), else to From.
    pub async fn reply(&self, node: &Node, sender: &Pid, reply: Term) {
        self.reply_more(node, sender, reply, false).await
    }

    /// [`GenCall::reply`] from a server that has more requests waiting: the reply may wait
    /// (until the server's task yields) to share one write with the replies that follow.
    pub(crate) async fn reply_more(
        &self,
        node: &Node,
        sender: &Pid,
        reply: Term,
        more_follows: bool,
    ) {
        let message = Term::tuple(vec![self.tag.clone(), reply]);
        match alias_of(&self.tag) {
            Some(alias) => {
                node.send_alias_more(sender, alias, message, more_follows)
                    .await
            }
            None => {
                node.send_more(Some(sender), &self.from, message.into(), more_follows)
                    .await
            }
        }
    }
}

/// From, Tag and Request of `{'$gen_call', {From, Tag}, Request}`.
fn parts(message: &Term) -> Option<(&Pid, &Term, &Term)> {
    let Term::Tuple(items) = message else {
        return None;
    };
    let [label, Term::Tuple(from_tag), request] = items.as_slice() else {
        return None;
    };
    if label.as_atom() != Some("$gen_call") {
        return None;
    }
    let [Term::Pid(from), tag] = from_tag.as_slice() else {
        return None;
    };
    Some((from, tag, request))
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
