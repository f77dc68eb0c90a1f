//! `loadtop compare`: runs each target of the profile headless in turn,
//! prints the side-by-side tables and notes, writes the `loadtop.compare/1`
//! document when asked and picks the exit code. A target that fails to
//! start aborts the comparison (exit 2); whatever was started is stopped by
//! the session's target handle on every path.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::exit;
use super::output::Output;
use super::progress::spawn_progress;
use super::run::{self, RunOptions};
use crate::cli::CompareArgs;
use crate::compare::document::{self, CompareDocument, ProfileInfo, TargetEntry};
use crate::compare::{notes, requires, table, targets_of};
use crate::plan::{LoadOptions, PlanError, RunPlan};
use crate::profile::{Profile, ProfileError};
use crate::session::{self, Outcome, SessionError, SessionIo};
use crate::snapshot::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("target `{target}`: {source}")]
    Session {
        target: String,
        source: SessionError,
    },
    #[error("cannot locate the loadtop binary to start the embedded server: {0}")]
    Exe(std::io::Error),
    #[error(transparent)]
    Write(#[from] crate::report::ReportError),
}

/// Runs the comparison, prints the tables and returns the exit code:
/// 0 ok, 1 a threshold failed or a target died, 130 interrupted.
pub fn compare(args: &CompareArgs, options: RunOptions) -> Result<u8, CompareError> {
    let profile = Profile::load(&args.profile)?;
    let targets = targets_of(&profile);
    let load = LoadOptions {
        headless: true,
        ..LoadOptions::default()
    };
    // Every plan first: bad input is refused before any process starts.
    let plans = targets
        .iter()
        .map(|t| RunPlan::for_target(&profile, t, args.scale_time, &load))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(path) = &args.json {
        crate::report::files::check_writable(path)?;
    }
    let server_exe = match options.server_exe {
        Some(path) => path,
        None => std::env::current_exe().map_err(CompareError::Exe)?,
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    super::signals::arm(interrupted.clone());

    let mut entries = Vec::new();
    let mut outcomes = Vec::new();
    for (target, plan) in targets.iter().zip(&plans) {
        let not_run = if interrupted.load(Ordering::Relaxed) {
            Some("not run: the comparison was interrupted".to_string())
        } else {
            requires::missing(&target.requires)
        };
        if let Some(note) = not_run {
            eprintln!("skipped {}: {note}", target.name);
            entries.push(TargetEntry {
                name: target.name.clone(),
                skipped: Some(note),
                report: None,
            });
            continue;
        }
        eprintln!("comparing {} ({})", target.name, plan.target.describe());
        let io = session_io(server_exe.clone(), &target.name, interrupted.clone());
        let result = match session::run(plan, io) {
            Ok(result) => result,
            // Ctrl-C while a command target was starting: what ran is still printed.
            Err(SessionError::Interrupted) => {
                entries.push(TargetEntry {
                    name: target.name.clone(),
                    skipped: Some("not run: the comparison was interrupted".to_string()),
                    report: None,
                });
                outcomes.push((Outcome::Interrupted, false));
                continue;
            }
            Err(source) => {
                return Err(CompareError::Session {
                    target: target.name.clone(),
                    source,
                });
            }
        };
        if let Some(detail) = &result.report.outcome_detail {
            eprintln!("{}: {} ({detail})", target.name, result.report.outcome);
        }
        outcomes.push((result.outcome.clone(), result.report.passed));
        entries.push(TargetEntry {
            name: target.name.clone(),
            skipped: None,
            report: Some(result.report),
        });
    }

    let ran: Vec<(&str, &crate::report::Report)> = entries
        .iter()
        .filter_map(|e| e.report.as_ref().map(|r| (e.name.as_str(), r)))
        .collect();
    let tables = table::build(&ran);
    let mut out = if args.markdown {
        table::render_markdown(&tables)
    } else {
        table::render_text(&tables)
    };
    let notes = notes(&entries, profile.load.model);
    if args.markdown && !notes.is_empty() {
        // A line right under a Markdown table would become one of its rows.
        out.push('\n');
        for line in notes.lines() {
            out.push_str(&format!("- {line}\n"));
        }
    } else {
        out.push_str(&notes);
    }
    let output = Output::text_on_stdout();
    output.text(&out);

    let code = exit_code(&outcomes);
    if let Some(path) = &args.json {
        let document = CompareDocument {
            schema: document::SCHEMA.into(),
            loadtop_version: env!("CARGO_PKG_VERSION").into(),
            profile: ProfileInfo {
                name: profile.name.clone(),
                origin: profile.origin.clone(),
            },
            targets: entries,
            tables,
            passed: code == exit::OK,
        };
        if let Err(err) = document::write(&document, path) {
            // The tables are printed; the document is kept where it can be.
            eprintln!("loadtop: {err}");
            let relative = crate::report::default_path(&format!("compare-{}", profile.name));
            let kept = [relative.clone(), std::env::temp_dir().join(relative)]
                .into_iter()
                .find(|candidate| document::write(&document, candidate).is_ok());
            match kept {
                Some(kept) => eprintln!("loadtop: the comparison was saved to {}", kept.display()),
                None => eprintln!("loadtop: the comparison could not be saved anywhere"),
            }
            return Ok(run::with_outputs(code, false));
        }
        output.text(&format!("comparison: {}\n", path.display()));
    }
    Ok(code)
}

fn exit_code(outcomes: &[(Outcome, bool)]) -> u8 {
    if outcomes.iter().any(|(o, _)| *o == Outcome::Interrupted) {
        exit::INTERRUPTED
    } else if outcomes
        .iter()
        .any(|(o, passed)| matches!(o, Outcome::TargetExited(_)) || !passed)
    {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// What the session of one target is given: no controls, no report file.
fn session_io(server_exe: PathBuf, target: &str, interrupted: Arc<AtomicBool>) -> SessionIo {
    SessionIo {
        server_exe,
        snapshots: progress(target),
        controls: None,
        interrupted,
        report_path: None,
    }
}

/// A progress line per second on stderr when someone watches it.
fn progress(target: &str) -> Option<tokio::sync::watch::Sender<Snapshot>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (snapshot_tx, snapshot_rx) = tokio::sync::watch::channel(Snapshot::default());
    spawn_progress(snapshot_rx, format!("{target}: "));
    Some(snapshot_tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_rank_interrupt_then_failure() {
        let done = (Outcome::Completed, true);
        assert_eq!(exit_code(&[]), exit::OK);
        assert_eq!(exit_code(std::slice::from_ref(&done)), exit::OK);
        assert_eq!(
            exit_code(&[done.clone(), (Outcome::Completed, false)]),
            exit::FAILED
        );
        assert_eq!(
            exit_code(&[done.clone(), (Outcome::TargetExited("x".into()), true)]),
            exit::FAILED
        );
        assert_eq!(
            exit_code(&[(Outcome::Completed, false), (Outcome::Interrupted, true)]),
            exit::INTERRUPTED
        );
    }
}
