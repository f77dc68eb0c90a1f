//! The embedded target server (`loadtop serve`).

use crate::cli::ServeArgs;

/// Runs the server until SIGINT/SIGTERM.
pub fn run(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("the server is not built yet")
}
