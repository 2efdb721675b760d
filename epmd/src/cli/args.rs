//! OTP's epmd command line, read left to right like `epmd.c`: options set state, an
//! interactive option (`-names`, `-kill`, ...) must be last. `--option` is accepted as `-option`.

use crate::config::DaemonConfig;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// A client command: talk to a running epmd and print what OTP's epmd prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCommand {
    /// `-names`
    Names,
    /// `-started`: silent NAMES, exit status tells whether epmd answers.
    Started,
    /// `-dump`
    Dump,
    /// `-kill`
    Kill,
    /// `-stop NAME` (raw bytes of the name).
    Stop(Vec<u8>),
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Run the daemon.
    Daemon(DaemonConfig),
    /// Run one client command against the epmd on `port` (local host).
    Client {
        port: i32,
        debug: u32,
        command: ClientCommand,
    },
    /// Print usage to stderr, exit 1.
    Usage,
}

/// The EPMD environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// `ERL_EPMD_PORT`
    pub port: Option<String>,
    /// `ERL_EPMD_ADDRESS`
    pub address: Option<String>,
    /// `ERL_EPMD_RELAXED_COMMAND_CHECK` is set (to anything).
    pub relaxed: bool,
}

impl Environment {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        Environment {
            port: std::env::var_os("ERL_EPMD_PORT").map(|v| v.to_string_lossy().into_owned()),
            address: std::env::var_os("ERL_EPMD_ADDRESS").map(|v| v.to_string_lossy().into_owned()),
            relaxed: std::env::var_os("ERL_EPMD_RELAXED_COMMAND_CHECK").is_some(),
        }
    }
}

/// C's `atoi`: optional blanks and sign, then digits; anything else ends the number (0 if none).
pub fn atoi(s: &str) -> i32 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + i64::from(b - b'0')).min(i64::from(u32::MAX) + 1);
    }
    let n = if neg { -n } else { n };
    n as i32
}

fn seconds(v: i32) -> Duration {
    Duration::from_secs(u64::try_from(v).unwrap_or(0))
}

/// Parses the arguments after the program name.
pub fn parse(args: &[OsString], env: &Environment) -> Invocation {
    let mut cfg = DaemonConfig {
        addresses: env.address.clone(),
        relaxed: env.relaxed,
        ..DaemonConfig::default()
    };
    if let Some(p) = &env.port {
        cfg.port = atoi(p);
    }
    let mut i = 0;
    while i < args.len() {
        let raw = args[i].to_string_lossy();
        let opt = match raw.strip_prefix("--") {
            Some(rest) if !rest.is_empty() => format!("-{rest}"),
            _ => raw.into_owned(),
        };
        let remaining = args.len() - i;
        let value = args.get(i + 1).map(|v| v.to_string_lossy().into_owned());
        let number = || value.as_deref().map(atoi).filter(|&n| n != 0);
        match opt.as_str() {
            "-d" | "-debug" => cfg.debug += 1,
            "-daemon" => cfg.daemon = true,
            "-relaxed_command_check" => cfg.relaxed = true,
            "-systemd" => cfg.systemd = true,
            "-port" | "-packet_timeout" | "-delay_accept" | "-delay_write" | "-max_nodes" => {
                let Some(n) = number() else {
                    return Invocation::Usage;
                };
                match opt.as_str() {
                    "-port" => cfg.port = n,
                    "-packet_timeout" => cfg.packet_timeout = seconds(n),
                    "-delay_accept" => cfg.delay_accept = Some(seconds(n)),
                    "-delay_write" => cfg.delay_write = Some(seconds(n)),
                    _ => match usize::try_from(n) {
                        Ok(max) => cfg.max_nodes = Some(max),
                        Err(_) => return Invocation::Usage,
                    },
                }
                i += 1;
            }
            "-address" => {
                let Some(list) = value else {
                    return Invocation::Usage;
                };
                cfg.addresses = Some(list);
                i += 1;
            }
            "-names" | "-started" | "-dump" | "-kill" => {
                if remaining != 1 {
                    return Invocation::Usage;
                }
                let command = match opt.as_str() {
                    "-names" => ClientCommand::Names,
                    "-started" => ClientCommand::Started,
                    "-dump" => ClientCommand::Dump,
                    _ => ClientCommand::Kill,
                };
                return client(&cfg, command);
            }
            "-stop" => {
                if remaining != 2 {
                    return Invocation::Usage;
                }
                let name = args[i + 1].as_bytes().to_vec();
                return client(&cfg, ClientCommand::Stop(name));
            }
            _ => return Invocation::Usage,
        }
        i += 1;
    }
    Invocation::Daemon(cfg)
}

fn client(cfg: &DaemonConfig, command: ClientCommand) -> Invocation {
    Invocation::Client {
        port: cfg.port,
        debug: cfg.debug,
        command,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Invocation {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        parse(&args, &Environment::default())
    }

    fn daemon(args: &[&str]) -> DaemonConfig {
        match p(args) {
            Invocation::Daemon(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi("4369"), 4369);
        assert_eq!(atoi("  12abc"), 12);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("-5"), -5);
        assert_eq!(atoi(""), 0);
    }

    #[test]
    fn daemon_options() {
        let c = daemon(&[
            "-port",
            "4444",
            "-relaxed_command_check",
            "-packet_timeout",
            "2",
            "-d",
            "-d",
            "-address",
            "127.0.0.1,10.0.0.1",
            "-max_nodes",
            "50000",
        ]);
        assert_eq!(c.port, 4444);
        assert!(c.relaxed);
        assert_eq!(c.packet_timeout, Duration::from_secs(2));
        assert_eq!(c.debug, 2);
        assert_eq!(c.addresses.as_deref(), Some("127.0.0.1,10.0.0.1"));
        assert_eq!(c.max_nodes, Some(50000));
        assert_eq!(daemon(&[]), DaemonConfig::default());
    }

    #[test]
    fn double_dashes() {
        let c = daemon(&["--port", "4444", "--daemon"]);
        assert_eq!(c.port, 4444);
        assert!(c.daemon);
        assert_eq!(
            p(&["--port", "1", "--names"]),
            Invocation::Client {
                port: 1,
                debug: 0,
                command: ClientCommand::Names
            }
        );
    }

    #[test]
    fn usage_cases() {
        for bad in [
            &["-bogus"][..],
            &["-h"],
            &["-port"],
            &["-port", "0"],
            &["-port", "x"],
            &["-names", "-port", "4369"],
            &["-stop"],
            &["-stop", "a", "b"],
            &["-packet_timeout", "0"],
            &["-address"],
            &["--"],
        ] {
            assert_eq!(p(bad), Invocation::Usage, "{bad:?}");
        }
    }

    #[test]
    fn client_commands_take_the_port_given_before() {
        assert_eq!(
            p(&["-port", "4370", "-stop", "foo"]),
            Invocation::Client {
                port: 4370,
                debug: 0,
                command: ClientCommand::Stop(b"foo".to_vec())
            }
        );
        assert!(matches!(
            p(&["-kill"]),
            Invocation::Client {
                port: 4369,
                command: ClientCommand::Kill,
                ..
            }
        ));
    }

    #[test]
    fn environment() {
        let env = Environment {
            port: Some("4400".into()),
            address: Some("127.0.0.2".into()),
            relaxed: true,
        };
        let Invocation::Daemon(c) = parse(&[], &env) else {
            panic!()
        };
        assert_eq!(c.port, 4400);
        assert!(c.relaxed);
        assert_eq!(c.addresses.as_deref(), Some("127.0.0.2"));
    }
}
