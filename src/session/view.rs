//! Building the [`Snapshot`] the front ends read.

use crate::load::Model;
use crate::snapshot::{
    Alerts, ConnectionView, EventView, RequestRow, Snapshot, StageRow, StageView, ThresholdView,
    Verdict,
};
use crate::stats::Interval;

use super::ledger::{latency_view, phase_views};
use super::report_event::Event as RunEvent;
use super::state::RunState;
use super::thresholds;
use super::{SNAPSHOT_EVENTS, SNAPSHOT_SECONDS, Session};

fn request_rows(run: &RunState<'_>) -> Vec<RequestRow> {
    let Some(stage) = run.ledger.current_stage() else {
        return Vec::new();
    };
    let attempts = stage.interval.attempts().max(1) as f64;
    let last_second = run.ledger.timeline.last();
    let empty = Interval::new();
    run.request_names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let part = stage.interval.requests.get(index).unwrap_or(&empty);
            RequestRow {
                name: name.clone(),
                share: part.attempts() as f64 / attempts,
                rps: last_second
                    .and_then(|p| p.requests.get(index))
                    .map_or(0.0, |r| r.rps),
                latency: run
                    .ledger
                    .stage_request_views
                    .get(index)
                    .copied()
                    .unwrap_or_default(),
                failed: part.failed(),
            }
        })
        .collect()
}

/// The snapshot of a run as it stands (`finished`: the final one).
pub fn snapshot(run: &RunState<'_>, finished: bool) -> Snapshot {
    let plan = run.plan;
    let stage_record = run.ledger.current_stage();
    let stage_phases = stage_record
        .map(|s| phase_views(&s.interval))
        .unwrap_or_default();
    let verdicts = thresholds::evaluate(run, finished);
    let thresholds: Vec<ThresholdView> = verdicts
        .results
        .iter()
        .zip(&verdicts.decided)
        .map(|(r, &decided)| ThresholdView {
            expr: r.expr.clone(),
            stage: r.stage.clone(),
            verdict: match (decided, r.passed) {
                (true, _) if finished && !run.thresholds_evaluated => Verdict::NotEvaluated,
                (false, _) => Verdict::Pending,
                (true, true) => Verdict::Pass,
                (true, false) => Verdict::Fail,
            },
            observed: r.observed_text.clone(),
        })
        .collect();
    // Live: a stage threshold counts as failing only for the running or a finished stage.
    let thresholds_failing = verdicts
        .results
        .iter()
        .filter(|r| !r.passed && r.observed.is_some())
        .filter(|r| {
            r.stage.is_none()
                || run
                    .ledger
                    .stages
                    .iter()
                    .any(|s| Some(&s.name) == r.stage.as_ref())
        })
        .map(|r| match &r.stage {
            Some(stage) => format!("{} ({stage}: {})", r.expr, r.observed_text),
            None => format!("{} (run: {})", r.expr, r.observed_text),
        })
        .collect();
    let stage_rows = run
        .ledger
        .stages
        .iter()
        .map(|record| {
            let summary = record.summary();
            let own: Vec<_> = verdicts
                .results
                .iter()
                .zip(&verdicts.decided)
                .filter(|(r, _)| r.stage.as_deref() == Some(record.name.as_str()))
                .collect();
            let verdict = if own.is_empty() || own.iter().any(|(_, d)| !**d) {
                Verdict::Pending
            } else if finished && !run.thresholds_evaluated {
                Verdict::NotEvaluated
            } else if own.iter().all(|(r, _)| r.passed) {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            StageRow {
                name: record.name.clone(),
                rps: summary.rps,
                p50_us: summary.latency.p50_us,
                p99_us: summary.latency.p99_us,
                p999_us: summary.latency.p999_us,
                errors: record.interval.failed(),
                error_rate: summary.error_rate,
                cpu_target_mean: record.resources.target_cpu_mean,
                rss_target_peak: record.resources.target_rss_peak,
                verdict,
                finished: record.finished || finished,
                cut: record.cut,
                bottleneck: record.verdicts.bottleneck(),
            }
        })
        .collect();
    let timeline_skip = run.ledger.timeline.len().saturating_sub(SNAPSHOT_SECONDS);
    let connects = run.ledger.connects;
    Snapshot {
        // HTTP/1.1 is the default and says nothing; HTTP/2 changes what
        // a connection means (streams), so the header says so.
        target: match run.protocol {
            crate::load::Protocol::Http1 => plan.target.describe(),
            crate::load::Protocol::Http2 => {
                format!(
                    "{} · HTTP/2, {} streams/conn",
                    plan.target.describe(),
                    plan.transport.h2_streams
                )
            }
        },
        model: match run.current.model {
            Model::Open { .. } => Model::Open {
                rate: run.current.rate.unwrap_or(0.0),
            },
            Model::Closed => Model::Closed,
        },
        threads: run.current.threads,
        connections: run.current.connections,
        paused: run.paused,
        elapsed: run.run_elapsed,
        total: if run.open_ended {
            None
        } else {
            run.clock.stages.iter().map(|s| s.duration).sum()
        },
        stage: run.clock.current().map(|s| StageView {
            index: run.clock.index,
            count: run.clock.stages.len(),
            name: s.name.clone(),
            elapsed: run.clock.elapsed,
            duration: s.duration,
            held: run.clock.held,
        }),
        timeline: run.ledger.timeline[timeline_skip..].to_vec(),
        interval: run.ledger.last_second,
        stage_latency: stage_record
            .map(|s| latency_view(&s.interval))
            .unwrap_or_default(),
        stage_send_lag: stage_phases[0],
        stage_connect: stage_phases[1],
        stage_ttfb: stage_phases[2],
        status_codes: stage_record
            .map(|s| s.interval.status_counts())
            .unwrap_or_default(),
        errors: stage_record
            .map(|s| {
                crate::stats::ErrorKind::ALL
                    .iter()
                    .filter(|k| s.interval.errors[k.index()] > 0)
                    .map(|&k| (k, s.interval.errors[k.index()]))
                    .collect()
            })
            .unwrap_or_default(),
        connection_stats: ConnectionView {
            open: run.current.open_connections,
            connects,
            reconnects: connects.saturating_sub(run.current.connections as u64),
        },
        server: run.server_view.cloned(),
        scraped_pool: run.scraped_pool.cloned(),
        resources: run.latest_sample.map(super::resource_view::to_view),
        events: recent_events(run.events),
        alerts: Alerts {
            saturated: run.saturation.cloned(),
            target_exited: match run.outcome {
                Some(super::Outcome::TargetExited(reason)) => Some(reason.clone()),
                _ => None,
            },
            thresholds_failing,
            diagnosis: run.diagnoser.shown().cloned(),
        },
        thresholds,
        stage_rows,
        finished,
        report_path: None,
        totals: run.ledger.totals,
        requests: request_rows(run),
    }
}

/// The latest events, oldest first.
fn recent_events(events: &[RunEvent]) -> Vec<EventView> {
    let skip = events.len().saturating_sub(SNAPSHOT_EVENTS);
    events[skip..]
        .iter()
        .map(|e| EventView {
            at: e.at,
            text: e.message.clone(),
        })
        .collect()
}

impl Session<'_> {
    pub(super) fn snapshot(&self, finished: bool) -> Snapshot {
        snapshot(&self.state(), finished)
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
