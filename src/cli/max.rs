//! `loadtop max` flags.

use std::time::Duration;

use clap::Args;

use super::LoadArgs;
use crate::parse::{parse_duration, parse_fraction};

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
