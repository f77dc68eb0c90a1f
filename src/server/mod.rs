//! The embedded target server (`loadtop serve`): a lean hyper server with
//! fixed routes, bottleneck scenarios driven by live knobs, an admin API and
//! Prometheus metrics. Every connection speaks HTTP/1.1 or HTTP/2: over
//! plain TCP chosen by sniffing the h2 prior-knowledge preface (h2c), over
//! TLS (`--tls`, see `tls`) chosen by ALPN. `run` serves on its own runtime
//! until a signal (`loadtop serve`, through `app::serve`); `start` is the
//! in-process entry used by tests and embedders. Requests flow listener (TLS handshake, protocol
//! choice) → `service::Svc` (middleware) → `routes` / `handlers` / `files` /
//! `admin`, identically for both protocols; knob changes flow admin →
//! `Shared`. `child` and `admin_client` are the parent side used by
//! `loadtop run`; they speak plain HTTP/1.1 only, so `loadtop run` starts
//! its embedded server without TLS.

pub mod admin_client;
pub mod child;
pub mod db;
pub mod knobs;
pub mod stats;
pub mod tls;

mod admin;
mod body;
mod files;
mod handlers;
mod listener;
mod otel_pools;
mod routes;
mod scenarios;
mod service;
mod shared;
mod sniff;

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use knobs::Knobs;
use tls::TlsSource;

/// Everything that can stop the server from starting or the parent side
/// from talking to it.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    BadAddress(String),
    #[error("cannot bind {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("cannot read static dir {}: {source}", path.display())]
    StaticDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot use TLS {what} {}: {reason}", path.display())]
    TlsFile {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot set up TLS: {0}")]
    TlsSetup(String),
    #[error("cannot write the TLS certificate to {}: {source}", path.display())]
    CertOut {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--threads must be 1..={max}, not {0}", max = MAX_THREADS)]
    Threads(usize),
    #[error("--admin-token (or LOADTOP_ADMIN_TOKEN) {0}")]
    AdminToken(String),
    #[error("invalid --knobs: {0}")]
    Knobs(String),
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the target server {exe}: {source}")]
    Spawn {
        exe: PathBuf,
        source: std::io::Error,
    },
    #[error("the target server did not report ready within {0:?}{1}")]
    ReadyTimeout(Duration, String),
    #[error("the target server printed an unexpected ready line: {0:?}")]
    ReadyLine(String),
    #[error("the target server exited before it was ready: {0}")]
    ChildExited(String),
    #[error(transparent)]
    Database(#[from] db::DbError),
    #[error("admin request to {addr} failed: {reason}")]
    Admin { addr: SocketAddr, reason: String },
    #[error("admin request to {addr} answered {status}: {body}")]
    AdminStatus {
        addr: SocketAddr,
        status: u16,
        body: String,
    },
}

/// How to run a server; `app::serve` builds it from the command line.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// Runtime worker threads for `run` (1 = a current-thread runtime).
    pub threads: usize,
    pub static_dir: Option<PathBuf>,
    /// `None` draws a random 32-hex-char token.
    pub admin_token: Option<String>,
    pub log_requests: bool,
    pub knobs: Knobs,
    pub test_routes: bool,
    /// Slowloris guard: a request head must arrive within this; it also
    /// bounds the TLS handshake and the h2 preface sniff of a new connection.
    pub header_read_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
    /// `Some` serves HTTPS only (the admin API included).
    pub tls: Option<TlsSource>,
    /// Where to write the served certificate as PEM (TLS only).
    pub tls_cert_out: Option<PathBuf>,
    /// The PostgreSQL behind `/db/*` (`--database`); `start` connects, seeds
    /// and builds the pool before it returns.
    pub database: Option<db::DatabaseConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            threads: default_threads(),
            static_dir: None,
            admin_token: None,
            log_requests: false,
            knobs: Knobs::default(),
            test_routes: false,
            header_read_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(5),
            tls: None,
            tls_cert_out: None,
            database: None,
        }
    }
}

/// One runtime worker per core the process may use, at most [`MAX_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS)
}

/// Most runtime worker threads `--threads` accepts: far beyond any core
/// count this runs on, far below what would exhaust memory or thread limits.
pub const MAX_THREADS: usize = 1024;

/// Shortest admin token accepted. A guessed token must not open the admin
/// API even over the network: 16 characters are at least 64 bits of a hex
/// alphabet (centuries of guessing at a million requests per second), and
/// the token drawn when none is given is 32 hex characters (128 bits).
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;
/// Longest admin token accepted: it must fit a request head (64 KiB).
pub const MAX_ADMIN_TOKEN_LEN: usize = 4096;

