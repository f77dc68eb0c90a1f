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

mod config;
mod conn;
mod coordinator;
mod engine;
mod limits;
mod mix;
mod pacer;
mod response;
mod worker;

pub use config::{LoadConfig, Model, RequestSpec};
pub use engine::{EngineHandle, LoadCommand, Tick, start};
pub use mix::{MAX_NAMES, WeightedRequest, reported_names};

/// Why an engine could not start. Request failures are not errors: they are
/// counted in the ticks.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("invalid load configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("unsupported scheme `{0}` (supported: http)")]
    UnsupportedScheme(String),
    #[error("invalid URL `{url}`: {reason}")]
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
}
