//! What a run asks for: the request to send, the target address, the load
//! model and its sizes. Input arrives here from the plan (or a URL); it is
//! validated once in [`LoadConfig::validate`] and turned into the exact
//! request bytes every connection writes, so nothing downstream re-checks it.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;

use super::EngineError;
use super::transport::{TlsOptions, Transport};

/// More streams per connection than this is beyond what servers allow
/// (their `SETTINGS_MAX_CONCURRENT_STREAMS` is typically 100 to 250).
const MAX_H2_STREAMS: usize = 1000;
use super::mix::{self, WeightedRequest};

/// One request, sent unchanged by every connection (as prepared HTTP/1.1
/// bytes, or in HTTP/2 form when the run speaks HTTP/2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestSpec {
    pub method: String,
    /// Path and query, starting with `/`.
    pub path: String,
    /// Host header value (`host` or `host:port`).
    pub host: String,
    /// Extra headers in order; a `Host` or `Content-Length` here replaces ours.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

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

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn has_line_break(text: &str) -> bool {
    text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

impl RequestSpec {
    /// A GET of `path` with no extra headers.
    pub fn get(host: impl Into<String>, path: impl Into<String>) -> Self {
        RequestSpec {
            method: "GET".into(),
            path: path.into(),
            host: host.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Parses `http[s]://[user:password@]host[:port][/path][?query]` (see
    /// [`super::url::parse`]) and resolves the host; credentials become an
    /// `Authorization` header (see [`LoadConfig::for_url`] for the TLS
    /// settings an https URL implies).
    pub fn from_url(url: &str) -> Result<(SocketAddr, RequestSpec), EngineError> {
        let parsed = parse_url(url)?;
        let host = parsed.host.as_str();
        let addr = (host, parsed.port)
            .to_socket_addrs()
            .map_err(|source| EngineError::Resolve {
                host: host.to_string(),
                source,
            })?
            .next()
            .ok_or_else(|| EngineError::Resolve {
                host: host.to_string(),
                source: std::io::Error::other("no addresses"),
            })?;
        let mut spec = RequestSpec::get(parsed.host_header(), parsed.path.clone());
        parsed.add_authorization(&mut spec.headers);
        spec.validate()?;
        Ok((addr, spec))
    }

    /// `GET /path`: how a request is named when nobody named it.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        let bad = |what: String| Err(EngineError::InvalidRequest(what));
        if !is_token(&self.method) {
            return bad(format!("invalid method `{}`", self.method));
        }
        if !(self.path.starts_with('/') || self.path == "*")
            || self.path.bytes().any(|b| b <= b' ' || b == 0x7f)
        {
            return bad(format!(
                "invalid path `{}` (must start with `/`, no spaces or control bytes)",
                self.path
            ));
        }
        if self.host.is_empty() || has_line_break(&self.host) {
            return bad(format!("invalid Host `{}`", self.host));
        }
        for (name, value) in &self.headers {
            if !is_token(name) || has_line_break(value) {
                return bad(format!("invalid header `{name}`"));
            }
        }
        Ok(())
    }

    pub(crate) fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }

    /// The exact bytes every connection writes, built once per run.
    pub(crate) fn to_bytes(&self, keepalive: bool) -> Bytes {
        let has = |wanted: &str| {
            self.headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(wanted))
        };
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        if !has("host") {
            head.push_str(&format!("Host: {}\r\n", self.host));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body_expected = matches!(
            self.method.to_ascii_uppercase().as_str(),
            "POST" | "PUT" | "PATCH"
        );
        if !has("content-length") && (!self.body.is_empty() || body_expected) {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if !keepalive && !has("connection") {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        Bytes::from(bytes)
    }
}

fn parse_url(url: &str) -> Result<super::url::HttpUrl, EngineError> {
    super::url::parse(url).map_err(|reason| EngineError::Url {
        url: super::url::redact(url),
        reason,
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
