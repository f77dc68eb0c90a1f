//! Saved reports turned into files and re-judged: `report`, `merge` and
//! `check` driven through the real binary on reports built in-process from
//! histograms recorded with known values (no engine involved), plus one
//! real `bench` run writing every file format.

mod commands;
mod files;
mod merge;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hdrhistogram::Histogram;
use loadtop::report::json::{PlannedStage, SCHEMA, encode_histogram};
use loadtop::report::{
    EventEntry, PlanReport, Report, StageReport, ThresholdResult, TimelineEntry,
};
use loadtop::report::{EventKind, RunOutcome};
use loadtop::stats::Interval;
use loadtop::stats::summary::Summary;
use serde_json::Value;

use crate::support::loadtop_bin;

/// One stage of a synthetic report: latencies recorded exactly as given.
pub struct StageSpec {
    pub name: &'static str,
    pub measured: bool,
    pub started_secs: f64,
    pub duration_secs: f64,
    pub latencies_us: Vec<u64>,
    /// Responses with status 500 (counted as failures).
    pub failures: u64,
}

pub fn interval_of(spec: &StageSpec) -> Interval {
    let mut interval = Interval::new();
    for &us in &spec.latencies_us {
        interval.record_response(us, us / 2 + 1, 200, 100);
    }
    for _ in 0..spec.failures {
        interval.record_response(1_000, 500, 500, 10);
    }
    interval.connects = 4;
    interval
}

/// A complete report: stages, a per-second timeline, events and the given
/// thresholds (evaluated by the binary later, so the recorded verdicts here
/// are deliberately left "passed").
pub fn build_report(
    plan_name: &str,
    started_at: &str,
    stages: &[StageSpec],
    thresholds: &[(&str, Option<&str>)],
) -> Report {
    let mut measured = Interval::new();
    let mut measured_secs = 0.0;
    let mut stage_reports = Vec::new();
    let mut timeline = Vec::new();
    for spec in stages {
        let interval = interval_of(spec);
        if spec.measured {
            measured.merge(&interval);
            measured_secs += spec.duration_secs;
        }
        let summary =
            Summary::from_interval(&interval, Duration::from_secs_f64(spec.duration_secs));
        let seconds = spec.duration_secs.ceil() as u64;
        for s in 0..seconds {
            timeline.push(TimelineEntry {
                second: spec.started_secs as u64 + s + 1,
                stage: spec.name.into(),
                rps: summary.rps,
                target_rps: Some(100.0),
                p50_us: summary.latency.p50_us,
                p90_us: summary.latency.p90_us,
                p99_us: summary.latency.p99_us,
                max_us: summary.latency.max_us,
                errors: spec.failures / seconds.max(1),
                bytes: 1000,
                cpu_target: Some(40.0 + s as f32),
                cpu_generator: Some(20.0),
                cpu_system: Some(70.0),
                rss_target: Some(8 << 20),
                rss_generator: Some(16 << 20),
                mem_system_used: Some(1 << 30),
                cpu_database: None,
                rss_database: None,
                requests: Vec::new(),
                bottleneck: None,
            });
        }
        stage_reports.push(StageReport {
            name: spec.name.into(),
            latency_corrected: true,
            measured: spec.measured,
            started_secs: spec.started_secs,
            summary,
            resources: Default::default(),
            histogram: encode_histogram(&interval.latency).unwrap(),
            service_histogram: encode_histogram(&interval.service).unwrap(),
            phase_histograms: None,
            requests: Vec::new(),
            diagnosis: None,
        });
    }
    let total_secs = stages
        .iter()
        .map(|s| s.started_secs + s.duration_secs)
        .fold(0.0, f64::max);
    Report {
        schema: SCHEMA.into(),
        loadtop_version: "0.1.0".into(),
        started_at: started_at.into(),
        duration_secs: total_secs,
        outcome: RunOutcome::Completed,
        outcome_detail: None,
        plan: PlanReport {
            name: plan_name.into(),
            // As written before 1.3: the kind follows from the name.
            recorded_kind: None,
            origin: "tests/it/reports".into(),
            target_kind: "url".into(),
            target: "http://127.0.0.1:9/".into(),
            method: "GET".into(),
            model: "open".into(),
            latency_corrected: true,
            threads: 1,
            connections: 8,
            timeout_secs: 5.0,
            keepalive: true,
            max_requests: None,
            shard: None,
            protocol: None,
            tls: None,
            knobs: Default::default(),
            stages: stages
                .iter()
                .map(|s| PlannedStage {
                    name: s.name.into(),
                    model: "open".into(),
                    duration_secs: Some(s.duration_secs),
                    rate: Some(100.0),
                    connections: None,
                    ramp: false,
                    measured: s.measured,
                    knobs: Default::default(),
                })
                .collect(),
            requests: Vec::new(),
        },
        requests: Vec::new(),
        summary: Summary::from_interval(&measured, Duration::from_secs_f64(measured_secs)),
        stages: stage_reports,
        timeline,
        events: vec![EventEntry {
            at_secs: 1.5,
            kind: EventKind::Control,
            message: "rate <changed> & \"quoted\"".into(),
        }],
        thresholds: thresholds
            .iter()
            .map(|(expr, stage)| ThresholdResult {
                expr: (*expr).into(),
                stage: stage.map(str::to_string),
                passed: true,
                observed: Some(0.0),
                observed_text: String::new(),
                limit: 0.0,
            })
            .collect(),
        passed: true,
        thresholds_evaluated: true,
        cut_stages: Vec::new(),
    }
}

/// Three stages with distinct, known latency ranges; warm-up not measured.
pub fn three_stages(seed: u64) -> Vec<StageSpec> {
    let range = |lo: u64, n: u64| {
        (0..n)
            .map(|i| lo + (i * 37 + seed * 11) % (lo * 4))
            .collect()
    };
    vec![
        StageSpec {
            name: "warm up",
            measured: false,
            started_secs: 0.0,
            duration_secs: 2.0,
            latencies_us: range(300, 200),
            failures: 0,
        },
        StageSpec {
            name: "steady",
            measured: true,
            started_secs: 2.0,
            duration_secs: 3.0,
            latencies_us: range(1_000, 900 + seed * 10),
            failures: seed,
        },
        StageSpec {
            name: "spike",
            measured: true,
            started_secs: 5.0,
            duration_secs: 2.0,
            latencies_us: range(40_000, 500),
            failures: 2,
        },
    ]
}

pub fn save(dir: &Path, file: &str, report: &Report) -> PathBuf {
    let path = dir.join(file);
    loadtop::report::write_json(report, &path).unwrap();
    path
}

pub fn loadtop(args: &[&str]) -> Output {
    Command::new(loadtop_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

pub fn assert_schema_valid(report: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match the schema: {errors:#?}"
    );
}

/// One histogram holding every latency of the given stages, as a single
/// generator recording all of them would have built it.
pub fn one_histogram<'a>(stages: impl IntoIterator<Item = &'a StageSpec>) -> Histogram<u64> {
    let mut all = Interval::new();
    for spec in stages {
        all.merge(&interval_of(spec));
    }
    all.latency
}
