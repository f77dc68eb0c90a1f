//! The binary: parse the command line, dispatch, map outcomes to exit codes.
//! Exit codes: 0 ok, 1 thresholds failed (or the target died), 2 usage or
//! setup error, 130 interrupted.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use loadtop::cli::{Cli, Command, LoadArgs, RunArgs};
use loadtop::plan::RunPlan;
use loadtop::report::OutputFiles;
use loadtop::runner::{self, RunOptions, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before any input is read: a profile or body file that never arrives
    // (a FIFO without a writer) must still yield to Ctrl-C and SIGTERM. The
    // server and the target supervisor handle their own signals.
    if !matches!(
        cli.command,
        Some(Command::Serve(_) | Command::SuperviseTarget)
    ) {
        loadtop::signals::install();
    }
    match dispatch(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("loadtop: {}", error_text(&err));
            ExitCode::from(exit::USAGE)
        }
    }
}

/// The error and its causes, each said once: many messages already quote
/// their cause (`cannot write x: No such file…`), which `{:#}` would repeat.
fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

fn run_options(load: &LoadArgs) -> RunOptions {
    RunOptions {
        server_exe: None,
        allow_tui: true,
        metrics_addr: load.metrics_addr,
        outputs: OutputFiles::from_load_args(load),
    }
}

fn dispatch(command: Option<Command>) -> anyhow::Result<u8> {
    match command {
        Some(Command::Serve(args)) => {
            loadtop::server::child::exit_with_parent_if_asked();
            loadtop::server::run(args)?;
            Ok(exit::OK)
        }
        Some(Command::SuperviseTarget) => Ok(loadtop::session::supervise_target()),
        Some(Command::Bench(args)) => {
            let plan = RunPlan::from_bench_args(&args)?;
            Ok(runner::run(&plan, run_options(&args.load))?)
        }
        Some(Command::Run(args)) => {
            let plan = RunPlan::from_run_args(&args)?;
            Ok(runner::run(&plan, run_options(&args.load))?)
        }
        Some(Command::Report(args)) => Ok(loadtop::report::commands::report(&args)?),
        Some(Command::Merge(args)) => Ok(loadtop::report::commands::merge(&args)?),
        Some(Command::Check(args)) => Ok(loadtop::report::commands::check(&args)?),
        Some(Command::Compare(args)) => Ok(loadtop::compare::run(
            &args,
            run_options(&LoadArgs::default()),
        )?),
        Some(Command::Max(args)) => Ok(loadtop::capacity::run(&args, run_options(&args.load))?),
        Some(Command::Completions(args)) => {
            let mut command = Cli::command();
            clap_complete::generate(args.shell, &mut command, "loadtop", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(exit::OK)
        }
        None => {
            let args = RunArgs {
                profile: None,
                scale_time: 1.0,
                load: LoadArgs::default(),
            };
            let plan = RunPlan::from_run_args(&args)?;
            Ok(runner::run(&plan, run_options(&args.load))?)
        }
    }
}
