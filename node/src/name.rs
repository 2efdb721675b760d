//! Node names as `erl` accepts them: `-sname name[@host]` (short host, no dots) and
//! `-name name[@host.domain]` (long host with a dot, or an IP address).

use std::fmt;

/// A node's full name, `alive@host`, and whether it is a long name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeName {
    alive: String,
    host: String,
    long: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error("node name {0:?}: the part before '@' must be non-empty letters, digits, '_' or '-'")]
    BadAlive(String),
    #[error("node name {0:?}: more than one '@'")]
    TwoAts(String),
    #[error("short node name {0:?} has a host with dots; use --name for long names")]
    ShortWithDots(String),
    #[error("long node name {0:?} needs a fully qualified host (with a dot) or an IP address")]
    LongWithoutDots(String),
    #[error("cannot find this machine's host name: {0}")]
    NoHostName(String),
}

impl NodeName {
    /// `--sname`: `name@host` or just `name` (the host is this machine's short host name).
    pub fn short(text: &str) -> Result<NodeName, NameError> {
        let (alive, host) = split(text)?;
        let host = match host {
            Some(host) => host.to_string(),
            None => hostname()?
                .split('.')
                .next()
                .unwrap_or("localhost")
                .to_string(),
        };
        if host.contains('.') {
            return Err(NameError::ShortWithDots(text.into()));
        }
        Ok(NodeName {
            alive: alive.into(),
            host,
            long: false,
        })
    }

    /// `--name`: `name@host.domain`, `name@1.2.3.4`, or just `name` (this machine's full host name).
    pub fn long(text: &str) -> Result<NodeName, NameError> {
        let (alive, host) = split(text)?;
        let host = match host {
            Some(host) => host.to_string(),
            None => hostname()?,
        };
        if !host.contains('.') && host.parse::<std::net::IpAddr>().is_err() {
            return Err(NameError::LongWithoutDots(text.into()));
        }
        Ok(NodeName {
            alive: alive.into(),
            host,
            long: true,
        })
    }

    /// The part before `@`: what is registered with EPMD.
    pub fn alive(&self) -> &str {
        &self.alive
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_long(&self) -> bool {
        self.long
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.alive, self.host)
    }
}

fn split(text: &str) -> Result<(&str, Option<&str>), NameError> {
    let mut parts = text.split('@');
    let alive = parts.next().unwrap_or_default();
    let host = parts.next();
    if parts.next().is_some() {
        return Err(NameError::TwoAts(text.into()));
    }
    let alive_ok = !alive.is_empty()
        && alive
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !alive_ok || host.is_some_and(str::is_empty) {
        return Err(NameError::BadAlive(text.into()));
    }
    Ok((alive, host))
}

fn hostname() -> Result<String, NameError> {
    let text = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_err(|e| NameError::NoHostName(e.to_string()))?;
    Ok(text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_names_follow_erl() {
        assert_eq!(
            NodeName::short("a@localhost").map(|n| n.to_string()),
            Ok("a@localhost".into())
        );
        assert!(matches!(
            NodeName::short("a@host.example.com"),
            Err(NameError::ShortWithDots(_))
        ));
        assert_eq!(
            NodeName::long("a@host.example.com").map(|n| n.alive().to_string()),
            Ok("a".into())
        );
        assert!(NodeName::long("a@127.0.0.1").is_ok());
        assert!(matches!(
            NodeName::long("a@localhost"),
            Err(NameError::LongWithoutDots(_))
        ));
        for bad in ["", "@h", "a@", "a@b@c", "a b@h"] {
            assert!(NodeName::short(bad).is_err(), "{bad}");
        }
        assert!(NodeName::short("plain").is_ok());
    }
}
