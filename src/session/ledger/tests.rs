//! Seconds, stages, the running total and frozen summaries.

use super::*;

fn tick_with(responses: u64) -> Interval {
    let mut interval = Interval::new();
    for _ in 0..responses {
        interval.record_response(1000, 900, 200, 10);
    }
    interval
}

#[test]
fn four_ticks_make_one_point_and_stages_split_counts() {
    let mut ledger = Ledger::new();
    let half = Duration::from_millis(125);
    ledger.start_stage("a", true, Duration::ZERO);
    for i in 1..=4u64 {
        ledger.add_tick(
            &tick_with(25),
            Duration::from_millis(250 * i),
            half,
            Some(100.0),
            None,
        );
    }
    assert_eq!(ledger.timeline.len(), 1);
    assert_eq!(ledger.timeline[0].rps, 100.0);
    assert_eq!(ledger.timeline[0].second, 1);
    ledger.start_stage("b", false, Duration::from_secs(1));
    for i in 5..=6u64 {
        ledger.add_tick(
            &tick_with(10),
            Duration::from_millis(250 * i),
            half,
            None,
            None,
        );
    }
    assert_eq!(ledger.timeline.len(), 1);
    assert!(ledger.pending_second_has_data());
    ledger.close_second(Duration::from_millis(1500), None, None);
    assert_eq!(ledger.timeline[1].rps, 40.0);
    assert_eq!(ledger.timeline[1].stage, 1);
    assert!(ledger.stages[0].finished);
    assert_eq!(ledger.stages[0].interval.responses, 100);
    assert_eq!(ledger.stages[1].interval.responses, 20);
    // Only measured stages count towards the run.
    assert_eq!(ledger.measured_total().0.responses, 100);
}

#[test]
fn running_total_and_frozen_summaries_equal_figures_computed_afresh() {
    let mut ledger = Ledger::new();
    let half = Duration::from_millis(125);
    let stages = [("warm", false), ("a", true), ("b", true)];
    for (index, (name, measured)) in stages.into_iter().enumerate() {
        let start = Duration::from_secs(index as u64);
        ledger.start_stage(name, measured, start);
        for i in 1..=4u64 {
            let mut tick = Interval::with_requests(2);
            for r in 0..(10 * i + index as u64) {
                tick.record_response_for((r % 2) as usize, 100 * r + 1, 90 * r + 1, 200, 5);
            }
            ledger.add_tick(
                &tick,
                start + Duration::from_millis(250 * i),
                half,
                None,
                None,
            );
        }
        ledger.current_stage_mut().expect("started").active = Duration::from_secs(1);
    }
    let mut afresh = Interval::new();
    for stage in ledger.stages.iter().filter(|s| s.measured) {
        afresh.merge(&stage.interval);
    }
    let (total, active) = ledger.measured();
    assert_eq!(active, Duration::from_secs(2));
    assert_eq!(
        Summary::from_interval(total, active),
        Summary::from_interval(&afresh, active)
    );
    assert_eq!(total.requests[1].responses, afresh.requests[1].responses);
    let first = &ledger.stages[1];
    assert!(first.frozen.is_some());
    assert_eq!(
        first.summary(),
        Summary::from_interval(&first.interval, first.active)
    );
    // A revised active time is never answered from the frozen figures.
    ledger.stages[1].active = Duration::from_millis(500);
    let first = &ledger.stages[1];
    assert_eq!(first.summary().rps, first.interval.responses as f64 / 0.5);
}

#[test]
fn ticks_arriving_in_a_bunch_are_spread_over_the_time_they_cover() {
    let mut ledger = Ledger::new();
    ledger.start_stage("a", true, Duration::ZERO);
    let half = Duration::from_millis(125);
    ledger.add_tick(
        &tick_with(100),
        Duration::from_millis(1000),
        half,
        None,
        None,
    );
    // Three seconds of responses in one late tick: 100 req/s, not 300.
    ledger.add_tick(
        &tick_with(300),
        Duration::from_millis(4000),
        half,
        None,
        None,
    );
    assert_eq!(ledger.timeline.len(), 2);
    assert_eq!(ledger.timeline[1].rps, 100.0);
    assert_eq!(ledger.timeline[1].second, 4);
    ledger.add_tick(
        &tick_with(100),
        Duration::from_millis(5000),
        half,
        None,
        None,
    );
    assert_eq!(ledger.timeline[2].second, 5);
}

#[test]
fn jitter_just_before_a_second_edge_still_closes_it() {
    let mut ledger = Ledger::new();
    ledger.start_stage("a", true, Duration::ZERO);
    let half = Duration::from_millis(125);
    ledger.add_tick(&tick_with(1), Duration::from_millis(998), half, None, None);
    assert_eq!(ledger.timeline.len(), 1);
    ledger.add_tick(&tick_with(1), Duration::from_millis(1240), half, None, None);
    assert_eq!(ledger.timeline.len(), 1);
}
