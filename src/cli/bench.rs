//! `loadtop bench` flags (wrk/oha style).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::LoadArgs;
use crate::parse::parse_duration;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// http://host[:port]/path
    #[arg(required_unless_present = "urls_from_file")]
    pub url: Option<String>,
    /// Spread the load evenly over the URLs in FILE (one per line, all on one
    /// host and port; `#` starts a comment). Up to 64 distinct paths are
    /// reported one by one; longer lists are reported as one.
    #[arg(long, value_name = "FILE")]
    pub urls_from_file: Option<PathBuf>,
    /// The process serving URL: its CPU and memory are charted and reported.
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Open connections (closed model: each sends as soon as its last response is done).
    #[arg(short = 'c', long, default_value_t = 50)]
    pub connections: usize,
    /// Generator threads.
    #[arg(short = 't', long, default_value_t = 1)]
    pub threads: usize,
    /// Duration (e.g. 10s, 2m).
    #[arg(short = 'd', long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many requests.
    #[arg(short = 'n', long)]
    pub requests: Option<u64>,
    /// Fixed request rate per second (open model, coordinated omission corrected).
    #[arg(short = 'R', long)]
    pub rate: Option<f64>,
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,
    /// Extra header "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// Per-request timeout.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    #[arg(long, value_parser = parse_duration, default_value = "3s")]
    pub connect_timeout: Duration,
    /// Run this long before measuring.
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Print the full percentile spectrum (HdrHistogram .hgrm layout).
    #[arg(long)]
    pub latency: bool,
    /// Open a new connection for every request.
    #[arg(long)]
    pub no_keepalive: bool,
    /// oha's duration flag: refused with a pointer to `-d`.
    #[arg(short = 'z', hide = true, value_name = "DURATION", value_parser = oha_duration)]
    pub oha_duration: Option<String>,
    /// oha's rate flag: refused with a pointer to `-R`.
    #[arg(short = 'q', hide = true, value_name = "RATE", value_parser = oha_rate)]
    pub oha_rate: Option<String>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Hands used to oha get told loadtop's spelling instead of "unexpected argument".
fn oha_duration(text: &str) -> Result<String, String> {
    Err(format!("oha's -z is -d here: try `-d {text}`"))
}

fn oha_rate(text: &str) -> Result<String, String> {
    Err(format!("oha's -q is -R here: try `-R {text}`"))
}
