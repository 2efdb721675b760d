//! Writing a file so that a crash at any instant leaves either the old content or the new one,
//! and the new one is on disk when the call returns: temp file, fsync, rename, fsync the folder.
//! Blocking I/O: call it from `spawn_blocking`.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Replaces `dir/file_name` with `data`, durably. The temporary file is `dir/.file_name.tmp.N`
/// (a leading dot: never mistaken for a list file) and is removed if anything fails.
pub fn write_durably(dir: &Path, file_name: &OsStr, data: &[u8]) -> io::Result<()> {
    let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".tmp.{}.{n}", std::process::id()));
    let temp = dir.join(temp_name);
    let target = dir.join(file_name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &target)?;
        // The rename itself is durable only once the folder is synced.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_leaving_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        write_durably(dir.path(), OsStr::new("bob"), b"one").unwrap();
        write_durably(dir.path(), OsStr::new("bob"), b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("bob")).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["bob"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        write_durably(dir.path(), OsStr::new("bob"), b"one").unwrap();
        // A directory in the way of the rename makes it fail.
        fs::create_dir(dir.path().join("alice")).unwrap();
        fs::write(dir.path().join("alice").join("x"), b"").unwrap();
        assert!(write_durably(dir.path(), OsStr::new("alice"), b"new").is_err());
        assert_eq!(fs::read(dir.path().join("bob")).unwrap(), b"one");
        let temps = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(temps, 0);
    }
}
