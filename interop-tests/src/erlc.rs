//! Compiles the Erlang helper modules in `interop-tests/erl/` with `erlc`, once per test process,
//! into a private directory that a node can load from (`-pa DIR`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Compiles `erl/<module>.erl` (once per process) and returns the directory holding the `.beam`.
pub fn compile_erl(module: &str) -> PathBuf {
    static DONE: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut done = DONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let done = done.get_or_insert_with(HashMap::new);
    if let Some(dir) = done.get(module) {
        return dir.clone();
    }
    let dir = std::env::temp_dir().join(format!("interop-erl-{}-{module}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create dir for compiled Erlang helpers");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("erl")
        .join(format!("{module}.erl"));
    let status = Command::new("erlc")
        .arg("-o")
        .arg(&dir)
        .arg(&src)
        .status()
        .expect("run erlc (apt-get install erlang-nox)");
    assert!(status.success(), "erlc {} failed", src.display());
    done.insert(module.to_string(), dir.clone());
    dir
}
