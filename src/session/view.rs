//! Building the [`Snapshot`] the front ends read, and evaluating thresholds
//! (live for the dashboard, final for the report).

use crate::load::Model;
use crate::report::{EventKind, ThresholdResult};
use crate::server::knobs::Knobs;
use crate::server::stats::ServerStats;
use crate::snapshot::{
    Alerts, ConnectionView, RequestRow, SaturatedParty, SaturationAlert, ServerView, Snapshot,
    StageRow, StageView, ThresholdView, Verdict,
};
use crate::stats::Interval;
use crate::stats::summary::{RequestSummary, Summary};

use super::ledger::{latency_view, phase_views};
use super::saturation::{self, LoadSignals, Party};
use super::{SNAPSHOT_SECONDS, Session};

/// How long a verdict waits for the monitor's first worker figures.
const WORKER_FIGURES_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// The engine's settings as last reported or set.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    pub threads: usize,
    pub connections: usize,
    pub open_connections: u64,
    pub model: Model,
    pub rate: Option<f64>,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            threads: 0,
            connections: 0,
            open_connections: 0,
            model: Model::Closed,
            rate: None,
        }
    }
}

impl LiveSettings {
    pub fn target_rate(&self) -> Option<f64> {
        match self.model {
            Model::Open { .. } => self.rate,
            Model::Closed => None,
        }
    }
}

pub fn server_view(stats: &ServerStats, knobs: &Knobs) -> ServerView {
    ServerView {
        inflight: stats.inflight,
        pool_size: stats.pool.size,
        pool_in_use: stats.pool.in_use,
        pool_waiters: stats.pool.waiters,
        pool_timeouts: stats.pool.timeouts,
        hold_ms: knobs.hold_ms,
        load_shedding: knobs.load_shedding,
        max_inflight: knobs.max_inflight,
        shed: stats.shed,
        rate_limited: stats.rate_limited,
        timeouts: stats.timeouts,
        cpu_workers: stats.cpu_workers,
        cpu_in_use: stats.cpu_inflight,
        cpu_waiting: stats.cpu_waiting,
        db: stats.db.as_ref().map(super::database::db_view),
    }
}

/// One threshold's verdict, with the stage it belongs to (`None`: whole run).
pub struct Verdicts {
    pub results: Vec<ThresholdResult>,
    /// Parallel to `results`: decided (stage finished or run over) or still live.
    pub decided: Vec<bool>,
}

