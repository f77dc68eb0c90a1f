//! `loadtop max`: the highest fixed rate at which every SLO holds.
//!
//! Data flows `MaxArgs` → `plan::RunPlan::for_max` → [`MaxPlan`] → the
//! runner's session with a [`planner::CapacityPlanner`], which judges each
//! finished probe (`probe`), asks the pure [`search::Search`] for the next
//! rate and appends that probe as a stage. The planner and this command
//! share the search state; after the run the command prints the probes and
//! the answer and picks the exit code.

pub mod planner;
pub mod probe;
pub mod search;

use std::io::Write;
use std::time::Duration;

use crate::cli::MaxArgs;
use crate::plan::{PlanError, ReportDest, RunPlan};
use crate::profile::Threshold;
use crate::runner::{self, RunError, RunOptions, exit};
use crate::session::{Outcome, RunResult};

use planner::{CapacityPlanner, SearchState};
use probe::thousands;
use search::{Search, SearchConfig, Stop};

/// A validated capacity search: the run (a warm-up the planner extends)
/// and the search's settings.
#[derive(Clone, Debug)]
pub struct MaxPlan {
    pub run: RunPlan,
    pub slos: Vec<Threshold>,
    pub search: SearchConfig,
    pub step_time: Duration,
    /// What the user should know about how their input was read.
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MaxError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Parses, runs the search and prints it; returns the exit code:
/// 0 an answer, 1 no rate met the SLOs (or the target died), 130 interrupted.
pub fn run(args: &MaxArgs, options: RunOptions) -> Result<u8, MaxError> {
    let plan = RunPlan::for_max(args)?;
    Ok(run_plan(&plan, options)?)
}

pub fn run_plan(plan: &MaxPlan, options: RunOptions) -> Result<u8, RunError> {
    let json_on_stdout = matches!(plan.run.report, Some(ReportDest::Stdout));
    // People's text moves to stderr whenever stdout carries a file.
    let text_to_stderr = json_on_stdout || options.outputs.uses_stdout();
    let dashboard = runner::uses_dashboard(&plan.run, &options);
    let state = planner::shared(Search::new(plan.search));
    let mut capacity_planner = CapacityPlanner::new(
        state.clone(),
        plan.slos.clone(),
        plan.step_time,
        plan.run.connections,
    );
    if !dashboard {
        write_text(text_to_stderr, &header(plan));
        capacity_planner = capacity_planner.with_observer(Box::new(move |probe| {
            write_text(text_to_stderr, &format!("{}\n", probe.line()));
        }));
    }
    let outputs = options.outputs.clone();
    let result = runner::run_planned(&plan.run, options, Some(Box::new(capacity_planner)))?;
    let state = planner::lock(&state);
    let mut out = String::new();
    if dashboard {
        out.push_str(&header(plan));
        for probe in &state.probes {
            out.push_str(&probe.line());
            out.push('\n');
        }
    }
    out.push_str(&planner::conclusion(&state, &plan.slos));
    out.push('\n');
    if let Some(detail) = &result.report.outcome_detail {
        out.push_str(&format!("run {}: {detail}\n", result.report.outcome));
    }
    write_text(text_to_stderr, &out);
    if json_on_stdout {
        if let Ok(json) = serde_json::to_string_pretty(&result.report) {
            println!("{json}");
        }
    } else if let Some(path) = &result.report_path {
        println!("report: {}", path.display());
    }
    let _ = std::io::stdout().flush();
    let all_written = runner::after_run(&result, &outputs);
    Ok(runner::with_outputs(
        exit_code(&result, &state),
        all_written,
    ))
}

fn exit_code(result: &RunResult, state: &SearchState) -> u8 {
    match (&result.outcome, state.search.stop()) {
        (Outcome::Interrupted, _) => exit::INTERRUPTED,
        (Outcome::TargetExited(_), _) => exit::FAILED,
        // Quit from the dashboard before the search ended.
        (_, None) => exit::INTERRUPTED,
        (_, Some(Stop::Converged | Stop::CapReached)) => exit::OK,
        (_, Some(Stop::GeneratorLimit { .. })) if state.search.best_pass().is_some() => exit::OK,
        (_, Some(_)) => exit::FAILED,
    }
}

fn header(plan: &MaxPlan) -> String {
    let mut text = format!(
        "loadtop max: {} against {}, probes of {} from {} req/s (cap {}), precision {:.0}%, {} connections\n",
        planner::slo_text(&plan.slos),
        plan.run.target.describe(),
        humantime::format_duration(plan.step_time),
        thousands(plan.search.start_rate),
        thousands(plan.search.max_rate),
        plan.search.precision * 100.0,
        plan.run.connections,
    );
    for note in &plan.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    text
}

/// People's text goes to stdout, or to stderr when stdout carries the JSON.
fn write_text(json_on_stdout: bool, text: &str) {
    if json_on_stdout {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}
