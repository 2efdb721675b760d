//! Todo nodes for the end-to-end tests: the Rust `todo-node` binary and the project's Elixir todo
//! app (interop-tests/elixir), started on a test's private epmd, ports and folder, killed by pid.

use crate::child::ChildGuard;
use crate::erl::ctl_dir;
use crate::http_client::{http_get, http_post, url_encode, HttpResponse};
use crate::names::{free_port, unique_name};
use crate::OtpEpmd;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which implementation a todo node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TodoKind {
    /// This workspace's `todo-node` binary.
    Rust,
    /// The project's Elixir app (the book's design) on `elixir` 1.14 / OTP 25.
    Elixir,
}

impl TodoKind {
    fn prefix(self) -> &'static str {
        match self {
            TodoKind::Rust => "rs",
            TodoKind::Elixir => "ex",
        }
    }
}

/// A test's todo cluster: a private OTP epmd, one cookie, and one working folder whose
/// `persist/` all nodes share (each node writes `persist/<short name>/`), as in the book.
pub struct TodoCluster {
    pub epmd: OtpEpmd,
    pub cookie: String,
    pub dir: tempfile::TempDir,
}

/// How to start one node; `TodoCluster::options` fills in a fresh name and HTTP port.
#[derive(Clone, Debug)]
pub struct TodoOptions {
    pub kind: TodoKind,
    /// Full short node name, `prefix_pid_n@localhost`.
    pub name: String,
    pub http_port: u16,
    /// `TODO_SERVER_EXPIRY` in seconds; `None` leaves the node's default (60 s).
    pub expiry_s: Option<u64>,
    /// Nodes to connect to at start: `--connect` for Rust; `Node.connect` and `:global.sync`
    /// for Elixir.
    pub connect: Vec<String>,
}

impl TodoCluster {
    pub fn new() -> TodoCluster {
        TodoCluster {
            epmd: OtpEpmd::start(free_port(), &[]),
            cookie: unique_name("cookie"),
            dir: tempfile::tempdir().expect("temp dir for the todo cluster"),
        }
    }

    /// The `TODO_DB_FOLDER` every node of this cluster uses.
    pub fn db_folder(&self) -> PathBuf {
        self.dir.path().join("persist")
    }

    /// Options for a new node of `kind` with a unique name and a free HTTP port.
    pub fn options(&self, kind: TodoKind) -> TodoOptions {
        TodoOptions {
            kind,
            name: format!("{}@localhost", unique_name(kind.prefix())),
            http_port: free_port(),
            expiry_s: None,
            connect: Vec::new(),
        }
    }

    /// Starts a new node of `kind` connected to `peers`.
    pub fn node(&self, kind: TodoKind, peers: &[&TodoNode]) -> TodoNode {
        let mut options = self.options(kind);
        options.connect = peers.iter().map(|p| p.name.clone()).collect();
        self.start(options)
    }

    /// Starts a node and waits until it serves HTTP (and, with peers, has joined them).
    pub fn start(&self, options: TodoOptions) -> TodoNode {
        match options.kind {
            TodoKind::Rust => self.start_rust(options),
            TodoKind::Elixir => self.start_elixir(options),
        }
    }

    /// Starts `old` again (after `kill`) with the same name, HTTP port and expiry, connected
    /// to `peers`.
    pub fn restart(&self, old: &TodoNode, peers: &[&TodoNode]) -> TodoNode {
        let mut options = old.options.clone();
        options.connect = peers.iter().map(|p| p.name.clone()).collect();
        self.start(options)
    }

    fn base_command(&self, program: &Path, options: &TodoOptions) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env("TODO_HTTP_PORT", options.http_port.to_string())
            .env("TODO_DB_FOLDER", self.db_folder())
            .env_remove("TODO_SERVER_EXPIRY")
            .env("ERL_EPMD_PORT", self.epmd.port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(expiry) = options.expiry_s {
            cmd.env("TODO_SERVER_EXPIRY", expiry.to_string());
        }
        cmd
    }

