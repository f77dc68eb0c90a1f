//! The snapshot from a hand-built run state: clocks, totals, per-stage
//! figures and verdicts, with no target and no engine.

use std::time::Duration;

use super::*;
use crate::session::Outcome;
use crate::session::state_fixture::three_stages;

/// Within HDR's 3-digit precision of `expected`.
fn near(value: u64, expected: u64) -> bool {
    value.abs_diff(expected) * 100 <= expected
}

#[test]
fn the_stage_clock_and_the_run_clock_come_from_the_state() {
    let run = three_stages(2);
    let snapshot = snapshot(&run.state(), false);
    assert_eq!(snapshot.elapsed, Duration::from_millis(3_500));
    assert_eq!(snapshot.total, Some(Duration::from_secs(5)));
    let stage = snapshot.stage.expect("a stage is running");
    assert_eq!((stage.index, stage.count), (2, 3));
    assert_eq!(stage.name, "high");
    assert_eq!(stage.elapsed, Duration::from_millis(500));
    assert_eq!(stage.duration, Some(Duration::from_secs(2)));
    assert_eq!(snapshot.model, Model::Open { rate: 200.0 });
    assert!(!snapshot.finished);
}

#[test]
fn totals_count_every_stage_and_the_timeline_every_closed_second() {
    let run = three_stages(2);
    let snapshot = snapshot(&run.state(), false);
    assert_eq!(snapshot.totals.responses, 100 + 200 + 100);
    assert_eq!(snapshot.totals.failed, 8);
    assert_eq!(snapshot.totals.bytes, 400 * 100);
    let stages: Vec<_> = snapshot.timeline.iter().map(|p| p.stage).collect();
    assert_eq!(stages, [0, 1, 1]);
    assert!(
        snapshot
            .timeline
            .iter()
            .all(|p| (p.rps - 100.0).abs() < 1e-9)
    );
    // The running stage's own figures: half a second of `high` at 20 ms.
    assert_eq!(snapshot.stage_latency.count, 100);
    assert!(near(snapshot.stage_latency.p50_us, 20_000));
    assert!(snapshot.errors.is_empty());
}

#[test]
fn stage_rows_hold_each_stage_s_figures_and_verdict() {
    let run = three_stages(2);
    let snapshot = snapshot(&run.state(), false);
    let names: Vec<_> = snapshot
        .stage_rows
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["warmup", "low", "high"]);
    let [warmup, low, high] = &snapshot.stage_rows[..] else {
        panic!("three rows")
    };
    assert!((warmup.rps - 100.0).abs() < 1e-9);
    assert!(near(warmup.p50_us, 2_000));
    assert!((low.rps - 100.0).abs() < 1e-9);
    assert_eq!(low.errors, 8);
    assert!((low.error_rate - 8.0 / 208.0).abs() < 1e-9);
    assert!(near(low.p99_us, 5_000));
    assert!((high.rps - 200.0).abs() < 1e-9);
    assert!(warmup.finished && low.finished && !high.finished);
    // No thresholds on the warm-up; `low` passed its own; `high` still runs.
    assert_eq!(
        [warmup.verdict, low.verdict, high.verdict],
        [Verdict::Pending, Verdict::Pass, Verdict::Pending]
    );
}

#[test]
fn a_running_stage_s_failing_threshold_shows_before_its_verdict() {
    let run = three_stages(2);
    let snapshot = snapshot(&run.state(), false);
    let verdicts: Vec<_> = snapshot.thresholds.iter().map(|t| t.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::Pass, Verdict::Pending, Verdict::Pending]
    );
    assert_eq!(snapshot.alerts.thresholds_failing.len(), 1);
    assert!(snapshot.alerts.thresholds_failing[0].starts_with("p99 < 1ms (high: "));
}

#[test]
fn a_run_stopped_early_reads_not_evaluated_in_its_final_snapshot() {
    let mut run = three_stages(2);
    run.thresholds_evaluated = false;
    let snapshot = snapshot(&run.state(), true);
    assert!(snapshot.finished);
    assert!(snapshot.stage_rows.iter().all(|r| r.finished));
    let verdicts: Vec<_> = snapshot.thresholds.iter().map(|t| t.verdict).collect();
    assert_eq!(verdicts, [Verdict::NotEvaluated; 3]);
}

#[test]
fn the_snapshot_keeps_only_the_latest_events() {
    let mut run = three_stages(0);
    for n in 0..SNAPSHOT_EVENTS + 10 {
        run.event(&format!("event {n}"));
    }
    let snapshot = snapshot(&run.state(), false);
    assert_eq!(snapshot.events.len(), SNAPSHOT_EVENTS);
    assert_eq!(snapshot.events[0].text, "event 10");
    let last = format!("event {}", SNAPSHOT_EVENTS + 9);
    assert_eq!(
        snapshot.events.last().map(|e| e.text.as_str()),
        Some(last.as_str())
    );
}

#[test]
fn a_target_that_exited_is_an_alert() {
    let mut run = three_stages(1);
    run.outcome = Some(Outcome::TargetExited("exit status: 1".into()));
    let snapshot = snapshot(&run.state(), false);
    assert_eq!(
        snapshot.alerts.target_exited.as_deref(),
        Some("exit status: 1")
    );
}
