//! `Todo.Web`: the book's HTTP interface on hyper. Each request runs as a process of the node and
//! calls the list's server wherever it lives in the cluster, as the book's request process does.
//! It never panics on a request: bad input is 400, an unreachable server 503, both with a reason.

use crate::cache::Cache;
use crate::date::Date;
use crate::term_text::show;
use crate::todo_list::{entry_line, new_entry};
use crate::web_request::{route, Route};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use node::{CallError, Dest, Pid, Term};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::{debug, warn};

/// How long a request waits for the list's server. The book's calls use `GenServer.call`'s 5 s,
/// which an `add_entry` whose store waits 5 s for a slow replica node can exceed: the entry is
/// then stored but the client told it failed, and its retry adds it twice. So: 5 s more.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection must bring a request's headers within this, also between keep-alive requests:
/// 60 s, Cowboy's `idle_timeout` under the book's web layer. Silent connections do not pile up.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a retry waits for `:global` to drop the name of a server that is gone (a node's
/// death is noticed at once on loopback; a tick timeout takes net_ticktime, not covered).
const FORGET_LIMIT: Duration = Duration::from_secs(3);

/// Serves HTTP/1.1 on `listener` until the program ends.
pub async fn serve(listener: TcpListener, cache: Arc<Cache>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                warn!(error = %e, "HTTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let cache = cache.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let cache = cache.clone();
                async move { Ok::<_, Infallible>(handle(&cache, request).await) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                debug!(%peer, error = %e, "HTTP connection ended with an error");
            }
        });
    }
}

/// One request, answered.
async fn handle(cache: &Cache, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let uri = request.uri();
    match route(request.method().as_str(), uri.path(), uri.query()) {
        Ok(Route::NotFound) => text(StatusCode::NOT_FOUND, "not found".into(), false),
        Err(bad) => text(StatusCode::BAD_REQUEST, format!("{bad}\n"), true),
        Ok(Route::AddEntry { list, date, title }) => {
            let request = Term::tuple(vec![
                Term::atom("add_entry"),
                Term::Map(new_entry(&date, &title)),
            ]);
            match call(cache, &list, request, Retry::IfNeverDelivered).await {
                Ok(reply) if reply.as_atom() == Some("ok") => {
                    text(StatusCode::OK, "OK".into(), true)
                }
                Ok(other) => server_error(&list, &other),
                Err(response) => response,
            }
        }
        Ok(Route::Entries { list, date }) => {
            let request = Term::tuple(vec![Term::atom("entries"), Date::to_term(&date)]);
            match call(cache, &list, request, Retry::IfServerGone).await {
                Ok(Term::List(ref entries)) => {
                    let lines: Vec<String> = entries.iter().map(entry_line).collect();
                    text(StatusCode::OK, lines.join("\n"), true)
                }
                Ok(other) => server_error(&list, &other),
                Err(response) => response,
            }
        }
    }
}

/// When a failed call is made once more, to a server looked up again.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// The server did not exist when called (`noproc`), or expired before reading the request
    /// (exit `normal`): it never saw the request, so this is safe for any request.
    IfNeverDelivered,
    /// Also when its node went down during the call: only for reads, since a write may have
    /// been stored before the node died and would be added twice.
    IfServerGone,
}

/// Calls the list's server (`server_process` then `GenServer.call`). A server that vanished
/// between the lookup and the call is looked up once more, as `retry` allows.
async fn call(
    cache: &Cache,
    list: &str,
    request: Term,
    retry: Retry,
) -> Result<Term, Response<Full<Bytes>>> {
    let mut me = cache.node().spawn_process();
    let mut last: Option<(Pid, CallError)> = None;
    for _ in 0..2 {
        if let Some((dead, _)) = &last {
            cache
                .wait_until_gone(list.as_bytes(), dead, FORGET_LIMIT)
                .await;
        }
        let pid = cache.server_process(list.as_bytes()).await.map_err(|e| {
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("list {list:?}: {e}\n"),
                true,
            )
        })?;
        match me
            .call(&Dest::Pid(pid.clone()), request.clone(), Some(CALL_TIMEOUT))
            .await
        {
            Ok(reply) => return Ok(reply),
            Err(e @ CallError::NoProc) => last = Some((pid, e)),
            // It expired (exit `normal`) with our request still unread in its mailbox.
            Err(CallError::Exit(reason)) if reason.as_atom() == Some("normal") => {
                last = Some((pid, CallError::Exit(reason)))
            }
            Err(e @ CallError::NodeDown(_)) if retry == Retry::IfServerGone => {
                last = Some((pid, e))
            }
            Err(e) => {
                last = Some((pid, e));
                break;
            }
        }
    }
    let (pid, e) = last.unwrap_or((me.pid().clone(), CallError::Timeout));
    let node = pid.node.as_str();
    let (status, what) = match &e {
        CallError::Exit(reason) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the server on {node} stopped: {}; see that node's log, fix what it says, then try again",
                show(reason)
            ),
        ),
        CallError::Timeout => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the server on {node} did not answer within {CALL_TIMEOUT:?} (busy, or a replica node is slow); read the list before adding again"),
        ),
        CallError::NoProc | CallError::NodeDown(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the server on {node} is gone ({e}); read the list, then try again (a new server will start)"),
        ),
    };
    warn!(%list, "call to the list's server failed: {what}");
    Err(text(status, format!("list {list:?}: {what}\n"), true))
}

fn server_error(list: &str, reply: &Term) -> Response<Full<Bytes>> {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("list {list:?}: the server answered {}\n", show(reply)),
        true,
    )
}

/// A plain-text response; `typed` adds Plug's `text/plain` content type and cache-control.
fn text(status: StatusCode, body: String, typed: bool) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if typed {
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("max-age=0, private, must-revalidate"),
        );
    }
    response
}
