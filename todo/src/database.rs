//! This node's replica of every list: `Todo.Database`'s local half (`store_local/2`, `get/1`),
//! one `term_to_binary` file per list under `<db folder>/<node short name>/`, written durably.
//! It never talks to other nodes (see `replication.rs` and `catch_up.rs` for that).

use crate::atomic_write::write_durably;
use crate::list_file::{self, ListNameError};
use crate::todo_list::{NotATodoList, TodoList};
use distproto::etf::{self, EncodeOptions};
use distproto::term::Term;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The files are written as OTP 25's `term_to_binary/1` writes them (ATOM_EXT atoms), so they are
/// byte-identical to the replicas of OTP 25 book nodes; OTP 26 reads them as well.
const FILE_FORMAT: EncodeOptions = EncodeOptions::OTP25;

/// What went wrong with the replica, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    BadName(#[from] ListNameError),
    #[error("cannot create the database folder {path}: {source}; check TODO_DB_FOLDER and its permissions")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}; check the folder's permissions and free space")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}; check the file's permissions")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not term_to_binary data ({why}); move the file away to serve this list from another node's replica or afresh")]
    Corrupt { path: PathBuf, why: String },
    #[error("{path}: {why}; move the file away to serve this list from another node's replica or afresh")]
    NotATodoList { path: PathBuf, why: NotATodoList },
    #[error("cannot encode the list: {0}")]
    Encode(String),
    #[error("the database task failed: {0}")]
    Task(String),
}

/// The replica folder of this node, e.g. `./persist/n1/`. Writes of one list are serialised.
pub struct Database {
    folder: PathBuf,
    writing: Mutex<HashMap<Vec<u8>, Arc<tokio::sync::Mutex<()>>>>,
}

impl Database {
    /// `Todo.Database`'s start: the folder `<db_folder>/<name prefix>/` (the node name's part
    /// before `@`), created when missing.
    pub fn open(db_folder: &Path, node_name: &str) -> Result<Database, DbError> {
        let prefix = node_name.split('@').next().unwrap_or(node_name);
        let folder = db_folder.join(prefix);
        std::fs::create_dir_all(&folder).map_err(|source| DbError::Folder {
            path: folder.clone(),
            source,
        })?;
        Ok(Database {
            folder,
            writing: Mutex::new(HashMap::new()),
        })
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The file of list `key` (checked: it stays inside the folder).
    pub fn path_of(&self, key: &[u8]) -> Result<PathBuf, DbError> {
        Ok(self.folder.join(list_file::file_name(key)?))
    }

    /// `store_local(Key, Data)`: writes the list durably; returns once it is on disk.
    pub async fn store_local(&self, key: &[u8], list: &Term) -> Result<(), DbError> {
        let lock = self.write_lock(key);
        let _held = lock.lock().await;
        self.write(key, list).await
    }

    /// Stores `list` only when the replica holds no copy of `key`, or an older one (a smaller
    /// `next_id`): how a joining node catches up without undoing newer writes. True if stored.
    pub async fn store_if_newer(&self, key: &[u8], list: &TodoList) -> Result<bool, DbError> {
        let lock = self.write_lock(key);
        let _held = lock.lock().await;
        let current = match self.get(key).await {
            Ok(current) => current.map(|l| l.next_id),
            // An unreadable replica is replaced by a good copy; the bad one is logged by get.
            Err(DbError::Corrupt { .. } | DbError::NotATodoList { .. }) => None,
            Err(e) => return Err(e),
        };
        if current.is_some_and(|next_id| next_id >= list.next_id) {
            return Ok(false);
        }
        self.write(key, &list.to_term()).await?;
        Ok(true)
    }

    async fn write(&self, key: &[u8], list: &Term) -> Result<(), DbError> {
        let file_name = list_file::file_name(key)?;
        let bytes =
            etf::encode_with(list, &FILE_FORMAT).map_err(|e| DbError::Encode(e.to_string()))?;
        let folder = self.folder.clone();
        let path = folder.join(&file_name);
        tokio::task::spawn_blocking(move || write_durably(&folder, &file_name, &bytes))
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
            .map_err(|source| DbError::Write { path, source })
    }

    /// `get(Key)`: the stored term as it is in the file, or `None` when there is no file.
    pub async fn get_term(&self, key: &[u8]) -> Result<Option<Term>, DbError> {
        let path = self.path_of(key)?;
        let read_path = path.clone();
        let bytes = match tokio::task::spawn_blocking(move || std::fs::read(read_path))
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
        {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(DbError::Read { path, source }),
        };
        etf::decode(&bytes).map(Some).map_err(|e| DbError::Corrupt {
            path,
            why: e.to_string(),
        })
    }

    /// `get(Key)` read as a `%Todo.List{}`.
    pub async fn get(&self, key: &[u8]) -> Result<Option<TodoList>, DbError> {
        let Some(term) = self.get_term(key).await? else {
            return Ok(None);
        };
        TodoList::from_term(&term)
            .map(Some)
            .map_err(|why| DbError::NotATodoList {
                path: self.path_of(key).unwrap_or_default(),
                why,
            })
    }

    /// The names of the lists in the replica (files this module wrote; others are skipped).
    pub async fn keys(&self) -> Result<Vec<Vec<u8>>, DbError> {
        let folder = self.folder.clone();
        let read = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<Vec<u8>>> {
            let mut keys = Vec::new();
            for entry in std::fs::read_dir(&folder)? {
                let entry = entry?;
                if !entry.file_type()?.is_file() {
                    continue;
                }
                if let Some(key) = list_file::list_name(&entry.file_name()) {
                    keys.push(key);
                }
            }
            keys.sort();
            Ok(keys)
        });
        read.await
            .map_err(|e| DbError::Task(e.to_string()))?
            .map_err(|source| DbError::Read {
                path: self.folder.clone(),
                source,
            })
    }

