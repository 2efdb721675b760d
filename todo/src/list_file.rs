//! List name ↔ file name in the node's database folder. Plain names (`bob`, `list_1`) are the file
//! name unchanged, as the book writes them; anything that could leave the folder is escaped.
//!
//! Rule: ASCII letters, digits, `-`, `_` and `.` stay as they are, except a `.` that starts the
//! name; every other byte (`/`, `\`, NUL, `%`, spaces, non-ASCII UTF-8...) becomes `%XX`. So no
//! file name is `.`, `..`, or starts with `.` (temporary files do, and are never list files),
//! and none contains a separator. An empty name, or one whose file name would pass 255 bytes, is
//! refused.

use std::fmt::Write;

/// The longest file name Linux file systems take.
const MAX_FILE_NAME: usize = 255;

/// Why a list name cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListNameError {
    #[error("the list name is empty: give a name, e.g. list=bob")]
    Empty,
    #[error("the list name is too long ({0} bytes once escaped, at most 255): use a shorter name")]
    TooLong(usize),
}

/// The file name that holds list `name`.
pub fn file_name(name: &[u8]) -> Result<String, ListNameError> {
    if name.is_empty() {
        return Err(ListNameError::Empty);
    }
    let mut out = String::with_capacity(name.len());
    for (i, &b) in name.iter().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    if out.len() > MAX_FILE_NAME {
        return Err(ListNameError::TooLong(out.len()));
    }
    Ok(out)
}

/// The list name a file holds, or `None` for files that are not list files (temporary files,
/// names this node would not have written).
pub fn list_name(file_name: &str) -> Option<Vec<u8>> {
    let bytes = file_name.as_bytes();
    if bytes.first() == Some(&b'.') {
        return None;
    }
    let mut name = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = file_name.get(i + 1..i + 3)?;
                name.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                name.push(b);
                i += 1;
            }
        }
    }
    // Only names this module writes: the file name must be the canonical one.
    (self::file_name(&name).ok()? == file_name).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_unchanged() {
        for name in ["bob", "list_1", "alice-2", "v1.2", "Bob"] {
            assert_eq!(file_name(name.as_bytes()).unwrap(), name);
        }
    }

    #[test]
    fn nothing_escapes_the_folder() {
        assert_eq!(file_name(b"..").unwrap(), "%2E.");
        assert_eq!(file_name(b".").unwrap(), "%2E");
        assert_eq!(file_name(b"../etc/passwd").unwrap(), "%2E.%2Fetc%2Fpasswd");
        assert_eq!(file_name(b"a/b").unwrap(), "a%2Fb");
        assert_eq!(file_name(b"a\\b").unwrap(), "a%5Cb");
        assert_eq!(file_name(b"a\0b").unwrap(), "a%00b");
        assert_eq!(file_name(b"100%").unwrap(), "100%25");
        assert_eq!(file_name(b".hidden").unwrap(), "%2Ehidden");
        assert_eq!(file_name("café".as_bytes()).unwrap(), "caf%C3%A9");
        assert_eq!(file_name(b"my list").unwrap(), "my%20list");
        assert_eq!(file_name(b""), Err(ListNameError::Empty));
        assert_eq!(file_name(&[b'/'; 100]), Err(ListNameError::TooLong(300)));
        assert!(file_name(&[b'a'; 255]).is_ok());
    }

    #[test]
    fn file_names_decode_back() {
        for name in [
            &b"bob"[..],
            b"..",
            b"a/b",
            b"100%",
            "café".as_bytes(),
            b"\xff\x00",
        ] {
            assert_eq!(list_name(&file_name(name).unwrap()).as_deref(), Some(name));
        }
        assert_eq!(list_name(".bob.tmp.1"), None);
        assert_eq!(list_name("a%2"), None);
        assert_eq!(list_name("a%zz"), None);
        assert_eq!(list_name("a%2fb"), None); // not canonical (lower-case hex)
        assert_eq!(list_name("a b"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_name_stays_in_the_folder(name in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
            if let Ok(file) = file_name(&name) {
                proptest::prop_assert!(!file.is_empty() && !file.starts_with('.'));
                proptest::prop_assert!(!file.contains('/') && !file.contains('\\') && !file.contains('\0'));
                proptest::prop_assert_eq!(list_name(&file), Some(name));
            } else {
                proptest::prop_assert!(name.is_empty() || name.len() > 85);
            }
        }
    }
}