impl Session<'_> {
    pub(super) fn evaluate_thresholds(&self, run_over: bool) -> Verdicts {
        let mut results = Vec::new();
        let mut decided = Vec::new();
        for (index, stage) in self.clock.stages.iter().enumerate() {
            for threshold in &stage.thresholds {
                let Some(record) = self.ledger.stages.get(index) else {
                    results.push(ThresholdResult::not_run(
                        &threshold.expr,
                        &stage.name,
                        threshold.limit,
                    ));
                    decided.push(run_over);
                    continue;
                };
                let summary = record.summary();
                let parts = self.request_summaries(&record.interval, record.active);
                let eval = threshold.evaluate_in(&summary, &parts);
                results.push(ThresholdResult {
                    expr: threshold.expr.clone(),
                    stage: Some(stage.name.clone()),
                    passed: eval.passed,
                    observed: Some(eval.observed),
                    observed_text: eval.observed_text,
                    limit: threshold.limit,
                });
                decided.push(record.finished || run_over);
            }
        }
        if !self.plan.thresholds.is_empty() {
            let (total, active) = self.ledger.measured();
            let summary = Summary::from_interval(total, active);
            let parts = self.request_summaries(total, active);
            for threshold in &self.plan.thresholds {
                let eval = threshold.evaluate_in(&summary, &parts);
                results.push(ThresholdResult {
                    expr: threshold.expr.clone(),
                    stage: None,
                    passed: eval.passed,
                    observed: Some(eval.observed),
                    observed_text: eval.observed_text,
                    limit: threshold.limit,
                });
                decided.push(run_over);
            }
        }
        Verdicts { results, decided }
    }

    /// One summary per request name of the mix (empty for one request).
    pub(super) fn request_summaries(
        &self,
        interval: &Interval,
        active: std::time::Duration,
    ) -> Vec<RequestSummary> {
        RequestSummary::all(interval, &self.request_names, active)
    }

    fn request_rows(&self) -> Vec<RequestRow> {
        let Some(stage) = self.ledger.current_stage() else {
            return Vec::new();
        };
        let attempts = stage.interval.attempts().max(1) as f64;
        let last_second = self.ledger.timeline.last();
        let empty = Interval::new();
        self.request_names
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
                    latency: self
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

    pub(super) fn snapshot(&self, finished: bool) -> Snapshot {
        let plan = self.plan;
        let stage_record = self.ledger.current_stage();
        let stage_phases = stage_record
            .map(|s| phase_views(&s.interval))
            .unwrap_or_default();
        let verdicts = self.evaluate_thresholds(finished);
        let thresholds: Vec<ThresholdView> = verdicts
            .results
            .iter()
            .zip(&verdicts.decided)
            .map(|(r, &decided)| ThresholdView {
                expr: r.expr.clone(),
                stage: r.stage.clone(),
                verdict: match (decided, r.passed) {
                    (true, _) if finished && !self.thresholds_evaluated => Verdict::NotEvaluated,
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
                    || self
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
        let stage_rows = self
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
                } else if finished && !self.thresholds_evaluated {
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
        let timeline_skip = self.ledger.timeline.len().saturating_sub(SNAPSHOT_SECONDS);
        let connects = self.ledger.connects;
        Snapshot {
            // HTTP/1.1 is the default and says nothing; HTTP/2 changes what
            // a connection means (streams), so the header says so.
            target: match self.protocol {
                crate::load::Protocol::Http1 => plan.target.describe(),
                crate::load::Protocol::Http2 => {
                    format!(
                        "{} · HTTP/2, {} streams/conn",
                        plan.target.describe(),
                        plan.transport.h2_streams
                    )
                }
            },
            model: match self.current.model {
                Model::Open { .. } => Model::Open {
                    rate: self.current.rate.unwrap_or(0.0),
                },
                Model::Closed => Model::Closed,
            },
            threads: self.current.threads,
            connections: self.current.connections,
            paused: self.paused,
            elapsed: self.run_elapsed,
            total: if self.planner.is_some() {
                None
            } else {
                self.clock.stages.iter().map(|s| s.duration).sum()
            },
            stage: self.clock.current().map(|s| StageView {
                index: self.clock.index,
                count: self.clock.stages.len(),
                name: s.name.clone(),
                elapsed: self.clock.elapsed,
                duration: s.duration,
                held: self.clock.held,
            }),
            timeline: self.ledger.timeline[timeline_skip..].to_vec(),
            interval: self.ledger.last_second,
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
                open: self.current.open_connections,
                connects,
                reconnects: connects.saturating_sub(self.current.connections as u64),
            },
            server: self.server_view.clone(),
            scraped_pool: super::diagnose::nearest_scraped(&self.scraped_pools).cloned(),
            resources: self
                .latest_sample
                .as_ref()
                .map(super::resource_view::to_view),
            events: self.recent_events(),
            alerts: Alerts {
                saturated: self.saturation.clone(),
                target_exited: match &self.outcome {
                    Some(super::Outcome::TargetExited(reason)) => Some(reason.clone()),
                    _ => None,
                },
                thresholds_failing,
                diagnosis: self.diagnoser.shown().cloned(),
            },
            thresholds,
            stage_rows,
            finished,
            report_path: None,
            totals: self.ledger.totals,
            requests: self.request_rows(),
        }
    }

    /// Pacing units per connection: each HTTP/2 stream keeps its own schedule.
    pub(super) fn streams_per_connection(&self) -> u32 {
        match self.protocol {
            crate::load::Protocol::Http1 => 1,
            crate::load::Protocol::Http2 => {
                u32::try_from(self.plan.transport.h2_streams).unwrap_or(u32::MAX)
            }
        }
    }

    /// Judges the last second and records a new verdict in the events
    /// (once per stage and party), so a headless run's report says it too.
    pub(super) fn judge_saturation(&mut self) {
        self.saturation = self
            .saturation()
            .filter(|alert| self.diagnoser.agrees_with(alert));
        let Some(alert) = &self.saturation else {
            return;
        };
        let stage = self.ledger.stages.len().saturating_sub(1);
        if self.saturation_announced == Some((stage, alert.party)) {
            return;
        }
        self.saturation_announced = Some((stage, alert.party));
        let party = match alert.party {
            SaturatedParty::Generator => "generator",
            SaturatedParty::Target => "target",
        };
        let message = format!("{party} saturated: {}", alert.reason);
        self.event(EventKind::Warning, message);
    }

    /// Whose limit the last second shows, if anyone's (the rule itself is
    /// [`saturation::judge`]).
    fn saturation(&self) -> Option<SaturationAlert> {
        let sample = self.latest_sample.as_ref();
        // Whose limit it is cannot be told before the monitor has measured
        // the worker threads (its second sample), unless it never does.
        if sample.is_none_or(|s| s.worker_busy_max.is_none())
            && self.run_elapsed < WORKER_FIGURES_GRACE
        {
            return None;
        }
        let last = self.ledger.timeline.last();
        let service = self.ledger.last_second_service;
        let sent_rate = last.map_or(0.0, |p| p.rps);
        let signals = LoadSignals {
            worker_cpu: sample.and_then(|s| s.worker_cpu_max),
            worker_busy: sample.and_then(|s| s.worker_busy_max),
            asked_rate: last.and_then(|p| p.target_rps),
            sent_rate,
            attempts: self.ledger.last_second_attempts,
            late_sends: self.ledger.last_second_late,
            send_lag_p50_us: self.send_lag.p50_us(),
            in_flight: sent_rate * service.mean_us / 1e6,
            open_connections: self.current.open_connections,
            streams_per_connection: self.streams_per_connection(),
            service_p50_us: service.p50_us,
            service_baseline_us: self.ledger.service_floor_us,
            // A timeline point's rate is over the time it really covers: no
            // tick quantisation to allow for.
            rate_allowance: saturation::FAR_BELOW,
        };
        let verdict = saturation::judge(&signals)?;
        Some(SaturationAlert {
            party: match verdict.party() {
                Party::Generator => SaturatedParty::Generator,
                Party::Target => SaturatedParty::Target,
            },
            reason: verdict.reason(),
        })
    }
}
