//! The load generator, independent of any front end.
//!
//! [`start`] validates a [`LoadConfig`], raises the descriptor limit and
//! spawns the worker threads (`loadtop-worker-N`, each a current-thread
//! runtime owning its connections and its `stats::Interval`) plus one
//! coordinator thread (`loadtop-engine`). Data flows one way: connections
//! record into their worker's interval; each tick workers hand their
//! intervals to the coordinator, which merges them into one [`Tick`] for the
//! caller. Commands flow the other way: [`EngineHandle::send`] →
//! coordinator → workers, applied between requests.
//!
//! Models: [`Model::Closed`] measures service time; [`Model::Open`] paces a
//! fixed rate wrk2-style and measures latency from each intended send time.
//! `SetRate` on a closed run switches it to the open model at that rate.

mod alarm;
mod config;
mod conn;
mod coordinator;
mod engine;
mod h1;
mod h2;
mod limits;
mod messages;
mod mix;
mod pacer;
mod prepared;
mod request;
pub(crate) mod response;
mod shared;
mod tls;
mod transport;
pub mod url;
mod worker;

pub use config::{LoadConfig, Model};
pub use coordinator::{MAX_CONNECTIONS, MAX_THREADS};
pub use engine::{EngineHandle, start};
pub use messages::{LoadCommand, Tick};
pub use mix::{MAX_NAMES, WeightedRequest, reported_names};
pub use request::RequestSpec;
pub use tls::probe;
pub use transport::{Protocol, TlsOptions, Transport};

/// Why an engine could not start. Request failures are not errors: they are
/// counted in the ticks.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid load configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// `reason` names the URL (passwords redacted).
    #[error("{reason}")]
    Url { url: String, reason: String },
    #[error("cannot resolve `{host}`: {source}")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{connections} connections need {needed} file descriptors but the limit is {soft} \
         (hard limit {hard}); raise it with `ulimit -n`"
    )]
    FileLimit {
        connections: usize,
        needed: u64,
        soft: u64,
        hard: u64,
    },
    #[error("cannot start a generator thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("cannot use CA certificate file {}: {reason}", path.display())]
    CaCert {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("TLS setup failed: {0}")]
    TlsSetup(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("TLS handshake with {target} failed: {reason}{hint}")]
    Tls {
        target: String,
        reason: String,
        hint: &'static str,
    },
    #[error(
        "{target} did not negotiate HTTP/2 over TLS (ALPN: {offered}); \
         drop --http2 to load it over HTTP/1.1"
    )]
    NoHttp2 { target: String, offered: String },
    #[error(
        "{target} does not speak HTTP/2 over plain TCP (h2c prior knowledge); \
         drop --http2, or use an https:// URL if it offers h2 through ALPN"
    )]
    NoH2c { target: String },
}
