//! The binary: parse the command line, dispatch, map outcomes to exit codes.
//! Exit codes: 0 ok, 1 thresholds failed, 2 usage or setup error, 130 interrupted.

use std::process::ExitCode;

use clap::Parser;
use loadtop::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::Serve(args)) => {
            return match loadtop::server::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("loadtop: {err}");
                    ExitCode::from(2)
                }
            };
        }
        Some(Command::Bench(_)) | Some(Command::Run(_)) | None => {
            Err(anyhow::anyhow!("load generation is not built yet"))
        }
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("loadtop: {err:#}");
            ExitCode::from(2)
        }
    }
}
