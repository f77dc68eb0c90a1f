//! `loadtop completions SHELL` and `loadtop man`: generated from the clap
//! definitions themselves, so they never drift from the flags.

use clap::CommandFactory;

use super::exit;
use crate::cli::Cli;

pub fn completions(shell: clap_complete::Shell) -> u8 {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "loadtop", &mut std::io::stdout());
    exit::OK
}

pub fn man() -> std::io::Result<u8> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(exit::OK)
}
