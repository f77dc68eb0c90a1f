use super::*;
use crate::report::json::encode_histogram;
use crate::stats::ErrorKind;

fn interval(offset: u64) -> Interval {
    let mut interval = Interval::new();
    for v in 1..=500u64 {
        let status = if v % 50 == 0 { 503 } else { 200 };
        interval.record_response(v * 10 + offset, v + offset, status, 64);
    }
    interval.record_error(ErrorKind::Reset);
    interval.record_response(5, 5, 999, 0);
    interval.late_sends = 3;
    interval.dropped_sends = 1;
    interval.connects = 7;
    let phases = interval.phases_mut();
    for v in 1..=100u64 {
        crate::stats::record_us(&mut phases.send_lag, v + offset * 1_000);
        crate::stats::record_us(&mut phases.ttfb, v * 20);
    }
    crate::stats::record_us(&mut phases.connect, 300 + offset);
    interval
}

fn shard(start: &str, offset: u64) -> Report {
    let recorded = interval(offset);
    let summary = Summary::from_interval(&recorded, Duration::from_secs(2));
    let mut report = Report::empty_for_tests();
    report.started_at = start.into();
    report.duration_secs = 2.0;
    report.summary = summary.clone();
    report.stages = vec![StageReport {
        name: "only".into(),
        latency_corrected: true,
        measured: true,
        started_secs: 0.0,
        summary,
        resources: Default::default(),
        histogram: encode_histogram(&recorded.latency).unwrap(),
        service_histogram: encode_histogram(&recorded.service).unwrap(),
        phase_histograms: PhaseHistograms::encode(&recorded).unwrap(),
        requests: Vec::new(),
        diagnosis: None,
    }];
    report.timeline = (1..=2)
        .map(|second| TimelineEntry {
            second,
            stage: "only".into(),
            rps: 10.0 * second as f64,
            target_rps: Some(20.0),
            p99_us: 1_000 * (offset + 1),
            errors: 1,
            bytes: 100,
            cpu_target: (offset == 0).then_some(50.0),
            ..Default::default()
        })
        .collect();
    report.events = vec![EventEntry {
        at_secs: 0.5,
        kind: crate::report::EventKind::Stage,
        message: "started".into(),
    }];
    report
}

#[test]
fn accumulating_a_summary_rebuilds_it_exactly() {
    let mut recorded = interval(0);
    // Phases travel in their own histograms, not through `accumulate`.
    recorded.phases = None;
    let summary = Summary::from_interval(&recorded, Duration::from_secs(2));
    let mut rebuilt = Interval::new();
    accumulate(&mut rebuilt, &summary, &recorded.latency, &recorded.service).unwrap();
    assert_eq!(
        Summary::from_interval(&rebuilt, Duration::from_secs(2)),
        summary
    );
}

#[test]
fn timelines_align_on_wall_clock_seconds() {
    let shards = vec![
        ("a".to_string(), shard("2026-01-01T00:00:00Z", 0)),
        ("b".to_string(), shard("2026-01-01T00:00:01Z", 1)),
    ];
    let merged = merge_reports(&shards).unwrap().report;
    let seconds: Vec<u64> = merged.timeline.iter().map(|e| e.second).collect();
    assert_eq!(seconds, vec![1, 2, 3]);
    // Second 2: a's second 2 (20 rps) + b's second 1 (10 rps).
    let second = &merged.timeline[1];
    assert_eq!(second.rps, 30.0);
    assert_eq!(second.target_rps, Some(40.0));
    assert_eq!((second.errors, second.bytes), (2, 200));
    assert_eq!(second.p99_us, 2_000, "the worst shard's percentile");
    assert_eq!(second.cpu_target, Some(50.0), "the first shard's resources");
    assert_eq!(merged.timeline[2].rps, 20.0);
    assert_eq!(merged.timeline[2].cpu_target, None);
    assert_eq!(merged.duration_secs, 3.0);
    assert_eq!(merged.summary.duration_secs, 2.0);
    assert_eq!(merged.summary.requests, 2 * 501);
    assert_eq!(merged.summary.late_sends, 6);
    assert_eq!(merged.stages[0].summary.errors[0].count, 2);
    // Events keep their shard's name and move to the shared clock.
    assert_eq!(merged.events[0].kind, crate::report::EventKind::Report);
    assert!(merged.events[0].message.contains("merged 2 shards: a, b"));
    assert_eq!(merged.events[2].at_secs, 1.5);
    assert_eq!(merged.events[2].message, "[b] started");
}

