//! `loadtop report`, `merge` and `check` flags: saved reports in, files out.

use std::path::PathBuf;

use clap::Args;

use super::OutputArgs;

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
