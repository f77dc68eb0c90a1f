//! `loadtop max`: builds the [`MaxPlan`] from the flags, runs the search
//! through the run path with a [`CapacityPlanner`], prints the probes and
//! the answer and picks the exit code.

use super::exit;
use super::output::Output;
use super::run::{self, RunError, RunOptions};
use crate::capacity::planner::{self, CapacityPlanner, SearchState};
use crate::capacity::search::{Search, Stop};
use crate::cli::MaxArgs;
use crate::plan::{MaxPlan, PlanError, ReportDest, RunPlan};
use crate::session::{Outcome, RunResult};

#[derive(Debug, thiserror::Error)]
pub enum MaxError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Parses, runs the search and prints it; returns the exit code:
/// 0 an answer, 1 no rate met the SLOs (or the target died), 130 interrupted.
pub fn max(args: &MaxArgs, options: RunOptions) -> Result<u8, MaxError> {
    let plan = RunPlan::for_max(&super::inputs::max_input(args))?;
    Ok(run_plan(&plan, options)?)
}

pub fn run_plan(plan: &MaxPlan, options: RunOptions) -> Result<u8, RunError> {
    let json_on_stdout = matches!(plan.run.report, Some(ReportDest::Stdout));
    let output = Output::for_run(plan.run.report.as_ref(), &options.outputs);
    let dashboard = run::uses_dashboard(&plan.run, &options);
    let state = planner::shared(Search::new(plan.search));
    let mut capacity_planner = CapacityPlanner::new(
        state.clone(),
        plan.slos.clone(),
        plan.step_time,
        plan.run.connections,
    );
    if !dashboard {
        output.text(&crate::capacity::header(plan));
        capacity_planner = capacity_planner.with_observer(Box::new(move |probe| {
            output.text(&format!("{}\n", probe.line()));
        }));
    }
    let outputs = options.outputs.clone();
    let result = run::run_planned(&plan.run, options, Some(Box::new(capacity_planner)))?;
    let state = planner::lock(&state);
    let mut out = String::new();
    if dashboard {
        out.push_str(&crate::capacity::header(plan));
        for probe in &state.probes {
            out.push_str(&probe.line());
            out.push('\n');
        }
    }
    out.push_str(&planner::conclusion(&state, &plan.slos));
    out.push('\n');
    if let Some(limit) = state
        .search
        .first_fail()
        .and_then(|rate| limited_by(&result.report, rate))
    {
        out.push_str(&limit);
        out.push('\n');
    }
    if let Some(detail) = &result.report.outcome_detail {
        out.push_str(&format!("run {}: {detail}\n", result.report.outcome));
    }
    output.text(&out);
    output.report(
        &result.report,
        json_on_stdout,
        result.report_path.as_deref(),
    );
    let all_written = run::after_run(&result, &outputs);
    Ok(run::with_outputs(exit_code(&result, &state), all_written))
}

/// What limited the answer: the verdict of the first probe that failed
/// (the rate just above the answer), with its evidence and advice.
fn limited_by(report: &crate::report::Report, failed_rate: f64) -> Option<String> {
    let planned = report
        .plan
        .stages
        .iter()
        .find(|s| s.rate.is_some_and(|rate| (rate - failed_rate).abs() < 0.5))?;
    let diagnosis = report
        .stages
        .iter()
        .find(|s| s.name == planned.name)?
        .diagnosis
        .as_ref()
        // `none` names nothing: the probe failed on latency alone.
        .filter(|d| d.bottleneck != crate::diagnosis::Bottleneck::None)?;
    let mut line = format!(
        "limited by {} at {failed_rate:.0} req/s: {}",
        diagnosis.bottleneck.label(),
        diagnosis.evidence.join(", ")
    );
    if !diagnosis.advice.is_empty() {
        line.push_str(&format!(" → {}", diagnosis.advice));
    }
    Some(line)
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
