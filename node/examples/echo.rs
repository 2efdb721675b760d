//! A Rust node with one registered process, `echo`, that sends any `{From, Msg}` back to `From`
//! as `Msg`. Run: cargo run -p node --example echo -- --sname echo@localhost --cookie COOKIE

use clap::Parser;
use node::{Node, NodeConfig, NodeName, Term};

#[derive(Parser)]
#[command(about = "A Rust node whose `echo` process sends {From, Msg} back to From as Msg")]
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
        config = config.with_net_ticktime(std::time::Duration::from_secs(secs));
    }
    let node = Node::start(config).await?;
    let mut echo = node.spawn_process();
    echo.register("echo");
    println!("echo node {} ready", node.name());
    while let Some(message) = echo.mailbox.recv().await {
        if let Term::Tuple(items) = &message {
            if let [Term::Pid(from), msg] = items.as_slice() {
                echo.send(from, msg.clone()).await;
            }
        }
    }
    Ok(())
}
