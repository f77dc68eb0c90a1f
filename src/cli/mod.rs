//! Command-line definitions (clap derives only, no I/O), one file per
//! subcommand's flags. `plan` turns these, together with a profile, into a
//! validated `RunPlan`; `app` dispatches on them. The text parsers the flags
//! use live in `crate::parse`, where profiles use them too.

mod bench;
mod load;
mod max;
mod report;
mod run;
mod serve;

use clap::{Args, Parser, Subcommand};

pub use bench::BenchArgs;
pub use load::{LoadArgs, OutputArgs};
pub use max::MaxArgs;
pub use report::{CheckArgs, MergeArgs, ReportArgs};
pub use run::{CompareArgs, RunArgs};
pub use serve::ServeArgs;

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
    /// Internal: runs the throwaway PostgreSQL of `serve --database
    /// embedded` and stops it, deleting its directory, when serve goes.
    #[command(hide = true)]
    SuperviseDatabase,
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
