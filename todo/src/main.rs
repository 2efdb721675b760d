//! `todo-node`: starts a Rust todo node as the book's `Todo.Application` does (database, cache,
//! web), joins the cluster given with `--connect`, catches up the lists it lacks, then serves.
//! Run: todo-node --sname node1@localhost   (TODO_HTTP_PORT, TODO_DB_FOLDER, TODO_SERVER_EXPIRY)

use clap::Parser;
use node::Node;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use todo::cache::Cache;
use todo::cli::Args;
use todo::config::TodoConfig;
use todo::database::Database;
use todo::{catch_up, database_rpc, node_monitor, web};
use tokio::net::TcpListener;
use tracing::{info, warn};

/// How long to wait for `:global` to sync with the peers before serving anyway.
const GLOBAL_SYNC_LIMIT: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Args::parse()).await {
        eprintln!("todo-node: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let config = TodoConfig::from_env().map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(("0.0.0.0", config.http_port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen for HTTP on port {}: {e}; pick another with TODO_HTTP_PORT",
                config.http_port
            )
        })?;
    let node = Node::start(args.node_config()?)
        .await
        .map_err(|e| format!("cannot start the node: {e}"))?;
    let db = Arc::new(Database::open(&config.db_folder, node.name()).map_err(|e| e.to_string())?);
    database_rpc::register(&node, db.clone());
    let serving = Arc::new(AtomicBool::new(false));
    node_monitor::start(node.clone(), db.clone(), serving.clone());

    for peer in &args.connect {
        node.connect_node(peer).await.map_err(|e| {
            format!("cannot connect to {peer}: {e}; check that it runs, with the same cookie and epmd port")
        })?;
    }
    let global = node.global().ok_or("global is not running on this node")?;
    if tokio::time::timeout(GLOBAL_SYNC_LIMIT, global.sync())
        .await
        .is_err()
    {
        warn!("global has not synced with every peer after 30 s; serving anyway");
    }
    catch_up::catch_up_all(&node, &db).await;
    serving.store(true, Ordering::Release);

    let cache = Arc::new(Cache::new(
        node.clone(),
        global,
        db.clone(),
        config.server_expiry,
    ));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(config.http_port);
    info!(node = %node.name(), http_port = port, db = %db.folder().display(), expiry_s = config.server_expiry.as_secs(), "serving");
    println!(
        "todo node {} ready: http port {port}, db folder {}",
        node.name(),
        db.folder().display()
    );
    web::serve(listener, cache).await;
    Ok(())
}