/// Refuses a token that is empty (how a missing CI secret arrives), short,
/// or that a client could not send back as `Authorization: Bearer TOKEN` or
/// the ready line could not carry (whitespace, control or non-ASCII bytes).
pub fn check_admin_token(token: &str) -> Result<(), ServerError> {
    let refuse = |why: String| Err(ServerError::AdminToken(why));
    if token.is_empty() {
        return refuse(format!(
            "is empty; give at least {MIN_ADMIN_TOKEN_LEN} characters, or leave it unset for a random token"
        ));
    }
    if token.len() < MIN_ADMIN_TOKEN_LEN {
        return refuse(format!(
            "has {} characters; at least {MIN_ADMIN_TOKEN_LEN} are needed (or leave it unset for a random token)",
            token.len()
        ));
    }
    if token.len() > MAX_ADMIN_TOKEN_LEN {
        return refuse(format!(
            "has {} characters; at most {MAX_ADMIN_TOKEN_LEN} fit a request header",
            token.len()
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return refuse(
            "may hold only visible ASCII characters (no spaces or control characters)".to_string(),
        );
    }
    Ok(())
}

/// A server running on the caller's tokio runtime.
pub struct RunningServer {
    local_addr: SocketAddr,
    admin_token: String,
    cert_pem: Option<String>,
    shutdown_tx: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
    shared: Arc<shared::Shared>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .field("tls", &self.cert_pem.is_some())
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// What `GET /_loadtop/stats` answers, read in process (no request, so
    /// it works whatever protocol the listener speaks).
    pub fn stats(&self) -> stats::ServerStats {
        self.shared.stats()
    }

    /// `http://ADDR` or, with TLS, `https://ADDR` (IPv6 in brackets).
    pub fn url(&self) -> String {
        let scheme = if self.cert_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.local_addr)
    }

    /// The served certificate chain as PEM, with TLS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.cert_pem.as_deref()
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace
    /// period) and returns when the listener task is done.
    pub async fn shutdown(mut self) {
        self.shutdown_tx.send_replace(true);
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown_tx.send_replace(true);
    }
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    if let Some(token) = &config.admin_token {
        check_admin_token(token)?;
    }
    let files = match &config.static_dir {
        Some(dir) => files::StaticFiles::dir(dir).map_err(|source| ServerError::StaticDir {
            path: dir.clone(),
            source,
        })?,
        None => files::StaticFiles::embedded(),
    };
    let tls = config.tls.as_ref().map(tls::load).transpose()?;
    if let (Some(tls), Some(path)) = (&tls, &config.tls_cert_out) {
        std::fs::write(path, &tls.cert_pem).map_err(|source| ServerError::CertOut {
            path: path.clone(),
            source,
        })?;
    }
    let listener = listener::bind(config.bind)?;
    let local_addr = listener.local_addr().map_err(|e| ServerError::Bind {
        addr: config.bind,
        reason: e.to_string(),
    })?;
    let admin_token = config.admin_token.clone().unwrap_or_else(random_token);
    let mut knobs = config.knobs.clone();
    let db = match &config.database {
        Some(database) => Some(db::Db::connect(database, &mut knobs).await?),
        None => None,
    };
    let shared = Arc::new(shared::Shared::new(
        knobs,
        files,
        admin_token.clone(),
        config.log_requests,
        config.test_routes,
        db,
    ));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (acceptor, cert_pem) = match tls {
        Some(tls) => (Some(tls.acceptor), Some(tls.cert_pem)),
        None => (None, None),
    };
    let accept_task = tokio::spawn(listener::serve(
        listener,
        acceptor,
        shared.clone(),
        config,
        shutdown_rx,
    ));
    Ok(RunningServer {
        local_addr,
        admin_token,
        cert_pem,
        shutdown_tx,
        accept_task: Some(accept_task),
        shared,
    })
}

/// 32 hex chars from the OS random source (falling back to SipHash keys,
/// which std also seeds from the OS).
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if from_os.is_err() {
        use std::hash::{BuildHasher, RandomState};
        let high = RandomState::new().hash_one(fastrand::u64(..));
        let low = RandomState::new().hash_one(std::process::id());
        bytes[..8].copy_from_slice(&high.to_le_bytes());
        bytes[8..].copy_from_slice(&low.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a server on its own runtime until SIGINT/SIGTERM, then drains and
/// returns; `on_ready` is called once it listens (`loadtop serve` prints its
/// ready line there).
pub fn run(config: ServerConfig, on_ready: impl FnOnce(&RunningServer)) -> Result<(), ServerError> {
    let runtime = if config.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads)
            .thread_name("loadtop-serve")
            .enable_all()
            .build()
    }
    .map_err(ServerError::Runtime)?;
    runtime.block_on(async {
        let server = start(config).await?;
        on_ready(&server);
        listener::wait_for_signal().await;
        server.shutdown().await;
        Ok(())
    })
}