    fn start_rust(&self, options: TodoOptions) -> TodoNode {
        let mut cmd = self.base_command(todo_node_bin(), &options);
        cmd.args(["--sname", &options.name, "--cookie", &self.cookie])
            .args(["--epmd-port", &self.epmd.port.to_string()]);
        for peer in &options.connect {
            cmd.args(["--connect", peer]);
        }
        cmd.env(
            "RUST_LOG",
            std::env::var("TODO_TEST_RUST_LOG").unwrap_or_else(|_| "info".into()),
        );
        let mut node = TodoNode::spawn(&options, &mut cmd, self.db_folder());
        node.wait_for_output(" ready: http port", Duration::from_secs(40));
        node
    }

    fn start_elixir(&self, options: TodoOptions) -> TodoNode {
        let mut cmd = self.base_command(Path::new("elixir"), &options);
        cmd.args(["--sname", &options.name, "--cookie", &self.cookie])
            .args(["--erl", "-start_epmd false"])
            .arg("-pa")
            .arg(elixir_todo_ebin())
            .arg("-pa")
            .arg(ctl_dir())
            .args([
                "-e",
                "{:ok, _} = Application.ensure_all_started(:todo); :ctl.start()",
            ]);
        let mut node = TodoNode::spawn(&options, &mut cmd, self.db_folder());
        node.wait_for_output("@@CTL-READY@@", Duration::from_secs(40));
        for peer in &options.connect {
            assert_eq!(
                node.eval(&format!("net_kernel:connect_node('{peer}').")),
                "true",
                "{} could not connect to {peer}",
                node.name
            );
        }
        if !options.connect.is_empty() {
            node.eval("global:sync().");
        }
        node
    }
}

impl Default for TodoCluster {
    fn default() -> Self {
        TodoCluster::new()
    }
}

/// A todo node's HTTP interface, cheap to clone into threads; `TodoNode` derefs to it.
#[derive(Clone, Debug)]
pub struct TodoHttp {
    pub name: String,
    pub port: u16,
}

impl TodoHttp {
    /// `POST /add_entry?list=&date=&title=` (values URL-encoded).
    pub fn add(&self, list: &str, date: &str, title: &str) -> HttpResponse {
        let target = format!(
            "/add_entry?list={}&date={}&title={}",
            url_encode(list),
            url_encode(date),
            url_encode(title)
        );
        self.post(&target)
    }

    /// Like `add`, asserting the book's `200 OK`.
    pub fn add_ok(&self, list: &str, date: &str, title: &str) {
        let response = self.add(list, date, title);
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "OK"),
            "add_entry {list} {date} {title} on {}",
            self.name
        );
    }

    /// `GET /entries?list=&date=` as lines `YYYY-MM-DD title`; asserts status 200.
    pub fn entries(&self, list: &str, date: &str) -> Vec<String> {
        let target = format!(
            "/entries?list={}&date={}",
            url_encode(list),
            url_encode(date)
        );
        let response = self.get(&target);
        assert_eq!(
            response.status, 200,
            "GET {target} on {}: {response:?}",
            self.name
        );
        if response.body.is_empty() {
            Vec::new()
        } else {
            response.body.split('\n').map(str::to_string).collect()
        }
    }

    pub fn get(&self, target: &str) -> HttpResponse {
        http_get(self.port, target).unwrap_or_else(|e| panic!("GET {target} on {}: {e}", self.name))
    }

    pub fn post(&self, target: &str) -> HttpResponse {
        http_post(self.port, target)
            .unwrap_or_else(|e| panic!("POST {target} on {}: {e}", self.name))
    }
}

/// A running todo node: its name, HTTP port, and everything it printed (stdout and stderr).
pub struct TodoNode {
    pub kind: TodoKind,
    pub name: String,
    pub http_port: u16,
    pub options: TodoOptions,
    pub guard: ChildGuard,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every line printed so far (stderr lines start with `stderr: `), control replies excepted.
    pub output: Vec<String>,
    db_folder: PathBuf,
    http: TodoHttp,
}

