//! Command-line definitions (clap derives only, no I/O). `plan` turns these,
//! together with a profile, into a validated `RunPlan`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "loadtop",
    version,
    about = "HTTP load testing with a live dashboard, honest latency and resource monitoring",
    long_about = "With no subcommand, runs the default profile against the embedded target \
                  server: in the dashboard when stdout is a terminal, headless otherwise."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once per process: boxing the large variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedded target server (routes, bottleneck scenarios, admin API).
    Serve(ServeArgs),
    /// Internal: runs a profile's `command` target for a parent loadtop and
    /// stops it (with its process group) when that parent goes, even by
    /// SIGKILL. The command comes in the environment, not on the command line.
    #[command(hide = true)]
    SuperviseTarget,
    /// Load-test one URL with wrk/oha-style flags.
    Bench(BenchArgs),
    /// Run a profile's stages (the default profile when none is given).
    Run(RunArgs),
    /// Print a saved JSON report again, or turn it into HTML, .hgrm, .hlog or CSV files.
    Report(ReportArgs),
    /// Combine the JSON reports of shards that ran the same plan into one.
    Merge(MergeArgs),
    /// Evaluate thresholds against a saved report (exit 0 pass, 1 fail, 2 bad input).
    Check(CheckArgs),
    /// Run a profile's stages against each of its `[[targets]]` and print side-by-side tables.
    Compare(CompareArgs),
    /// Find the highest fixed rate at which every SLO holds (capacity search).
    ///
    /// Short open-model probes (fixed rate, corrected latency) double from
    /// --start-rate until an SLO fails, then bisect between the last pass and the
    /// first failure until they are within --precision. The answer is the highest
    /// rate that passed. When the generator rather than the target is the limit,
    /// the search stops and says the answer is a lower bound.
    ///
    /// From a profile, the target, request, server knobs and load settings are
    /// used; its stages are ignored, and its whole-run thresholds are the SLOs
    /// when no --slo is given.
    ///
    /// Exit codes: 0 an answer, 1 no rate met the SLOs, 2 bad input or an
    /// unreachable target, 130 interrupted (the report is still written).
    Max(MaxArgs),
    /// Print a shell completion script to stdout, e.g.
    /// `loadtop completions bash > /etc/bash_completion.d/loadtop`.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout, e.g. `loadtop man | man -l -`.
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Worker threads of the server's runtime (default: number of cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Serve /static/ from this directory instead of the built-in assets.
    #[arg(long)]
    pub static_dir: Option<PathBuf>,
    /// Admin API token (default: random per start).
    #[arg(long, env = "LOADTOP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Log one line per request on stderr.
    #[arg(long)]
    pub log_requests: bool,
    /// Initial knobs as JSON (same keys as PATCH /_loadtop/knobs).
    #[arg(long, value_name = "JSON")]
    pub knobs: Option<String>,
    /// Enable test-only routes (/_test/panic).
    #[arg(long, hide = true)]
    pub test_routes: bool,
    /// A request head must arrive within this (slowloris guard).
    #[arg(long, hide = true, value_parser = parse_duration, default_value = "5s")]
    pub header_read_timeout: Duration,
    /// Serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN) with a self-signed
    /// certificate for localhost, 127.0.0.1 and ::1, generated at start.
    #[arg(long)]
    pub tls: bool,
    /// Write the served certificate (PEM) here, for clients to trust.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_cert_out: Option<PathBuf>,
    /// Serve this PEM certificate chain instead of a generated one.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_key"])]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_cert"])]
    pub tls_key: Option<PathBuf>,
}

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
}

/// One of N generators sharing a plan's load (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let invalid = || format!("invalid shard `{text}` (expected I/N with 1 <= I <= N, e.g. 2/3)");
    let (index, count) = text.split_once('/').ok_or_else(invalid)?;
    let index: u32 = index.trim().parse().map_err(|_| invalid())?;
    let count: u32 = count.trim().parse().map_err(|_| invalid())?;
    if index == 0 || count == 0 || index > count {
        return Err(invalid());
    }
    Ok(Shard { index, count })
}

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

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Profile file (default: the built-in default profile).
    pub profile: Option<PathBuf>,
    /// Multiply every stage duration (e.g. 0.1 for a quick pass).
    #[arg(long, default_value_t = 1.0)]
    pub scale_time: f64,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Profile listing the targets under `[[targets]]`.
    pub profile: PathBuf,
    /// Print the tables as Markdown.
    #[arg(long)]
    pub markdown: bool,
    /// Write one JSON document (schema `loadtop.compare/1`) with every target's report.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Multiply every stage duration (e.g. 0.1 for a quick pass).
    #[arg(long, default_value_t = 1.0)]
    pub scale_time: f64,
    /// Accepted for symmetry with `run`: comparisons always run headless.
    #[arg(long, alias = "no-tui")]
    pub headless: bool,
}

