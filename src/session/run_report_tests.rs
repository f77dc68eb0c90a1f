//! The report from a hand-built run state: its stages, whole-run figures,
//! timeline, thresholds and outcome, with no target and no engine.

use super::*;
use crate::session::state_fixture::three_stages;

#[test]
fn a_completed_run_reports_every_stage_and_the_measured_total() {
    let run = three_stages(8);
    let report = report(&run.state(), RunOutcome::Completed, None, true);
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.outcome_detail, None);
    let names: Vec<_> = report.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["warmup", "low", "high"]);
    let measured: Vec<_> = report.stages.iter().map(|s| s.measured).collect();
    assert_eq!(measured, [false, true, true]);
    assert!(report.stages.iter().all(|s| s.latency_corrected));
    let started: Vec<_> = report.stages.iter().map(|s| s.started_secs).collect();
    assert_eq!(started, [0.0, 1.0, 3.0]);
    // The warm-up stays out of the whole-run figures.
    assert_eq!(report.summary.requests, 200 + 400);
    assert!((report.summary.duration_secs - 4.0).abs() < 1e-9);
    assert!((report.summary.rps - 150.0).abs() < 1e-9);
    assert!((report.stages[2].summary.rps - 200.0).abs() < 1e-9);
    assert_eq!(report.stages[1].summary.errors.len(), 1);
    assert_eq!(report.stages[1].summary.errors[0].count, 8);
    assert!(report.cut_stages.is_empty());
    let planned: Vec<_> = report.plan.stages.iter().map(|s| s.rate).collect();
    assert_eq!(planned, [Some(100.0), Some(100.0), Some(200.0)]);
    assert_eq!(report.plan.model, "open");
}

#[test]
fn the_timeline_names_each_second_s_stage() {
    let run = three_stages(8);
    let report = report(&run.state(), RunOutcome::Completed, None, true);
    let seconds: Vec<_> = report
        .timeline
        .iter()
        .map(|e| (e.second, e.stage.as_str()))
        .collect();
    assert_eq!(
        seconds,
        [
            (1, "warmup"),
            (2, "low"),
            (3, "low"),
            (4, "high"),
            (5, "high")
        ]
    );
}

#[test]
fn thresholds_are_judged_per_stage_then_for_the_run() {
    let run = three_stages(8);
    let report = report(&run.state(), RunOutcome::Completed, None, true);
    let verdicts: Vec<_> = report
        .thresholds
        .iter()
        .map(|t| (t.expr.as_str(), t.stage.as_deref(), t.passed))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("p99 < 100ms", Some("low"), true),
            ("p99 < 1ms", Some("high"), false),
            ("p99 < 50ms", None, true),
        ]
    );
    assert!(report.thresholds_evaluated);
    assert!(!report.passed);
}

#[test]
fn a_run_stopped_early_passes_no_threshold() {
    let mut run = three_stages(2);
    run.event("stage high started");
    let detail = Some("stopped by a signal".to_string());
    let report = report(&run.state(), RunOutcome::Interrupted, detail.clone(), false);
    assert_eq!(report.outcome, RunOutcome::Interrupted);
    assert_eq!(report.outcome_detail, detail);
    assert!(!report.thresholds_evaluated && !report.passed);
    assert!(report.thresholds.iter().all(|t| !t.passed));
    assert_eq!(report.events.len(), 1);
    assert_eq!(report.events[0].at_secs, 3.5);
}