#[test]
fn nothing_to_merge_and_other_plans_are_errors() {
    assert!(matches!(merge_reports(&[]), Err(MergeError::Empty)));
    let mut other = shard("2026-01-01T00:00:00Z", 0);
    other.plan.model = "open".into();
    let shards = vec![
        ("a".to_string(), shard("2026-01-01T00:00:00Z", 0)),
        ("b".to_string(), other),
    ];
    let err = merge_reports(&shards).unwrap_err().to_string();
    assert!(err.contains("b ran plan `t` (open model)"), "{err}");
    assert!(err.contains("a ran plan `t` (closed model)"), "{err}");
}

#[test]
fn merged_json_carries_the_shards() {
    let shards = vec![
        ("a".to_string(), shard("2026-01-01T00:00:00Z", 0)),
        ("b".to_string(), shard("2026-01-01T00:00:00Z", 0)),
    ];
    let value = merge_reports(&shards).unwrap().to_json().unwrap();
    assert_eq!(value["shards"][1]["source"], "b");
    assert_eq!(value["shards"][0]["stages"][0]["requests"], 501);
    let back: Report = serde_json::from_value(value).unwrap();
    assert_eq!(back.summary.requests, 1002);
}

#[test]
fn a_shard_stopped_early_contributes_the_stages_it_ran() {
    let mut full = shard("2026-01-01T00:00:00Z", 0);
    let mut second_stage = full.stages[0].clone();
    second_stage.name = "later".into();
    second_stage.started_secs = 2.0;
    full.stages.push(second_stage);
    let early = shard("2026-01-01T00:00:00Z", 0);
    let shards = vec![("early".to_string(), early), ("full".to_string(), full)];
    let merged = merge_reports(&shards).unwrap().report;
    let names: Vec<&str> = merged.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["only", "later"]);
    assert_eq!(merged.stages[0].summary.requests, 2 * 501);
    assert_eq!(merged.stages[1].summary.requests, 501);
    assert_eq!(merged.summary.requests, 3 * 501);

    let mut renamed = shard("2026-01-01T00:00:00Z", 0);
    renamed.stages[0].name = "other".into();
    let shards = vec![
        ("a".to_string(), shards[1].1.clone()),
        ("b".to_string(), renamed),
    ];
    let err = merge_reports(&shards).unwrap_err().to_string();
    assert!(
        err.contains("[other]") && err.contains("[only, later]"),
        "{err}"
    );
}

#[test]
fn phases_merge_exactly_from_the_stage_histograms() {
    let shards = vec![
        ("a".to_string(), shard("2026-01-01T00:00:00Z", 0)),
        ("b".to_string(), shard("2026-01-01T00:00:00Z", 1)),
    ];
    let merged = merge_reports(&shards).unwrap().report;
    let mut both = interval(0);
    both.merge(&interval(1));
    let expected = Summary::from_interval(&both, Duration::from_secs(2));
    let stage = &merged.stages[0].summary;
    assert_eq!(stage.send_lag.count, 200);
    assert_eq!(stage.send_lag, expected.send_lag);
    assert_eq!(stage.connect, expected.connect);
    assert_eq!(stage.ttfb, expected.ttfb);
    assert_eq!(merged.summary.send_lag, expected.send_lag);
    // One shard's lag sits ~1 ms above the other's: the merged p99 shows it.
    assert!(stage.send_lag.p99_us >= 1_000, "{:?}", stage.send_lag);
}