    fn write_lock(&self, key: &[u8]) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        // Forget the locks nobody holds, so the table does not grow with every list ever seen.
        if locks.len() > 1024 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(key.to_vec()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::todo_list::new_entry;

    fn two_entries() -> TodoList {
        let mut list = TodoList::new();
        list.add_entry(new_entry(&Date::new(2023, 12, 19).unwrap(), "Dentist"));
        list.add_entry(new_entry(&Date::new(2023, 12, 20).unwrap(), "Shopping"));
        list
    }

    #[tokio::test]
    async fn store_get_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), "n1@localhost").unwrap();
        assert_eq!(db.folder(), dir.path().join("n1"));
        assert_eq!(db.get(b"bob").await.unwrap(), None);
        db.store_local(b"bob", &two_entries().to_term())
            .await
            .unwrap();
        db.store_local(b"my list", &TodoList::new().to_term())
            .await
            .unwrap();
        assert!(matches!(
            db.store_local(b"../x", &TodoList::new().to_term()).await,
            Err(DbError::BadName(ListNameError::LeadingDot))
        ));
        assert_eq!(db.get(b"bob").await.unwrap(), Some(two_entries()));
        assert!(dir.path().join("n1").join("bob").is_file());
        assert!(dir.path().join("n1").join("my list").is_file());
        assert!(!dir.path().join("x").exists());
        assert_eq!(
            db.keys().await.unwrap(),
            vec![b"bob".to_vec(), b"my list".to_vec()]
        );
    }

    #[tokio::test]
    async fn the_file_is_otp25_term_to_binary() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), "n1@localhost").unwrap();
        db.store_local(b"bob", &two_entries().to_term())
            .await
            .unwrap();
        let bytes = std::fs::read(dir.path().join("n1/bob")).unwrap();
        // The observed 2-entry file of an OTP 25 node is 338 bytes and starts like this.
        assert_eq!(bytes.len(), 338);
        let mut start = vec![0x83, 0x74, 0, 0, 0, 3, 0x64, 0, 10];
        start.extend(b"__struct__");
        start.extend([0x64, 0, 16]);
        start.extend(b"Elixir.Todo.List");
        assert_eq!(&bytes[..start.len()], &start[..]);
    }

    #[tokio::test]
    async fn store_if_newer_keeps_newer_copies() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), "n1@localhost").unwrap();
        assert!(db.store_if_newer(b"bob", &two_entries()).await.unwrap());
        assert!(!db.store_if_newer(b"bob", &TodoList::new()).await.unwrap());
        assert!(!db.store_if_newer(b"bob", &two_entries()).await.unwrap());
        let mut more = two_entries();
        more.add_entry(new_entry(&Date::new(2023, 12, 21).unwrap(), "Movies"));
        assert!(db.store_if_newer(b"bob", &more).await.unwrap());
        assert_eq!(db.get(b"bob").await.unwrap(), Some(more));
    }

    #[tokio::test]
    async fn corrupt_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path(), "n1@localhost").unwrap();
        std::fs::write(dir.path().join("n1/bob"), b"\x83\x74\xff").unwrap();
        std::fs::write(dir.path().join("n1/alice"), b"\x83\x64\x00\x03nil").unwrap();
        let e = db.get(b"bob").await.unwrap_err();
        assert!(matches!(e, DbError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("move the file away"));
        let e = db.get(b"alice").await.unwrap_err();
        assert!(matches!(e, DbError::NotATodoList { .. }), "{e}");
        assert!(db.store_if_newer(b"bob", &two_entries()).await.unwrap());
        assert_eq!(db.get(b"bob").await.unwrap(), Some(two_entries()));
    }
}
