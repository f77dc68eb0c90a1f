//! The binary: parse the command line, dispatch, map outcomes to exit codes.
//! Exit codes: 0 ok, 1 thresholds failed (or the target died), 2 usage or
//! setup error, 130 interrupted.

use std::process::ExitCode;

use clap::Parser;
use loadtop::cli::{Cli, Command, LoadArgs, RunArgs};
use loadtop::plan::RunPlan;
use loadtop::runner::{self, RunOptions, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("loadtop: {err:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn dispatch(command: Option<Command>) -> anyhow::Result<u8> {
    let options = RunOptions {
        server_exe: None,
        allow_tui: true,
    };
    match command {
        Some(Command::Serve(args)) => {
            loadtop::server::run(args)?;
            Ok(exit::OK)
        }
        Some(Command::Bench(args)) => {
            let plan = RunPlan::from_bench_args(&args)?;
            Ok(runner::run(&plan, options)?)
        }
        Some(Command::Run(args)) => {
            let plan = RunPlan::from_run_args(&args)?;
            Ok(runner::run(&plan, options)?)
        }
        Some(Command::Max(args)) => Ok(loadtop::capacity::run(&args, options)?),
        None => {
            let args = RunArgs {
                profile: None,
                scale_time: 1.0,
                load: LoadArgs {
                    headless: false,
                    json: None,
                },
            };
            let plan = RunPlan::from_run_args(&args)?;
            Ok(runner::run(&plan, options)?)
        }
    }
}
