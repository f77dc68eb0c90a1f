//! The profile file as written: serde structs that mirror the TOML and keep
//! the spans of values that are validated after parsing, so every error can
//! name its line. `profile::mod` turns these into typed values.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub thresholds: Vec<Spanned<String>>,
    /// One target (run, bench-like profiles) ...
    pub target: Option<Spanned<RawTarget>>,
    /// ... or several (`loadtop compare`).
    pub targets: Option<Spanned<Vec<Spanned<RawTarget>>>>,
    #[serde(default)]
    pub request: RawRequest,
    /// A weighted mix of requests (defaults from `request`).
    pub requests: Option<Spanned<Vec<RawMixRequest>>>,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub load: RawLoad,
    pub stages: Option<Spanned<Vec<RawStage>>>,
    /// Stages generated from a list of knob values, after `stages`.
    pub sweep: Option<Spanned<RawSweep>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    /// A server knob, e.g. `pool_size`.
    pub knob: Spanned<String>,
    pub values: Spanned<Vec<toml::Value>>,
    pub duration: Spanned<DurationValue>,
    pub rate: Option<Spanned<f64>>,
    pub connections: Option<Spanned<usize>>,
    /// Applied to every generated stage.
    #[serde(default)]
    pub thresholds: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    /// For tables that compare targets.
    pub name: Option<Spanned<String>>,
    /// A route on the embedded server, e.g. `/pool`.
    pub route: Option<Spanned<String>>,
    /// Any HTTP URL.
    pub url: Option<Spanned<String>>,
    /// The process serving `url`, for CPU and memory charts.
    pub pid: Option<Spanned<u32>>,
    /// The PostgreSQL postmaster behind `url`: it and its children are
    /// charted as the database.
    pub db_pid: Option<Spanned<u32>>,
    /// The target's own Prometheus page, scraped for connection-pool gauges.
    pub metrics_url: Option<Spanned<String>>,
    /// A command that serves `url`: started before the run, stopped after.
    pub command: Option<Spanned<String>>,
    /// How long `command` gets to start answering on `url`.
    pub ready_timeout: Option<Spanned<DurationValue>>,
    /// Programs that must be on PATH; `compare` skips the target otherwise.
    pub requires: Option<Spanned<Requires>>,
}

/// `requires = "go"` or `requires = ["gunicorn", "flask"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Requires {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    pub method: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    /// HTTP/2 (ALPN h2 for https URLs, prior knowledge for http).
    pub http2: Option<bool>,
    /// Concurrent HTTP/2 streams per connection.
    pub h2_streams: Option<Spanned<usize>>,
    /// Accept any TLS certificate.
    pub insecure: Option<bool>,
    /// Extra trusted CA certificates (PEM), relative to the profile's directory.
    pub cacert: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMixRequest {
    pub name: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    /// Path and query on the target.
    pub path: Option<Spanned<String>>,
    /// A URL on the target's origin (same host and port).
    pub url: Option<Spanned<String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    /// Read relative to the profile's directory.
    pub body_file: Option<Spanned<String>>,
    pub weight: Option<Spanned<u32>>,
    /// Thresholds on this request's own figures.
    #[serde(default)]
    pub thresholds: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub threads: Option<Spanned<usize>>,
    /// `embedded` or a postgres:// URL: the database behind `/db/*`.
    pub database: Option<Spanned<String>>,
    pub db_users: Option<Spanned<u64>>,
    pub db_orders: Option<Spanned<u64>>,
    pub knobs: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    pub model: Option<Spanned<String>>,
    pub threads: Option<Spanned<usize>>,
    pub connections: Option<Spanned<usize>>,
    pub rate: Option<Spanned<f64>>,
    pub timeout: Option<Spanned<DurationValue>>,
    pub connect_timeout: Option<Spanned<DurationValue>>,
    pub warmup: Option<Spanned<DurationValue>>,
    pub keepalive: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub name: Spanned<String>,
    /// `open` or `closed`: overrides `load.model` for this stage.
    pub model: Option<Spanned<String>>,
    pub duration: Spanned<DurationValue>,
    pub rate: Option<Spanned<f64>>,
    pub connections: Option<Spanned<usize>>,
    #[serde(default)]
    pub ramp: bool,
    pub knobs: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub thresholds: Vec<Spanned<String>>,
}

/// `"15s"`, `"2m"`, `"250ms"` or a number of seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DurationValue {
    Seconds(f64),
    Text(String),
}
