//! Flags shared by every command that generates load, and the files
//! written from a report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::parse::{Shard, parse_bind, parse_duration, parse_metrics_url, parse_shard};

/// Options shared by every command that generates load.
#[derive(Debug, Clone, Default, Args)]
pub struct LoadArgs {
    /// Force headless output even on a terminal.
    #[arg(long, alias = "no-tui")]
    pub headless: bool,
    /// Write the JSON report here ("-" for stdout).
    #[arg(long, value_name = "FILE|-", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,
    /// Files written from the report after the run.
    #[command(flatten)]
    pub outputs: OutputArgs,
    /// How often CPU and memory are sampled (default 1s; never below 200ms).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub sample_interval: Option<Duration>,
    /// Produce shard I of N of the load (rate split in the open model,
    /// connections in the closed one); merge the reports with `loadtop merge`.
    #[arg(long, value_parser = parse_shard, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Serve live counters and latency quantiles in Prometheus text format
    /// at http://ADDR/metrics while the run lasts.
    #[arg(long, value_name = "IP:PORT", value_parser = parse_bind)]
    pub metrics_addr: Option<SocketAddr>,
    /// Speak HTTP/2: ALPN h2 for https:// URLs, prior knowledge (h2c) for http://.
    #[arg(long)]
    pub http2: bool,
    /// Concurrent HTTP/2 streams per connection, each paced like a
    /// connection (default 1; needs --http2).
    #[arg(long, value_name = "N")]
    pub h2_streams: Option<usize>,
    /// Accept any TLS certificate (handshake signatures are still checked).
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,
    /// Trust the CA certificate(s) in this PEM file, besides the system roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// The PostgreSQL postmaster behind a URL target: it and its children
    /// are charted and reported as the database (over the profile's
    /// `[target] db_pid`).
    #[arg(long, value_name = "PID")]
    pub db_pid: Option<u32>,
    /// The URL target's own Prometheus page (http://): scraped each second
    /// for connection-pool gauges (OpenTelemetry db.client.connection.*,
    /// HikariCP), so the diagnosis can judge its pool (over the profile's
    /// `[target] metrics_url`).
    #[arg(long, value_name = "URL", value_parser = parse_metrics_url)]
    pub metrics_url: Option<crate::load::url::HttpUrl>,
}

/// Files `report` (and a run) can write from a JSON report.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Write a self-contained HTML report with charts.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the measured latency distribution (HdrHistogram .hgrm text, ms).
    #[arg(long, value_name = "FILE")]
    pub hgrm: Option<PathBuf>,
    /// Write an HdrHistogram interval log, one histogram per stage tagged with its name.
    #[arg(long, value_name = "FILE")]
    pub hlog: Option<PathBuf>,
    /// Write the per-second timeline as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}
