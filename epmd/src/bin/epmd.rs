//! The `epmd` executable: a drop-in replacement for OTP's epmd daemon and its command line.
//! Parses arguments, then runs either a client command or the daemon.

use epmd::cli::{self, Environment, Invocation};
use epmd::daemon::{self, DaemonError};
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn init_logging(debug: u32) {
    let default = match debug {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(default),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    // Internal: the daemon re-executes itself as a registration holder (not in the usage text).
    if args.len() == 1 && args.first().is_some_and(|a| a == epmd::holder::HOLDER_ARG) {
        init_logging(0);
        return epmd::holder::child::run();
    }
    match cli::parse(&args, &Environment::from_process()) {
        Invocation::Usage => {
            eprint!("{}", cli::USAGE);
            ExitCode::from(1)
        }
        Invocation::Client {
            port,
            debug,
            command,
        } => {
            init_logging(debug);
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("epmd: cannot start the async runtime: {e}");
                    return ExitCode::from(1);
                }
            };
            let status = runtime.block_on(cli::commands::run(port, command));
            ExitCode::from(status as u8)
        }
        Invocation::Daemon(config) => {
            if config.daemon {
                if let Err(e) = daemon::detach::detach() {
                    eprintln!("epmd: cannot detach: {e}");
                    return ExitCode::from(1);
                }
                // Detached: stderr is /dev/null, so no log subscriber is installed.
            } else {
                init_logging(config.debug);
            }
            match daemon::run_blocking(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e @ DaemonError::AlreadyRunning(_)) => {
                    // Silent unless -d, as OTP: `erl` starts epmd every time and expects this.
                    tracing::debug!("{e}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    tracing::error!("{e}");
                    ExitCode::from(e.exit_code() as u8)
                }
            }
        }
    }
}