/// With `TODO_TEST_DUMP=1`, every node prints what it printed when the test drops it (shown by
/// `cargo test -- --nocapture`), for finding out why a passing test was slow.
impl Drop for TodoNode {
    fn drop(&mut self) {
        if std::env::var_os("TODO_TEST_DUMP").is_some() {
            while let Ok(line) = self.lines.try_recv() {
                self.output.push(line);
            }
            for line in &self.output {
                eprintln!("[{}] {line}", self.name);
            }
        }
    }
}

impl std::ops::Deref for TodoNode {
    type Target = TodoHttp;

    fn deref(&self) -> &TodoHttp {
        &self.http
    }
}

impl TodoNode {
    fn spawn(options: &TodoOptions, cmd: &mut Command, db_folder: PathBuf) -> TodoNode {
        let mut guard = ChildGuard::spawn(&options.name, cmd)
            .unwrap_or_else(|e| panic!("start {:?} todo node: {e}", options.kind));
        let stdin = guard.child_mut().stdin.take();
        let lines = guard.output_lines();
        TodoNode {
            kind: options.kind,
            name: options.name.clone(),
            http_port: options.http_port,
            options: options.clone(),
            guard,
            stdin,
            lines,
            output: Vec::new(),
            db_folder,
            http: TodoHttp {
                name: options.name.clone(),
                port: options.http_port,
            },
        }
    }

    /// The short name (`ex_1_2` of `ex_1_2@localhost`): the node's folder under `persist/`.
    pub fn short_name(&self) -> &str {
        self.name.split('@').next().unwrap_or(&self.name)
    }

    /// This node's replica file of `list`, if it has one.
    pub fn replica(&self, list: &str) -> Option<Vec<u8>> {
        std::fs::read(self.db_folder.join(self.short_name()).join(list)).ok()
    }

    /// This node's replica of `list` decoded (`term_to_binary` format), as Erlang text (maps
    /// print in term order, so equal terms print the same whatever their atom encoding).
    pub fn replica_term(&self, list: &str) -> Option<String> {
        let bytes = self.replica(list)?;
        let term = distproto::etf::decode(&bytes)
            .unwrap_or_else(|e| panic!("{}'s replica of {list} is unreadable: {e}", self.name));
        Some(distproto::text::write_term(&term))
    }

    /// Evaluates one Erlang expression on an Elixir node (through the `ctl` module).
    pub fn eval(&mut self, expr: &str) -> String {
        let stdin = self
            .stdin
            .as_mut()
            .filter(|_| self.kind == TodoKind::Elixir)
            .unwrap_or_else(|| panic!("eval on {}: only Elixir nodes take expressions", self.name));
        writeln!(stdin, "{}", expr.replace('\n', " ")).expect("write to the node's stdin");
        stdin.flush().expect("flush the node's stdin");
        let reply = self.next_line_with("@@CTL-", Duration::from_secs(60), false);
        let body = reply.trim_start_matches("@@CTL-").trim_end_matches("@@");
        match body.strip_prefix("OK ") {
            Some(value) => value.to_string(),
            None => panic!(
                "{} failed to evaluate `{expr}`: {body}\noutput: {:#?}",
                self.name, self.output
            ),
        }
    }

    /// Waits until the node has printed a line containing `needle` (earlier lines count too).
    pub fn wait_for_output(&mut self, needle: &str, timeout: Duration) -> String {
        if let Some(line) = self.output.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        self.next_line_with(needle, timeout, true)
    }

