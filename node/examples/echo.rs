//! A Rust node with one registered process, `echo`: a gen_server that replies `{echo, Request}`
//! to any call, calls `Dest` for `{call, Dest, Request}`, and sends any `{From, Msg}` message
//! back to `From` as `Msg`. It also serves rpc: `echo:echo/1` returns its argument, and
//! `echo:hello/1` prints a greeting to the caller's group leader (try `Node.spawn` from iex).
//! With `--global NAME` the echo process is also registered globally (`{global, NAME}`).
//! Run: cargo run -p node --example echo -- --sname echo@localhost --cookie COOKIE

use clap::Parser;
use node::{CallReply, Ctx, Dest, GenCall, GenServer, Node, NodeConfig, NodeName, Step, Term};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "A Rust node whose `echo` gen_server answers calls and echoes messages")]
struct Args {
    /// Short node name, as erl's -sname (name@host or name).
    #[arg(long, conflicts_with = "name")]
    sname: Option<String>,
    /// Long node name, as erl's -name (name@host.domain).
    #[arg(long)]
    name: Option<String>,
    /// The cookie; default: ~/.erlang.cookie (created when missing).
    #[arg(long)]
    cookie: Option<String>,
    /// EPMD port (default ERL_EPMD_PORT or 4369).
    #[arg(long)]
    epmd_port: Option<u16>,
    /// Start as a hidden node.
    #[arg(long)]
    hidden: bool,
    /// net_ticktime in seconds.
    #[arg(long)]
    net_ticktime: Option<u64>,
    /// Also register the echo process globally under this name (`global:register_name/2`),
    /// once the node is connected to `--connect` (if given).
    #[arg(long)]
    global: Option<String>,
    /// A node to connect to at start (`net_kernel:connect_node/1`).
    #[arg(long)]
    connect: Option<String>,
}

/// The `echo` process.
struct Echo;

impl GenServer for Echo {
    async fn handle_call(&mut self, ctx: &mut Ctx<'_>, request: Term, _from: GenCall) -> CallReply {
        if let Term::Tuple(items) = &request {
            if let [label, dest, inner] = items.as_slice() {
                if label.as_atom() == Some("call") {
                    return CallReply::Reply(call(ctx, dest, inner.clone()).await);
                }
            }
        }
        CallReply::Reply(Term::tuple(vec![Term::atom("echo"), request]))
    }

    async fn handle_info(&mut self, ctx: &mut Ctx<'_>, message: Term) -> Step {
        if let Term::Tuple(items) = &message {
            if let [Term::Pid(from), msg] = items.as_slice() {
                ctx.process.send(from, msg.clone()).await;
            }
        }
        Step::Continue
    }
}

/// Calls `dest` from Rust: its reply, or `{error, Reason}`.
async fn call(ctx: &mut Ctx<'_>, dest: &Term, request: Term) -> Term {
    let Some(dest) = Dest::from_term(dest) else {
        return Term::tuple(vec![Term::atom("error"), Term::atom("badarg")]);
    };
    match ctx
        .process
        .call(&dest, request, Some(Duration::from_secs(5)))
        .await
    {
        Ok(reply) => reply,
        Err(e) => Term::tuple(vec![Term::atom("error"), e.reason()]),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let name = match (&args.sname, &args.name) {
        (_, Some(long)) => NodeName::long(long)?,
        (Some(short), None) => NodeName::short(short)?,
        (None, None) => return Err("give --sname or --name".into()),
    };
    let mut config = NodeConfig::new(name).hidden(args.hidden);
    if let Some(cookie) = args.cookie {
        config = config.with_cookie(cookie);
    }
    if let Some(port) = args.epmd_port {
        config = config.with_epmd_port(port);
    }
    if let Some(secs) = args.net_ticktime {
        config = config.with_net_ticktime(Duration::from_secs(secs));
    }
    let node = Node::start(config).await?;
    node.register_function("echo", "echo", 1, |_ctx, mut args| async move {
        Ok(args.pop().unwrap_or_else(Term::nil))
    });
    node.register_function("echo", "hello", 1, |mut ctx, args| async move {
        let who = args
            .first()
            .and_then(node::io::chardata_to_string)
            .unwrap_or_else(|| "stranger".into());
        let greeting = format!("Hello, {who}, from {}\n", ctx.process.node().name());
        let _ = ctx.process.put_chars(&greeting).await;
        Ok(Term::atom("ok"))
    });
    let Some(echo) = node.start_gen_server(Some("echo"), Echo) else {
        return Err("cannot register the echo process".into());
    };
    if let Some(peer) = &args.connect {
        node.connect_node(peer).await?;
    }
    if let Some(name) = &args.global {
        let global = node.global().ok_or("global is not running")?;
        // Wait until global has synced with the cluster, as a BEAM node's global:sync/0 does,
        // so that the name is checked against every node's names.
        global.sync().await;
        let name = Term::try_atom(name).ok_or("--global: not a valid atom")?;
        if !global.register_name(name.clone(), &echo).await {
            return Err(format!(
                "the global name {} is taken",
                distproto::text::write_term(&name)
            )
            .into());
        }
    }
    println!("echo node {} ready", node.name());
    std::future::pending::<()>().await;
    Ok(())
}
