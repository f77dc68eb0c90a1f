//! What the plan is built from besides a profile: plain values for every
//! load command's options, filled in by the application layer from the
//! command line (`app::inputs`), so the plan never sees clap types.

use std::path::PathBuf;
use std::time::Duration;

use super::ReportDest;
use crate::parse::Shard;

/// Options every load command shares.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadOptions {
    /// No dashboard even on a terminal.
    pub headless: bool,
    /// Where the JSON report goes, when asked for.
    pub report: Option<ReportDest>,
    /// How often CPU and memory are sampled (default 1 s).
    pub sample_interval: Option<Duration>,
    /// Produce only this share of the load.
    pub shard: Option<Shard>,
    pub http2: bool,
    pub h2_streams: Option<usize>,
    pub insecure: bool,
    pub cacert: Option<PathBuf>,
    /// A URL target's PostgreSQL postmaster, monitored as the database.
    pub db_pid: Option<u32>,
    /// A URL target's Prometheus page, scraped for its pools' gauges.
    pub metrics_url: Option<crate::load::url::HttpUrl>,
}

/// `loadtop run`: a profile (the built-in one when `None`) and how to scale it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInput {
    pub profile: Option<PathBuf>,
    pub scale_time: f64,
    pub load: LoadOptions,
}

/// `loadtop bench`: one stage from wrk/oha-style options.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchInput {
    pub url: Option<String>,
    pub urls_from_file: Option<PathBuf>,
    pub pid: Option<u32>,
    pub connections: usize,
    pub threads: usize,
    pub duration: Option<Duration>,
    pub requests: Option<u64>,
    pub rate: Option<f64>,
    pub method: String,
    /// "Name: value" lines, checked by the plan.
    pub headers: Vec<String>,
    pub body: Option<String>,
    pub body_file: Option<PathBuf>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub warmup: Option<Duration>,
    /// Print the full percentile spectrum.
    pub latency: bool,
    pub no_keepalive: bool,
    pub load: LoadOptions,
}

/// `loadtop max`: a URL or a profile, the SLOs and the search's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxInput {
    /// A URL, or a profile file (its stages are ignored).
    pub target: String,
    /// Threshold expressions, checked by the plan.
    pub slos: Vec<String>,
    pub step_time: Duration,
    pub precision: f64,
    pub start_rate: f64,
    pub max_rate: f64,
    pub connections: Option<usize>,
    pub threads: Option<usize>,
    pub load: LoadOptions,
}
