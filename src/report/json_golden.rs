//! `loadtop.report/1` byte for byte: a report built from known values must
//! encode to the checked-in `testdata/report-v1.json`, and that file must
//! read back and encode to the same bytes. A field renamed in `stats` or
//! `monitor`, a changed order, skip rule or number format fails here.

use std::time::Duration;

use super::*;
use crate::monitor::ResourceStats;
use crate::stats::{ErrorKind, Interval};

const GOLDEN: &str = include_str!("testdata/report-v1.json");

fn known_interval() -> Interval {
    let mut interval = Interval::new();
    for v in 1..=200u64 {
        let status = if v % 25 == 0 { 503 } else { 200 };
        interval.record_response(v * 37, v * 11, status, 120 + v % 3);
    }
    interval.record_error(ErrorKind::ConnectRefused);
    interval.record_error(ErrorKind::RequestTimeout);
    interval.late_sends = 3;
    interval.dropped_sends = 1;
    interval.connects = 4;
    let phases = interval.phases_mut();
    for v in [5u64, 9, 40, 700] {
        phases.send_lag.record(v).unwrap();
        phases.connect.record(v * 10).unwrap();
        phases.ttfb.record(v * 3).unwrap();
    }
    interval
}

fn known_part(scale: u64) -> Interval {
    let mut part = Interval::part();
    for v in 1..=20u64 {
        part.record_response(v * scale, v * scale / 2, 200, 64);
    }
    part.record_error(ErrorKind::Reset);
    part
}

fn known_resources() -> ResourceStats {
    ResourceStats {
        samples: 10,
        generator_cpu_mean: 12.345_679,
        generator_cpu_max: 33.3,
        generator_rss_peak: 10_485_760,
        worker_cpu_max: Some(18.75),
        worker_busy_max: Some(40.0),
        target_samples: 9,
        target_cpu_mean: Some(97.123_46),
        target_cpu_max: Some(100.0),
        target_rss_peak: Some(52_428_800),
        target_threads_peak: Some(6),
        target_sockets_peak: None,
        target_exited: None,
        system_cpu_mean: 140.1,
        system_cpu_max: 199.9,
        mem_used_peak: 2_000_000_000,
        mem_total: 8_000_000_000,
        // A run without a database: its report must not change.
        database_cpu_mean: None,
        database_cpu_max: None,
        database_rss_peak: None,
        database_io_wait_pct: None,
        database_samples: 0,
        database_io_samples: 0,
        signals: Default::default(),
    }
}

fn request_report(name: &str, part: &Interval) -> RequestReport {
    RequestReport {
        name: name.into(),
        summary: Summary::from_interval(part, Duration::from_secs(2)),
        histogram: encode_histogram(&part.latency).unwrap(),
        service_histogram: encode_histogram(&part.service).unwrap(),
    }
}