/// No load test lasts longer; bounding every duration here keeps the sums,
/// products and deadlines computed from them far from overflow.
pub const LONGEST_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Durations as people write them for wrk and oha: `10s`, `2m`, `500ms`, `1h`;
/// a bare number means seconds. At most [`LONGEST_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return duration_from_secs(secs).map_err(|e| format!("invalid duration `{text}`: {e}"));
    }
    let duration =
        humantime::parse_duration(text).map_err(|e| format!("invalid duration `{text}`: {e}"))?;
    if duration > LONGEST_DURATION {
        return Err(format!("invalid duration `{text}`: longer than a year"));
    }
    Ok(duration)
}

/// Seconds as a duration: finite, not negative, at most [`LONGEST_DURATION`].
pub fn duration_from_secs(secs: f64) -> Result<Duration, String> {
    if !(secs.is_finite() && secs >= 0.0) {
        return Err("not a number of seconds >= 0".into());
    }
    if secs > LONGEST_DURATION.as_secs_f64() {
        return Err("longer than a year".into());
    }
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// A bind address must be a literal socket address; names are refused so the
/// server never binds somewhere the user did not spell out.
pub fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>().map_err(|_| {
        format!("invalid bind address `{text}` (expected IP:PORT, e.g. 127.0.0.1:8080)")
    })
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

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A JSON report written by a run (or by `merge`).
    pub report: PathBuf,
    #[command(flatten)]
    pub outputs: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Reports of shards that ran the same plan at the same time.
    #[arg(required = true, num_args = 1..)]
    pub reports: Vec<PathBuf>,
    /// Where to write the merged report.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// A JSON report (merged ones included).
    pub report: PathBuf,
    /// Take the thresholds from this profile instead of those recorded in the report.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MaxArgs {
    /// http://host[:port]/path, or a profile file (its stages are ignored).
    #[arg(value_name = "URL|PROFILE")]
    pub target: String,
    /// Service level objective, threshold syntax (repeatable): `p99<50ms`, `errors<1%`.
    #[arg(long = "slo", value_name = "EXPR")]
    pub slos: Vec<String>,
    /// Length of each probe.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub step_time: Duration,
    /// Stop when the failing rate is within this of the passing one (`5%` or `0.05`).
    #[arg(long, value_parser = parse_fraction, default_value = "5%")]
    pub precision: f64,
    /// First probe's rate (req/s); doubled until an SLO fails.
    #[arg(long, default_value_t = 100.0)]
    pub start_rate: f64,
    /// Never probe above this rate (req/s).
    #[arg(long, default_value_t = 1_000_000.0)]
    pub max_rate: f64,
    /// Connections the open-model schedule is spread over [default: 256, or the profile's if larger].
    #[arg(short = 'c', long)]
    pub connections: Option<usize>,
    /// Generator threads [default: 1, or the profile's].
    #[arg(short = 't', long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `5%` or `0.05`: a fraction above 0 and at most 1.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let value = match trimmed.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
        None => trimmed.parse::<f64>(),
    }
    .map_err(|_| format!("invalid fraction `{text}` (e.g. 5% or 0.05)"))?;
    if value.is_finite() && value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(format!("`{text}` must be above 0% and at most 100%"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_wrk() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("-1").is_err());
        for absurd in ["1e300", "inf", "NaN", "400days", "18446744073709551615s"] {
            assert!(parse_duration(absurd).is_err(), "{absurd}");
        }
        assert_eq!(
            parse_duration("365days"),
            Ok(Duration::from_secs(365 * 86_400))
        );
    }

    #[test]
    fn shards_are_i_of_n() {
        assert_eq!(parse_shard("2/3"), Ok(Shard { index: 2, count: 3 }));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("3").is_err());
    }

    #[test]
    fn bind_must_be_ip_and_port() {
        assert!(parse_bind("127.0.0.1:0").is_ok());
        assert!(parse_bind("localhost:80").is_err());
        assert!(parse_bind("127.0.0.1").is_err());
    }
}
