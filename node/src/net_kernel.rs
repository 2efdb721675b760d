//! The `net_kernel` process of a Rust node: answers `is_auth`, which is what `net_adm:ping/1`
//! and `Node.ping/1` ask. Other requests are logged and left unanswered, as issue 5 covers them.

use crate::gen::GenCall;
use crate::node::Node;
use distproto::term::Term;
use tracing::debug;

pub(crate) fn start(node: &Node) {
    let mut process = node.spawn_process();
    process.register("net_kernel");
    let node = node.clone();
    tokio::spawn(async move {
        while let Some(message) = process.mailbox.recv().await {
            let Some(call) = GenCall::parse(&message) else {
                debug!(
                    ?message,
                    "net_kernel: ignoring a message that is not a gen call"
                );
                continue;
            };
            match &call.request {
                Term::Tuple(items) if items.first().and_then(Term::as_atom) == Some("is_auth") => {
                    call.reply(&node, process.pid(), Term::atom("yes")).await;
                }
                other => debug!(request = ?other, "net_kernel: request not supported"),
            }
        }
    });
}
