//! `loadtop run` and `loadtop compare` flags: a profile and how to scale it.

use std::path::PathBuf;

use clap::Args;

use super::LoadArgs;

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
