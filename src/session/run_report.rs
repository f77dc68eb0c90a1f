//! The report of a run (`loadtop.report/1`) from what the session measured:
//! the plan as run, the whole-run and per-stage figures, the timeline, the
//! events and the threshold verdicts.

use std::time::Duration;

use crate::profile::ModelKind;
use crate::report::json::{
    PhaseHistograms, PlanKind, PlannedRequest, PlannedStage, RequestReport, SCHEMA,
    TimelineRequest, encode_histogram,
};
use crate::report::{EventEntry, PlanReport, Report, RunOutcome, StageReport};
use crate::stats::Interval;
use crate::stats::summary::{RequestSummary, Summary};

use super::Session;
use super::state::RunState;
use super::thresholds;

/// The report of the run as it stands; `thresholds_evaluated` false fails
/// every threshold (a run that did not finish its plan cannot pass them).
pub fn report(
    run: &RunState<'_>,
    outcome: RunOutcome,
    outcome_detail: Option<String>,
    thresholds_evaluated: bool,
) -> Report {
    let plan = run.plan;
    let (total, active) = run.ledger.measured_total();
    let mut verdicts = thresholds::evaluate(run, true);
    if !thresholds_evaluated {
        verdicts.results.iter_mut().for_each(|r| r.passed = false);
    }
    let stage_name = |index: usize| {
        run.ledger
            .stages
            .get(index)
            .map_or_else(String::new, |s| s.name.clone())
    };
    Report {
        schema: SCHEMA.into(),
        loadtop_version: env!("CARGO_PKG_VERSION").into(),
        started_at: humantime::format_rfc3339_seconds(run.started_wall).to_string(),
        duration_secs: run.wall_elapsed.as_secs_f64(),
        outcome,
        outcome_detail,
        plan: PlanReport {
            name: plan.name.clone(),
            recorded_kind: Some(match plan.kind {
                crate::plan::RunKind::Bench => PlanKind::Bench,
                crate::plan::RunKind::Profile => PlanKind::Profile,
                crate::plan::RunKind::Capacity => PlanKind::Capacity,
            }),
            origin: plan.origin.clone(),
            target_kind: match plan.target {
                crate::plan::TargetPlan::Embedded { .. } => "embedded".into(),
                crate::plan::TargetPlan::Url { .. } => "url".into(),
            },
            target: plan.target.describe(),
            method: plan.method.clone(),
            model: model_name(plan.model).into(),
            latency_corrected: plan.model == ModelKind::Open,
            threads: plan.threads,
            connections: plan.connections,
            timeout_secs: plan.timeout.as_secs_f64(),
            keepalive: plan.keepalive,
            max_requests: plan.max_requests,
            shard: plan.shard.map(|s| format!("{}/{}", s.index, s.count)),
            protocol: Some(run.protocol.as_str().into()),
            tls: Some(run.tls),
            knobs: match &plan.target {
                crate::plan::TargetPlan::Embedded { knobs, .. } => knobs.to_json_object(),
                crate::plan::TargetPlan::Url { .. } => Default::default(),
            },
            stages: run
                .clock
                .stages
                .iter()
                .map(|s| PlannedStage {
                    name: s.name.clone(),
                    model: model_name(ModelKind::of(s.model)).into(),
                    duration_secs: s.duration.map(|d| d.as_secs_f64()),
                    rate: s.model.rate(),
                    connections: s.connections,
                    ramp: s.ramp,
                    measured: s.measured,
                    knobs: s.knobs.to_json_object(),
                })
                .collect(),
            requests: plan
                .requests
                .iter()
                .map(|r| PlannedRequest {
                    name: r.name.clone(),
                    method: r.method.clone(),
                    path: r.path.clone(),
                    weight: r.weight,
                })
                .collect(),
        },
        summary: Summary::from_interval(&total, active),
        requests: request_reports(run.request_names, &total, active),
        stages: run
            .ledger
            .stages
            .iter()
            .enumerate()
            .map(|(index, record)| StageReport {
                name: record.name.clone(),
                measured: record.measured,
                latency_corrected: run
                    .clock
                    .stages
                    .get(index)
                    .is_some_and(|s| s.model.corrected()),
                started_secs: record.started.as_secs_f64(),
                summary: Summary::from_interval(&record.interval, record.active),
                resources: record.resources.clone(),
                // Bounds are fixed, so encoding cannot fail; an empty string
                // would only mean "no histogram", never a wrong one.
                histogram: encode_histogram(&record.interval.latency).unwrap_or_default(),
                service_histogram: encode_histogram(&record.interval.service).unwrap_or_default(),
                phase_histograms: PhaseHistograms::encode(&record.interval).unwrap_or_default(),
                requests: request_reports(run.request_names, &record.interval, record.active),
                diagnosis: record.verdicts.chosen().map(|(d, held, of)| {
                    crate::report::diagnosis::StageDiagnosis::new(d, held, of)
                }),
            })
            .collect(),
        timeline: run
            .ledger
            .timeline
            .iter()
            .map(|p| {
                let requests = run
                    .request_names
                    .iter()
                    .zip(&p.requests)
                    .map(|(name, r)| TimelineRequest {
                        name: name.clone(),
                        rps: r.rps,
                        p50_us: r.p50_us,
                        p99_us: r.p99_us,
                        errors: r.errors,
                    })
                    .collect();
                let mut entry = p.relabel(stage_name(p.stage), requests);
                entry.bottleneck = run.diagnoser.at_second(p.second);
                entry
            })
            .collect(),
        events: run
            .events
            .iter()
            .map(|e| EventEntry {
                at_secs: round_ms(e.at),
                kind: e.kind,
                message: e.message.clone(),
            })
            .collect(),
        passed: thresholds_evaluated && verdicts.results.iter().all(|r| r.passed),
        thresholds: verdicts.results,
        thresholds_evaluated,
        cut_stages: run
            .ledger
            .stages
            .iter()
            .filter(|s| s.cut)
            .map(|s| s.name.clone())
            .collect(),
    }
}

/// Per request name: the summary and both histograms (encoding cannot
/// fail with fixed bounds; an empty string would mean "none", never wrong).
fn request_reports(names: &[String], interval: &Interval, active: Duration) -> Vec<RequestReport> {
    let empty = Interval::new();
    RequestSummary::all(interval, names, active)
        .into_iter()
        .enumerate()
        .map(|(index, part)| {
            let source = interval.requests.get(index).unwrap_or(&empty);
            RequestReport {
                name: part.name,
                summary: part.summary,
                histogram: encode_histogram(&source.latency).unwrap_or_default(),
                service_histogram: encode_histogram(&source.service).unwrap_or_default(),
            }
        })
        .collect()
}

fn model_name(model: ModelKind) -> &'static str {
    match model {
        ModelKind::Open => "open",
        ModelKind::Closed => "closed",
    }
}

fn round_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

impl Session<'_> {
    pub(super) fn build_report(
        &self,
        outcome: RunOutcome,
        outcome_detail: Option<String>,
        thresholds_evaluated: bool,
    ) -> Report {
        report(&self.state(), outcome, outcome_detail, thresholds_evaluated)
    }
}

#[cfg(test)]
#[path = "run_report_tests.rs"]
mod tests;
