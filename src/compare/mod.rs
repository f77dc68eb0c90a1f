//! `loadtop compare`: the same stages against each target of a profile in
//! turn, then one side-by-side table per stage. Data flows: profile →
//! one `RunPlan` per target (all validated before anything starts) → a
//! headless `session::run` per target (its `requires` checked first; a
//! missing runtime is a skip with a note) → reports → `table` rows → text
//! or Markdown on stdout, and optionally one `loadtop.compare/1` document.
//! A target that fails to start aborts the comparison (exit 2); whatever
//! was started is stopped by the session's target handle on every path.

pub mod document;
pub mod requires;
pub mod table;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::{CompareArgs, LoadArgs};
use crate::plan::{PlanError, RunPlan};
use crate::profile::{ModelKind, NamedTarget, Profile, ProfileError, Target};
use crate::runner::{self, RunOptions, exit};
use crate::session::{self, Outcome, SessionError, SessionIo};
use crate::snapshot::Snapshot;

use document::{CompareDocument, ProfileInfo, TargetEntry};

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
pub fn run(args: &CompareArgs, options: RunOptions) -> Result<u8, CompareError> {
    let profile = Profile::load(&args.profile)?;
    let targets = targets_of(&profile);
    let load = LoadArgs {
        headless: true,
        ..LoadArgs::default()
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
    runner::install_signal_handler(interrupted.clone());

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
        let io = SessionIo {
            server_exe: server_exe.clone(),
            snapshots: progress(&target.name),
            controls: None,
            interrupted: interrupted.clone(),
            report_path: None,
        };
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
    print!("{out}");
    let _ = std::io::stdout().flush();

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
            return Ok(runner::with_outputs(code, false));
        }
        println!("comparison: {}", path.display());
    }
    Ok(code)
}

/// A profile's `[[targets]]`, or its single `[target]` as a one-row comparison.
fn targets_of(profile: &Profile) -> Vec<NamedTarget> {
    if !profile.targets.is_empty() {
        return profile.targets.clone();
    }
    let name = match &profile.target {
        Target::Embedded { .. } => "loadtop".to_string(),
        Target::Url { url, .. } => url.clone(),
    };
    vec![NamedTarget {
        name,
        target: profile.target.clone(),
        requires: Vec::new(),
    }]
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

/// Skips, failures and what the closed model's mean latency really is.
fn notes(entries: &[TargetEntry], model: ModelKind) -> String {
    let mut out = String::new();
    for entry in entries {
        if let Some(reason) = &entry.skipped {
            out.push_str(&format!("skipped {}: {reason}\n", entry.name));
        }
        let Some(report) = &entry.report else {
            continue;
        };
        if let Some(detail) = &report.outcome_detail {
            out.push_str(&format!("{}: {} ({detail})\n", entry.name, report.outcome));
        } else if report.outcome != Outcome::Completed.as_str() {
            out.push_str(&format!("{}: {}\n", entry.name, report.outcome));
        }
        for t in report.thresholds.iter().filter(|t| !t.passed) {
            let scope = t.stage.as_deref().unwrap_or("run");
            out.push_str(&format!(
                "{}: threshold FAIL: {} [{scope}] observed {}\n",
                entry.name, t.expr, t.observed_text
            ));
        }
    }
    if model == ModelKind::Closed && entries.iter().any(|e| e.report.is_some()) {
        out.push_str(
            "closed model: mean latency = connections / req/s (Little's law); compare p99 and p99.9\n",
        );
    }
    out
}

/// A progress line per second on stderr when someone watches it.
fn progress(target: &str) -> Option<tokio::sync::watch::Sender<Snapshot>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (snapshot_tx, snapshot_rx) = tokio::sync::watch::channel(Snapshot::default());
    runner::spawn_progress(snapshot_rx, format!("{target}: "));
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

    #[test]
    fn skipped_targets_are_noted() {
        let entries = [TargetEntry {
            name: "go".into(),
            skipped: Some("`go` not found on PATH".into()),
            report: None,
        }];
        assert_eq!(
            notes(&entries, ModelKind::Closed),
            "skipped go: `go` not found on PATH\n"
        );
    }
}
