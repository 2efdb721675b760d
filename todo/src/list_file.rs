//! List name ↔ file name in the node's database folder: the name itself, as the book writes it
//! (`Path.join(folder, name)`), for every name that stays inside the folder; the rest are refused.
//!
//! Refused: the empty name, `.` and `..`, names with a `/` or a NUL byte (they would leave the
//! folder or cannot be a file name), names that start with `.` (the temporary files of atomic
//! writes do, so they are never taken for lists), and names longer than 255 bytes.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The longest file name Linux file systems take.
const MAX_FILE_NAME: usize = 255;

/// Why a list name cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListNameError {
    #[error("the list name is empty: give a name, e.g. list=bob")]
    Empty,
    #[error("the list name is too long ({0} bytes, at most 255): use a shorter name")]
    TooLong(usize),
    #[error("a list name cannot contain `/` or a NUL byte: use another name")]
    Separator,
    #[error("a list name cannot start with `.`: use another name")]
    LeadingDot,
}

/// The file name that holds list `name`: the name's bytes unchanged.
pub fn file_name(name: &[u8]) -> Result<OsString, ListNameError> {
    match name {
        [] => Err(ListNameError::Empty),
        [b'.', ..] => Err(ListNameError::LeadingDot),
        _ if name.contains(&b'/') || name.contains(&0) => Err(ListNameError::Separator),
        _ if name.len() > MAX_FILE_NAME => Err(ListNameError::TooLong(name.len())),
        _ => Ok(OsString::from_vec(name.to_vec())),
    }
}

/// The list name a file holds, or `None` for files that cannot be list files (temporary files).
pub fn list_name(file_name: &OsStr) -> Option<Vec<u8>> {
    let name = file_name.as_bytes();
    self::file_name(name).ok().map(|_| name.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_books_file_names() {
        for name in [
            "bob", "list_1", "Bob", "my list", "café", "100%", "a\\b", "v1.2",
        ] {
            assert_eq!(file_name(name.as_bytes()).unwrap(), OsStr::new(name));
        }
        assert_eq!(file_name(b"\xff").unwrap().as_bytes(), b"\xff");
    }

    #[test]
    fn nothing_escapes_the_folder() {
        assert_eq!(file_name(b".."), Err(ListNameError::LeadingDot));
        assert_eq!(file_name(b"."), Err(ListNameError::LeadingDot));
        assert_eq!(file_name(b".hidden"), Err(ListNameError::LeadingDot));
        assert_eq!(file_name(b"../etc/passwd"), Err(ListNameError::LeadingDot));
        assert_eq!(file_name(b"a/../../b"), Err(ListNameError::Separator));
        assert_eq!(file_name(b"/tmp/x"), Err(ListNameError::Separator));
        assert_eq!(file_name(b"a\0b"), Err(ListNameError::Separator));
        assert_eq!(file_name(b""), Err(ListNameError::Empty));
        assert_eq!(file_name(&[b'a'; 300]), Err(ListNameError::TooLong(300)));
        assert!(file_name(&[b'a'; 255]).is_ok());
    }

    #[test]
    fn temporary_files_are_not_lists() {
        assert_eq!(list_name(OsStr::new(".bob.tmp.1.2")), None);
        assert_eq!(list_name(OsStr::new("my list")), Some(b"my list".to_vec()));
    }

    proptest::proptest! {
        #[test]
        fn any_accepted_name_stays_in_the_folder(name in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            if let Ok(file) = file_name(&name) {
                let path = std::path::Path::new("/db/node").join(&file);
                proptest::prop_assert_eq!(path.parent(), Some(std::path::Path::new("/db/node")));
                proptest::prop_assert_eq!(path.file_name(), Some(file.as_os_str()));
                proptest::prop_assert_eq!(list_name(&file), Some(name));
            }
        }
    }
}
