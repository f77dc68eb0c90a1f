//! The binary: parse the command line, hand it to `loadtop::app`, and turn
//! an error into one line and exit code 2. Exit codes: 0 ok, 1 thresholds
//! failed (or the target died), 2 usage or setup error, 130 interrupted.

use std::process::ExitCode;

use clap::Parser;
use loadtop::app::{self, exit};
use loadtop::cli::Cli;

fn main() -> ExitCode {
    match app::main(Cli::parse()) {
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
