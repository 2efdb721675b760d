//! The todo application's configuration, from the environment as the book's
//! `config/runtime.exs`: `TODO_HTTP_PORT`, `TODO_SERVER_EXPIRY` (seconds), `TODO_DB_FOLDER`.

use std::path::PathBuf;
use std::time::Duration;

/// The book's prod defaults: port 5454, servers expire after 60 s idle, `./persist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoConfig {
    pub http_port: u16,
    pub server_expiry: Duration,
    pub db_folder: PathBuf,
}

/// A variable that is set but unusable (the book's node would crash at boot on it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("TODO_HTTP_PORT={0:?} is not a port number; give 0..65535 (0 picks a free port), e.g. TODO_HTTP_PORT=5454")]
    HttpPort(String),
    #[error(
        "TODO_SERVER_EXPIRY={0:?} is not a whole number of seconds; e.g. TODO_SERVER_EXPIRY=60"
    )]
    ServerExpiry(String),
    #[error("TODO_DB_FOLDER is empty; give a folder, e.g. TODO_DB_FOLDER=./persist")]
    DbFolder,
}

impl Default for TodoConfig {
    fn default() -> Self {
        TodoConfig {
            http_port: 5454,
            server_expiry: Duration::from_secs(60),
            db_folder: PathBuf::from("./persist"),
        }
    }
}

impl TodoConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<TodoConfig, ConfigError> {
        TodoConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `var` (the environment, or a table in tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<TodoConfig, ConfigError> {
        let mut config = TodoConfig::default();
        if let Some(port) = var("TODO_HTTP_PORT") {
            config.http_port = port
                .trim()
                .parse()
                .map_err(|_| ConfigError::HttpPort(port))?;
        }
        if let Some(expiry) = var("TODO_SERVER_EXPIRY") {
            let seconds: u64 = expiry
                .trim()
                .parse()
                .map_err(|_| ConfigError::ServerExpiry(expiry))?;
            config.server_expiry = Duration::from_secs(seconds);
        }
        if let Some(folder) = var("TODO_DB_FOLDER") {
            if folder.is_empty() {
                return Err(ConfigError::DbFolder);
            }
            config.db_folder = PathBuf::from(folder);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<TodoConfig, ConfigError> {
        TodoConfig::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_are_the_books() {
        assert_eq!(with(&[]), Ok(TodoConfig::default()));
        assert_eq!(TodoConfig::default().http_port, 5454);
    }

    #[test]
    fn reads_each_variable() {
        let config = with(&[
            ("TODO_HTTP_PORT", "5555"),
            ("TODO_SERVER_EXPIRY", "2"),
            ("TODO_DB_FOLDER", "/tmp/p"),
        ])
        .unwrap();
        assert_eq!(config.http_port, 5555);
        assert_eq!(config.server_expiry, Duration::from_secs(2));
        assert_eq!(config.db_folder, PathBuf::from("/tmp/p"));
    }

    #[test]
    fn bad_values_say_what_to_do() {
        let e = with(&[("TODO_HTTP_PORT", "http")]).unwrap_err();
        assert!(e.to_string().contains("e.g. TODO_HTTP_PORT=5454"));
        assert!(with(&[("TODO_HTTP_PORT", "70000")]).is_err());
        assert!(with(&[("TODO_SERVER_EXPIRY", "1.5")]).is_err());
        assert!(with(&[("TODO_SERVER_EXPIRY", "-1")]).is_err());
        assert_eq!(with(&[("TODO_DB_FOLDER", "")]), Err(ConfigError::DbFolder));
    }
}
