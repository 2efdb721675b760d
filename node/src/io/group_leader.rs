//! The node's group leader: an io server (the Erlang I/O protocol) that writes to standard
//! output. BEAM code given our group leader (`rpc` from Rust, `Node.spawn` of Rust-initiated
//! work) prints here; `io:format` arrives unformatted and is formatted by `distproto::text`.

use super::chardata_to_string;
use crate::node::Node;
use distproto::term::{Atom, Term};
use distproto::text::{format_with, FormatOptions};
use std::io::Write;
use tracing::debug;

/// Starts the group leader, registered as `user` like a BEAM node's, and makes it every new
/// process's default group leader.
pub(crate) fn start_group_leader(node: &Node) {
    let mut server = node.spawn_process();
    server.register("user");
    let _ = node.inner.group_leader.set(server.pid().clone());
    let node = node.clone();
    tokio::spawn(async move {
        while let Some(message) = server.mailbox.recv().await {
            let Term::Tuple(items) = &message else {
                continue;
            };
            let [label, Term::Pid(from), reply_as, request] = items.as_slice() else {
                continue;
            };
            if label.as_atom() != Some("io_request") {
                continue;
            }
            let reply = serve(request, &node.inner.name);
            let message = Term::tuple(vec![Term::atom("io_reply"), reply_as.clone(), reply]);
            node.send(Some(server.pid()), from, message).await;
        }
    });
}

/// One io request's reply; output goes to standard output.
fn serve(request: &Term, me: &Atom) -> Term {
    match text_of(request, me) {
        Ok(Some(text)) => {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            Term::atom("ok")
        }
        Ok(None) => other_request(request, me),
        Err(reply) => reply,
    }
}

fn error(what: Term) -> Term {
    Term::tuple(vec![Term::atom("error"), what])
}

/// The text of a put_chars request (`Ok(None)` if it is not one; `Err(reply)` if it is bad).
fn text_of(request: &Term, me: &Atom) -> Result<Option<String>, Term> {
    let Term::Tuple(items) = request else {
        return Ok(None);
    };
    if items.first().and_then(Term::as_atom) != Some("put_chars") {
        return Ok(None);
    }
    match items.as_slice() {
        // {put_chars, Encoding, Chars} and the old {put_chars, Chars}
        [_, _, chars] | [_, chars] => chardata_to_string(chars)
            .map(Some)
            .ok_or_else(|| error(Term::tuple(vec![Term::atom("put_chars"), chars.clone()]))),
        // {put_chars, Encoding, Module, Function, Args}
        [_, _, module, function, Term::List(args)] => apply_format(module, function, args, me)
            .map(Some)
            .ok_or_else(|| error(function.clone())),
        [_, _, _, function, _] => Err(error(function.clone())),
        _ => Ok(None),
    }
}

/// `io_lib:format/2`, `io_lib:write/1` and friends, as io requests name them.
/// Pids, ports and references of this node print as OTP prints local ones (`<0.80.0>`).
fn apply_format(module: &Term, function: &Term, args: &[Term], me: &Atom) -> Option<String> {
    let local = |node: &Atom| (node == me).then_some(0);
    let options = FormatOptions {
        node_number: Some(&local),
    };
    match (module.as_atom()?, function.as_atom()?, args) {
        ("io_lib", "format", [format, args]) => format_with(format, args, &options).ok(),
        ("io_lib", "write", [term]) => Some(distproto::text::write_term(term)),
        ("unicode", "characters_to_binary", [chars]) => chardata_to_string(chars),
        (m, f, _) => {
            debug!(
                module = m,
                function = f,
                "io request with an unsupported formatter"
            );
            None
        }
    }
}

/// Requests other than output: options and geometry as a non-terminal `user` answers them.
fn other_request(request: &Term, me: &Atom) -> Term {
    let name = match request {
        Term::Atom(a) => a.as_str(),
        Term::Tuple(items) => items.first().and_then(Term::as_atom).unwrap_or(""),
        _ => "",
    };
    match name {
        "setopts" => Term::atom("ok"),
        "getopts" => Term::list(vec![
            Term::tuple(vec![Term::atom("binary"), Term::atom("false")]),
            Term::tuple(vec![Term::atom("encoding"), Term::atom("unicode")]),
        ]),
        "get_geometry" => error(Term::atom("enotsup")),
        "get_chars" | "get_line" | "get_until" | "get_password" => Term::atom("eof"),
        "requests" => match request {
            Term::Tuple(items) => match items.get(1) {
                Some(Term::List(requests)) => {
                    let mut reply = Term::atom("ok");
                    for r in requests {
                        reply = serve(r, me);
                        if reply.as_atom() != Some("ok") {
                            break;
                        }
                    }
                    reply
                }
                _ => error(Term::atom("request")),
            },
            _ => error(Term::atom("request")),
        },
        _ => error(Term::atom("request")),
    }
}