fn known_report() -> Report {
    let interval = known_interval();
    let parts = [known_part(100), known_part(3_000)];
    let requests = vec![
        request_report("GET /a", &parts[0]),
        request_report("POST /b", &parts[1]),
    ];
    let mut report = Report::empty_for_tests();
    report.started_at = "2026-11-30T12:00:00Z".into();
    report.duration_secs = 3.25;
    report.outcome = RunOutcome::Interrupted;
    report.outcome_detail = Some("SIGINT".into());
    report.plan.name = "golden".into();
    report.plan.model = "open".into();
    report.plan.latency_corrected = true;
    report.plan.protocol = Some("HTTP/1.1".into());
    report.plan.tls = Some(false);
    report.plan.max_requests = Some(5_000);
    report.plan.knobs.insert("pool_size".into(), 8.into());
    report.plan.stages = vec![
        PlannedStage {
            name: "warmup".into(),
            model: "open".into(),
            duration_secs: Some(1.0),
            rate: Some(100.0),
            connections: None,
            ramp: true,
            measured: false,
            knobs: Default::default(),
        },
        PlannedStage {
            name: "steady".into(),
            model: "closed".into(),
            duration_secs: None,
            rate: None,
            connections: Some(4),
            ramp: false,
            measured: true,
            knobs: serde_json::json!({"hold_ms": 5})
                .as_object()
                .unwrap()
                .clone(),
        },
    ];
    report.plan.requests = vec![PlannedRequest {
        name: "GET /a".into(),
        method: "GET".into(),
        path: "/a".into(),
        weight: 3,
    }];
    report.summary = Summary::from_interval(&interval, Duration::from_millis(2_250));
    let mut without_phases = known_part(7);
    without_phases.late_sends = 2;
    report.stages = vec![
        StageReport {
            name: "warmup".into(),
            measured: false,
            latency_corrected: true,
            started_secs: 0.0,
            summary: Summary::from_interval(&without_phases, Duration::from_secs(1)),
            resources: ResourceStats::default(),
            histogram: encode_histogram(&without_phases.latency).unwrap(),
            service_histogram: encode_histogram(&without_phases.service).unwrap(),
            phase_histograms: PhaseHistograms::encode(&without_phases).unwrap(),
            requests: Vec::new(),
            diagnosis: None,
        },
        StageReport {
            name: "steady".into(),
            measured: true,
            latency_corrected: false,
            started_secs: 1.000_25,
            summary: Summary::from_interval(&interval, Duration::from_millis(2_250)),
            resources: known_resources(),
            histogram: encode_histogram(&interval.latency).unwrap(),
            service_histogram: encode_histogram(&interval.service).unwrap(),
            phase_histograms: PhaseHistograms::encode(&interval).unwrap(),
            requests: requests.clone(),
            diagnosis: None,
        },
    ];
    report.timeline = vec![
        TimelineEntry {
            second: 1,
            stage: "warmup".into(),
            rps: 99.5,
            target_rps: Some(100.0),
            p50_us: 410,
            p90_us: 900,
            p99_us: 1_203,
            max_us: 5_001,
            errors: 0,
            bytes: 12_000,
            ..TimelineEntry::default()
        },
        TimelineEntry {
            second: 2,
            stage: "steady".into(),
            rps: 1_000.0 / 3.0,
            target_rps: None,
            p50_us: 3_700,
            p90_us: 6_660,
            p99_us: 7_330,
            max_us: 7_400,
            errors: 9,
            bytes: 24_200,
            cpu_target: Some(97.5),
            cpu_generator: Some(12.1),
            cpu_system: Some(140.25),
            rss_target: Some(52_428_800),
            rss_generator: Some(10_485_760),
            mem_system_used: Some(2_000_000_000),
            cpu_database: None,
            rss_database: None,
            bottleneck: None,
            requests: vec![
                TimelineRequest {
                    name: "GET /a".into(),
                    rps: 10.0,
                    p50_us: 1_000,
                    p99_us: 2_000,
                    errors: 1,
                },
                TimelineRequest {
                    name: "POST /b".into(),
                    rps: 0.1,
                    p50_us: 30_000,
                    p99_us: 60_000,
                    errors: 0,
                },
            ],
        },
    ];
    report.events = vec![
        EventEntry {
            at_secs: 0.0,
            kind: EventKind::Stage,
            message: "stage warmup".into(),
        },
        EventEntry {
            at_secs: 2.5,
            kind: EventKind::Knobs,
            message: "{\"hold_ms\":5}".into(),
        },
    ];
    report.thresholds = vec![
        ThresholdResult {
            expr: "p99 < 10ms".into(),
            stage: None,
            passed: true,
            observed: Some(7_330.0),
            observed_text: "7.33ms".into(),
            limit: 10_000.0,
        },
        ThresholdResult::not_run("error_rate < 1%", "spike", 0.01),
    ];
    report.passed = false;
    report.thresholds_evaluated = false;
    report.cut_stages = vec!["steady".into()];
    report.requests = requests;
    report
}

fn encode(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap();
    text.push('\n');
    text
}

#[test]
fn a_report_of_known_values_encodes_to_the_checked_in_bytes() {
    let text = encode(&known_report());
    if std::env::var_os("LOADTOP_BLESS").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/report/testdata/report-v1.json"
        );
        std::fs::write(path, &text).unwrap();
    }
    assert!(
        text == GOLDEN,
        "the report's bytes changed; first difference at line {}",
        text.lines()
            .zip(GOLDEN.lines())
            .position(|(a, b)| a != b)
            .map_or(text.lines().count().min(GOLDEN.lines().count()) + 1, |i| i
                + 1)
    );
}

#[test]
fn the_checked_in_report_reads_back_to_the_same_bytes() {
    let report: Report = serde_json::from_str(GOLDEN).unwrap();
    assert_eq!(encode(&report), GOLDEN);
    let known = known_report();
    assert_eq!(report.summary, known.summary);
    assert_eq!(report.stages[1].summary, known.stages[1].summary);
    // The busy share judges the live run only; the report leaves it out.
    assert_eq!(report.stages[1].resources.worker_busy_max, None);
    assert_eq!(
        report.stages[1].resources.generator_cpu_mean,
        known.stages[1].resources.generator_cpu_mean
    );
}
