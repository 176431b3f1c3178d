//! `Deployment`: N real `hearth` processes on loopback, each with its own data directory and
//! database (SQLite, or a fresh PostgreSQL database when `HEARTH_TEST_POSTGRES` is set).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use hearth::storage::test_support::{
    create_postgres_database, drop_postgres_database, test_postgres_url,
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::Client;

/// The database backend deployments run on, for the load programs' headers.
pub fn backend_name() -> &'static str {
    if test_postgres_url().is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// Where the `hearth` binary is: `HEARTH_BIN`, else next to this test executable's `deps/`.
pub fn hearth_binary() -> PathBuf {
    if let Ok(path) = std::env::var("HEARTH_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current exe");
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join("hearth");
    assert!(
        bin.exists(),
        "{} not found: build it first (cargo build --bins) or set HEARTH_BIN",
        bin.display()
    );
    bin
}

/// The resident memory of process `pid`, from `/proc`.
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// CPU time (user + system) process `pid` has used so far, from `/proc`.
pub fn cpu_time_of(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports in USER_HZ, 100 on every Linux this runs on.
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// CPU time the server and this program use from `start` on, for benchmarks.
pub struct CpuMeter {
    server: std::time::Duration,
    client: std::time::Duration,
}

impl CpuMeter {
    pub fn start(hs: &Homeserver) -> Self {
        Self {
            server: hs.cpu_time().unwrap_or_default(),
            client: cpu_time_of(std::process::id()).unwrap_or_default(),
        }
    }

    /// CPU microseconds per operation since `start`, server and client.
    pub fn per_op(&self, hs: &Homeserver, ops: usize) -> (f64, f64) {
        let server = hs.cpu_time().unwrap_or_default() - self.server;
        let client = cpu_time_of(std::process::id()).unwrap_or_default() - self.client;
        let us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / ops.max(1) as f64;
        (us(server), us(client))
    }
}

/// Per-server settings a test may change; everything else is Hearth's default.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub server_name: String,
    pub registration_enabled: bool,
    pub require_token: bool,
    pub tokens: Vec<String>,
    pub refreshable_token_lifetime_secs: u64,
    pub max_request_bytes: usize,
    /// `(per_second, burst)` for registration per IP, login per IP, login per account.
    pub registration_limit: (f64, u32),
    pub login_ip_limit: (f64, u32),
    pub login_account_limit: (f64, u32),
    pub metrics: bool,
    /// `database.max_connections`; `None` keeps Hearth's default (as benchmarks do). Tests
    /// use few, since many servers run at once.
    pub max_connections: Option<u32>,
    /// Extra TOML appended verbatim (for tests of bad configuration).
    pub raw_extra: String,
    /// Extra keys of the `[media]` section (whose `path` is the server's own directory).
    pub media_extra: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            server_name: "hs1".to_owned(),
            registration_enabled: true,
            require_token: false,
            tokens: vec![],
            refreshable_token_lifetime_secs: 3600,
            max_request_bytes: 1024 * 1024,
            // Tests register many users from one address: keep limits out of the way
            // unless a test is about them.
            registration_limit: (1000.0, 1000),
            login_ip_limit: (1000.0, 1000),
            login_account_limit: (1000.0, 1000),
            metrics: false,
            max_connections: Some(4),
            raw_extra: String::new(),
            media_extra: String::new(),
        }
    }
}

impl ServerOptions {
    /// A server configured as an operator would run it (Hearth's own pool size), for the
    /// benchmark programs.
    pub fn benchmark() -> Self {
        Self {
            max_connections: None,
            ..Self::default()
        }
    }

    pub fn named(name: &str) -> Self {
        Self {
            server_name: name.to_owned(),
            ..Self::default()
        }
    }

    fn to_toml(&self, database_url: &str, media_path: &Path) -> String {
        let tokens: Vec<String> = self.tokens.iter().map(|t| format!("{t:?}")).collect();
        let limit = |(per_second, burst): (f64, u32)| {
            format!("{{ per_second = {per_second:?}, burst = {burst} }}")
        };
        let metrics = if self.metrics {
            "metrics = \"127.0.0.1:0\"\n"
        } else {
            ""
        };
        format!(
            "[server]\nserver_name = {name:?}\npublic_baseurl = \"https://{name}.example\"\n\n\
             [listeners]\nclient = \"127.0.0.1:0\"\n{metrics}\n\
             [database]\nurl = {database_url:?}\n{connections}\n\
             [registration]\nenabled = {enabled}\nrequire_token = {require}\ntokens = [{tokens}]\n\
             refreshable_token_lifetime_secs = {lifetime}\n\n\
             [logging]\nlevel = \"info,sqlx=warn\"\n\n\
             [limits]\nmax_request_bytes = {max}\nregistration_per_ip = {reg}\nlogin_per_ip = {lip}\n\
             login_per_account = {lacc}\n\n[media]\npath = {media:?}\n{media_extra}\n{extra}\n",
            name = self.server_name,
            connections = self
                .max_connections
                .map_or(String::new(), |n| format!("max_connections = {n}\n")),
            enabled = self.registration_enabled,
            require = self.require_token,
            tokens = tokens.join(", "),
            lifetime = self.refreshable_token_lifetime_secs,
            max = self.max_request_bytes,
            reg = limit(self.registration_limit),
            lip = limit(self.login_ip_limit),
            lacc = limit(self.login_account_limit),
            extra = self.raw_extra,
            media = media_path.display().to_string(),
            media_extra = self.media_extra,
        )
    }
}

