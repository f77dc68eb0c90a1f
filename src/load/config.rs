//! What a run asks for: the request to send, the target address, the load
//! model and its sizes. Input arrives here from the plan (or a URL); it is
//! validated once in [`LoadConfig::validate`] and turned into the exact
//! request bytes every connection writes, so nothing downstream re-checks it.

use std::net::SocketAddr;
use std::time::Duration;

use super::EngineError;
use super::mix::{self, WeightedRequest};
use super::request::{RequestSpec, parse_url};
use super::transport::{TlsOptions, Transport};

/// More streams per connection than this is beyond what servers allow
/// (their `SETTINGS_MAX_CONCURRENT_STREAMS` is typically 100 to 250).
const MAX_H2_STREAMS: usize = 1000;

/// How requests are paced: the engine's setting, and what the snapshot
/// shows (the rate the session last asked for).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Model {
    /// Each connection sends as soon as its previous response is done;
    /// latency is service time (no coordinated-omission correction).
    #[default]
    Closed,
    /// A fixed rate in requests per second spread over the connections;
    /// latency is measured from each request's intended send time.
    Open { rate: f64 },
}

impl Model {
    /// Latency is measured from the intended send time (open model).
    pub fn corrected(&self) -> bool {
        matches!(self, Model::Open { .. })
    }

    /// The open model's rate.
    pub fn rate(&self) -> Option<f64> {
        match self {
            Model::Open { rate } => Some(*rate),
            Model::Closed => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub addr: SocketAddr,
    /// What to send: one request, or a weighted mix spread over the run.
    pub requests: Vec<WeightedRequest>,
    pub threads: usize,
    pub connections: usize,
    pub model: Model,
    /// Per request, covering the write and the whole response.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// HTTP/1.1 only: `false` sends `Connection: close` and reconnects for
    /// every request. HTTP/2 connections are always reused.
    pub keepalive: bool,
    /// Total requests to send over the whole run (wrk's `-n`); `None` = unbounded.
    pub max_requests: Option<u64>,
    /// How often the engine reports a merged [`super::Tick`].
    pub tick: Duration,
    /// TLS and HTTP version; `Default` = plain HTTP/1.1.
    pub transport: Transport,
}

impl LoadConfig {
    /// Defaults matching wrk: 2 threads, 10 connections, closed model, 2 s
    /// timeouts, keep-alive, 250 ms ticks.
    pub fn new(addr: SocketAddr, request: RequestSpec) -> Self {
        LoadConfig {
            addr,
            requests: vec![WeightedRequest {
                name: request.display_name(),
                spec: request,
                weight: 1,
            }],
            threads: 2,
            connections: 10,
            model: Model::Closed,
            timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            keepalive: true,
            max_requests: None,
            tick: Duration::from_millis(250),
            transport: Transport::default(),
        }
    }

    /// A config for `http://` or `https://` `url` (TLS verified against the
    /// system roots, SNI from the URL's host) with the defaults of [`Self::new`].
    pub fn for_url(url: &str) -> Result<LoadConfig, EngineError> {
        let parsed = parse_url(url)?;
        let (addr, request) = RequestSpec::from_url(url)?;
        let mut config = LoadConfig::new(addr, request);
        if parsed.tls {
            config.transport.tls = Some(TlsOptions {
                server_name: parsed.host,
                cacert: None,
                insecure: false,
            });
        }
        Ok(config)
    }

    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        if self.threads == 0 {
            return Err(EngineError::InvalidConfig(
                "threads must be at least 1".into(),
            ));
        }
        if self.connections == 0 {
            return Err(EngineError::InvalidConfig(
                "connections must be at least 1".into(),
            ));
        }
        if let Model::Open { rate } = self.model {
            check_rate(rate)?;
        }
        for (name, value) in [
            ("timeout", self.timeout),
            ("connect timeout", self.connect_timeout),
            ("tick", self.tick),
        ] {
            if value.is_zero() {
                return Err(EngineError::InvalidConfig(format!(
                    "{name} must be greater than zero"
                )));
            }
        }
        if self.tick < MIN_TICK {
            return Err(EngineError::InvalidConfig(format!(
                "tick must be at least {} ms",
                MIN_TICK.as_millis()
            )));
        }
        let streams = self.transport.h2_streams;
        if !(1..=MAX_H2_STREAMS).contains(&streams) {
            return Err(EngineError::InvalidConfig(format!(
                "HTTP/2 streams per connection must be 1 to {MAX_H2_STREAMS}, got {streams}"
            )));
        }
        if self
            .transport
            .tls
            .as_ref()
            .is_some_and(|tls| tls.server_name.is_empty())
        {
            return Err(EngineError::InvalidConfig(
                "TLS server name must not be empty".into(),
            ));
        }
        if self.max_requests == Some(0) {
            return Err(EngineError::InvalidConfig(
                "max requests must be at least 1".into(),
            ));
        }
        mix::validate(&self.requests)
    }
}

/// Shorter ticks would spend the workers' time merging and sending intervals.
const MIN_TICK: Duration = Duration::from_millis(10);

/// Rates below one request per thousand seconds would need periods no timer can hold.
pub(crate) fn check_rate(rate: f64) -> Result<(), EngineError> {
    if rate.is_finite() && rate >= 0.001 {
        Ok(())
    } else {
        Err(EngineError::InvalidConfig(format!(
            "rate must be a finite number of requests per second >= 0.001, got {rate}"
        )))
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
