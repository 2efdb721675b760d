//! Where a node's cookie comes from when none is given: `~/.erlang.cookie`, created the way erl
//! creates it (20 random capital letters, mode 0400) when it does not exist.

use distproto::handshake::Cookie;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CookieError {
    #[error("cannot read cookie file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create cookie file {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cookie file {0} is empty")]
    Empty(PathBuf),
    #[error("HOME is not set: give the cookie explicitly (--cookie)")]
    NoHome,
    #[error("no randomness for a new cookie")]
    NoRandom,
}

/// `$HOME/.erlang.cookie`.
pub fn default_cookie_path() -> Result<PathBuf, CookieError> {
    let home = std::env::var_os("HOME").ok_or(CookieError::NoHome)?;
    Ok(Path::new(&home).join(".erlang.cookie"))
}

/// Reads the cookie at `path`, creating it with a fresh random cookie if it does not exist.
pub fn read_or_create(path: &Path) -> Result<Cookie, CookieError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            // erl uses the first line, without surrounding blanks.
            let cookie = text.lines().next().unwrap_or_default().trim();
            if cookie.is_empty() {
                return Err(CookieError::Empty(path.into()));
            }
            Ok(Cookie::new(cookie))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(source) => Err(CookieError::Read {
            path: path.into(),
            source,
        }),
    }
}

fn create(path: &Path) -> Result<Cookie, CookieError> {
    use ring::rand::SecureRandom;
    use std::os::unix::fs::OpenOptionsExt;
    let mut random = [0u8; 20];
    ring::rand::SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| CookieError::NoRandom)?;
    let text: String = random.iter().map(|b| char::from(b'A' + b % 26)).collect();
    let create_error = |source| CookieError::Create {
        path: path.into(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o400)
        .open(path)
        .map_err(create_error)?;
    file.write_all(text.as_bytes()).map_err(create_error)?;
    Ok(Cookie::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_then_reads_the_same_cookie() {
        let dir = std::env::temp_dir().join(format!("cookie-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(".erlang.cookie");
        let _ = std::fs::remove_file(&path);
        let made = read_or_create(&path).expect("created");
        assert_eq!(made.expose().len(), 20);
        assert!(made.expose().chars().all(|c| c.is_ascii_uppercase()));
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o400);
        assert_eq!(read_or_create(&path).expect("read"), made);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