/// A running `hearth` process. Killed (and its database dropped) when dropped.
pub struct Homeserver {
    pub server_name: String,
    pub base_url: String,
    pub metrics_url: Option<String>,
    pub options: ServerOptions,
    child: Option<Child>,
    dir: tempfile::TempDir,
    database_url: String,
    postgres_admin: Option<String>,
}

impl Homeserver {
    /// Starts a server and waits until it accepts requests.
    pub async fn start(options: ServerOptions) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, postgres_admin) = match test_postgres_url() {
            Some(admin) => (
                create_postgres_database(&admin)
                    .await
                    .expect("create test database"),
                Some(admin),
            ),
            None => (format!("sqlite://{}/hearth.db", dir.path().display()), None),
        };
        let mut server = Self {
            server_name: options.server_name.clone(),
            base_url: String::new(),
            metrics_url: None,
            options,
            child: None,
            dir,
            database_url,
            postgres_admin,
        };
        server.boot().await;
        server
    }

    /// The path of this server's config file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("hearth.toml")
    }

    /// The server's media store directory.
    pub fn media_path(&self) -> PathBuf {
        self.dir.path().join("media")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("hearth.log")
    }

    async fn boot(&mut self) {
        std::fs::write(
            self.config_path(),
            self.options.to_toml(&self.database_url, &self.media_path()),
        )
        .expect("write config");
        let log = std::fs::File::create(self.log_path()).expect("log file");
        let mut child = Command::new(hearth_binary())
            .arg("--config")
            .arg(self.config_path())
            .env_remove("HEARTH_DATABASE_URL")
            .env_remove("HEARTH_SERVER_NAME")
            .env_remove("HEARTH_LISTEN")
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn hearth");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut metrics_url = None;
        let wait = async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(url) = line.strip_prefix("hearth: metrics on ") {
                    metrics_url = Some(url.to_owned());
                }
                if let Some(url) = line.strip_prefix("hearth: listening on ") {
                    return Some(url.to_owned());
                }
            }
            None
        };
        let url = tokio::time::timeout(Duration::from_secs(60), wait).await;
        let Ok(Some(url)) = url else {
            let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
            panic!("hearth did not start; its log:\n{log}");
        };
        // Keep reading, so a later line never meets a closed pipe (which kills the process).
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.base_url = url;
        self.metrics_url = metrics_url;
        self.child = Some(child);
    }

    /// Stops the process with SIGTERM and returns its exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().expect("pid");
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
        tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .expect("hearth exits after SIGTERM")
            .expect("wait")
    }

    /// Stops and starts the process again on the same data.
    pub async fn restart(&mut self) {
        if self.child.is_some() {
            self.terminate().await;
        }
        self.boot().await;
    }

    /// Runs the `hearth` binary with this server's config and extra arguments.
    pub fn run_cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(hearth_binary())
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env_remove("HEARTH_DATABASE_URL")
            .output()
            .expect("run hearth")
    }

    /// The process ID of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The server's resident set size in bytes (Linux `/proc`).
    pub fn rss_bytes(&self) -> Option<u64> {
        rss_of(self.pid()?)
    }

    /// CPU time the server has used so far.
    pub fn cpu_time(&self) -> Option<std::time::Duration> {
        cpu_time_of(self.pid()?)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A client with no access token.
    pub fn client(&self) -> Client {
        Client::new(&self.base_url, &self.server_name)
    }

    /// Registers `localpart` with [`crate::PASSWORD`] and returns a logged-in client.
    pub async fn register(&self, localpart: &str) -> Client {
        self.client().register(localpart, crate::PASSWORD).await
    }
}

impl Drop for Homeserver {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
        }
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of {}'s log ---", self.server_name);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
        if let Some(admin) = self.postgres_admin.take() {
            let url = self.database_url.clone();
            // Drop runs outside any runtime guarantee: use a small one of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(drop_postgres_database(&admin, &url)).ok()
            })
            .join();
        }
    }
}

/// Several servers started together (one for most tests; more once federation lands).
pub struct Deployment {
    pub servers: Vec<Homeserver>,
}

impl Deployment {
    pub async fn new(options: Vec<ServerOptions>) -> Self {
        let mut servers = Vec::new();
        for o in options {
            servers.push(Homeserver::start(o).await);
        }
        Self { servers }
    }

    /// One server with default options named `hs1`.
    pub async fn one() -> Homeserver {
        Homeserver::start(ServerOptions::default()).await
    }
}
