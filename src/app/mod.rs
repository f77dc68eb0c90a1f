//! The application layer: everything between the parsed command line and
//! the library. It dispatches each subcommand to its module (`run` for
//! `run`/`bench`/the dashboard, `compare`, `max`, `report` for
//! `report`/`merge`/`check`, `serve`, `manual` for `completions`/`man`),
//! owns the exit codes, the output sink that knows where JSON and text go
//! (`output`), the headless progress line (`progress`) and the signal
//! wiring (`signals`). Modules below it take plain config types, never clap
//! types; they return results and text, and this layer decides where the
//! text goes and which exit code a result is.

pub mod compare;
pub mod inputs;
pub mod manual;
pub mod max;
pub mod output;
pub mod progress;
pub mod report;
pub mod run;
pub mod serve;
pub mod signals;

use crate::cli::{Cli, Command, LoadArgs, OutputArgs, RunArgs};
use crate::plan::RunPlan;
use crate::report::OutputFiles;
use run::RunOptions;

/// Process exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    /// A threshold failed, or the target died mid-run.
    pub const FAILED: u8 = 1;
    /// Usage or setup error.
    pub const USAGE: u8 = 2;
    /// SIGINT / SIGTERM (128 + 2, as shells report Ctrl-C).
    pub const INTERRUPTED: u8 = 130;
}

/// Runs the parsed command line and returns the exit code; an error is a
/// usage or setup error (`main` prints it as one line and exits 2).
pub fn main(cli: Cli) -> anyhow::Result<u8> {
    // Before any input is read: a profile or body file that never arrives
    // (a FIFO without a writer) must still yield to Ctrl-C and SIGTERM. The
    // server and the target supervisor handle their own signals.
    if !matches!(
        cli.command,
        Some(Command::Serve(_) | Command::SuperviseTarget | Command::SuperviseDatabase)
    ) {
        signals::install();
    }
    dispatch(cli.command)
}

fn dispatch(command: Option<Command>) -> anyhow::Result<u8> {
    match command {
        Some(Command::Serve(args)) => Ok(serve::serve(&args)?),
        Some(Command::SuperviseTarget) => Ok(crate::session::supervise_target()),
        Some(Command::SuperviseDatabase) => Ok(crate::server::db::keeper::supervise_database()),
        Some(Command::Bench(args)) => {
            let plan = RunPlan::from_bench(&inputs::bench_input(&args))?;
            Ok(run::run(&plan, run_options(&args.load))?)
        }
        Some(Command::Run(args)) => {
            let plan = RunPlan::from_run(&inputs::run_input(&args))?;
            Ok(run::run(&plan, run_options(&args.load))?)
        }
        Some(Command::Report(args)) => Ok(report::report(&args)?),
        Some(Command::Merge(args)) => Ok(report::merge(&args)?),
        Some(Command::Check(args)) => Ok(report::check(&args)?),
        Some(Command::Compare(args)) => {
            Ok(compare::compare(&args, run_options(&LoadArgs::default()))?)
        }
        Some(Command::Max(args)) => Ok(max::max(&args, run_options(&args.load))?),
        Some(Command::Completions(args)) => Ok(manual::completions(args.shell)),
        Some(Command::Man) => Ok(manual::man()?),
        None => {
            let args = RunArgs {
                profile: None,
                scale_time: 1.0,
                load: LoadArgs::default(),
            };
            let plan = RunPlan::from_run(&inputs::run_input(&args))?;
            Ok(run::run(&plan, run_options(&args.load))?)
        }
    }
}

fn run_options(load: &LoadArgs) -> RunOptions {
    RunOptions {
        server_exe: None,
        allow_tui: true,
        metrics_addr: load.metrics_addr,
        outputs: output_files(&load.outputs),
    }
}

/// The `--html`/`--hgrm`/`--hlog`/`--csv` flags as the report's plain type.
pub fn output_files(args: &OutputArgs) -> OutputFiles {
    OutputFiles {
        html: args.html.clone(),
        hgrm: args.hgrm.clone(),
        hlog: args.hlog.clone(),
        csv: args.csv.clone(),
    }
}