    /// How many printed lines contain `needle`, after letting lines in flight (printed before an
    /// HTTP reply, still in the pipe) arrive for 300 ms.
    pub fn count_output(&mut self, needle: &str) -> usize {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(300)) {
            self.output.push(line);
        }
        self.output.iter().filter(|l| l.contains(needle)).count()
    }

    fn next_line_with(&mut self, needle: &str, timeout: Duration, keep: bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => {
                    if keep {
                        self.output.push(line.clone());
                    }
                    return line;
                }
                Ok(line) => self.output.push(line),
                Err(_) => panic!(
                    "{}: no line with `{needle}` within {timeout:?}; exit status {:?}; output: {:#?}",
                    self.name,
                    self.guard.child_mut().try_wait(),
                    self.output
                ),
            }
        }
    }

    /// After `dead` was killed: on an Elixir node, waits until it has seen the nodedown and
    /// `:global` holds no name on `dead`. The book's nodes answer a request that comes before
    /// that with a crash (500): the call goes to the dead server's pid. A Rust node needs no
    /// wait (it retries a GET once the nodedown arrives), so this returns at once for it, and
    /// the tests ask the Rust node straight after the kill.
    pub fn wait_until_forgotten(&mut self, dead: &str) {
        if self.kind == TodoKind::Rust {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        let query = format!(
            "lists:member('{dead}', nodes()) orelse lists:any(fun(N) -> \
             case global:whereis_name(N) of P when is_pid(P) -> node(P) =:= '{dead}'; \
             _ -> false end end, global:registered_names())."
        );
        while self.eval(&query) != "false" {
            assert!(
                Instant::now() < deadline,
                "{} still knows {dead} after 15 s",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9` (SIGKILL to the node's process group), then reaps it.
    pub fn kill(&mut self) {
        self.guard.kill();
    }
}

/// The `todo-node` binary, built (once per test process, a no-op when fresh) with the profile of
/// the running test; `TODO_NODE_BIN` overrides it.
pub fn todo_node_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(path) = std::env::var_os("TODO_NODE_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(|d| d.parent())
            .expect("target/<profile> dir");
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.args(["build", "-p", "todo", "--bin", "todo-node"]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cargo.arg("--release");
        }
        if let Some(target) = profile_dir.parent() {
            cargo.env("CARGO_TARGET_DIR", target);
        }
        let status = cargo.status().expect("run cargo build");
        assert!(
            status.success(),
            "cargo build -p todo --bin todo-node failed"
        );
        profile_dir.join("todo-node")
    })
}

/// The compiled Elixir todo app (`.beam` files and `todo.app`), compiled with `elixirc` once per
/// source version and shared by every test process through a folder named after a source hash.
pub fn elixir_todo_ebin() -> &'static Path {
    static EBIN: OnceLock<PathBuf> = OnceLock::new();
    EBIN.get_or_init(|| {
        let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("elixir/lib/todo");
        let mut sources: Vec<PathBuf> = std::fs::read_dir(&lib)
            .expect("read interop-tests/elixir/lib/todo")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "ex"))
            .collect();
        sources.sort();
        let mut hasher = DefaultHasher::new();
        for source in &sources {
            source.file_name().hash(&mut hasher);
            std::fs::read(source)
                .expect("read source")
                .hash(&mut hasher);
        }
        let ebin = std::env::temp_dir().join(format!("erldist-todo-ex-{:016x}", hasher.finish()));
        if ebin.join("todo.app").exists() {
            return ebin;
        }
        let scratch = std::env::temp_dir().join(unique_name("erldist-todo-ex-build"));
        std::fs::create_dir_all(&scratch).expect("create the elixirc output folder");
        let output = Command::new("elixirc")
            .arg("-o")
            .arg(&scratch)
            .args(&sources)
            .env("HOME", &scratch)
            .output()
            .expect("run elixirc (apt-get install elixir)");
        assert!(
            output.status.success(),
            "elixirc failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let modules: Vec<String> = std::fs::read_dir(&scratch)
            .expect("read the elixirc output")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.strip_suffix(".beam").map(|m| format!("'{m}'"))
            })
            .collect();
        let app = format!(
            "{{application,todo,[{{description,\"todo\"}},{{vsn,\"0.1.0\"}},{{modules,[{}]}},\
             {{registered,[]}},{{applications,[kernel,stdlib,elixir,logger]}},\
             {{mod,{{'Elixir.Todo.Application',[]}}}}]}}.\n",
            modules.join(",")
        );
        std::fs::write(scratch.join("todo.app"), app).expect("write todo.app");
        // Publish atomically; another process may have published the same sources meanwhile.
        if std::fs::rename(&scratch, &ebin).is_err() {
            let _ = std::fs::remove_dir_all(&scratch);
            assert!(
                ebin.join("todo.app").exists(),
                "no compiled app at {}",
                ebin.display()
            );
        }
        ebin
    })
}
