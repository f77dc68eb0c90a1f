//! What a session has measured: engine ticks folded into per-second
//! timeline points and per-stage intervals, with the resource samples that
//! belong to each. Memory grows by one small point per second, never per
//! request, and the work per tick does not grow with the run's history: a
//! finished stage's summary is computed once, when it ends, and the measured
//! stages' total is kept merged as ticks arrive rather than re-merged from
//! every stage each time it is read.

use std::time::Duration;

use crate::monitor::{ResourceSample, ResourceStats};
use crate::snapshot::{LatencyView, RequestPoint, TimelinePoint};
use crate::stats::Interval;
use crate::stats::summary::Summary;

pub struct StageRecord {
    pub name: String,
    pub measured: bool,
    /// Run time at which the stage started.
    pub started: Duration,
    /// Time the stage ran (pauses excluded).
    pub active: Duration,
    pub interval: Interval,
    pub resources: ResourceStats,
    /// The bottleneck verdict of each of its seconds, folded.
    pub verdicts: super::verdicts::StageVerdicts,
    pub finished: bool,
    /// Ended before its planned length: skipped, or the run stopped.
    pub cut: bool,
    /// The summary as the stage ended, with the active time it was computed
    /// for (a later revision of `active` makes it stale).
    frozen: Option<(Duration, Summary)>,
}

impl StageRecord {
    /// The stage's figures: the frozen ones once it has ended, else computed.
    pub fn summary(&self) -> Summary {
        match &self.frozen {
            Some((active, summary)) if *active == self.active => summary.clone(),
            _ => Summary::from_interval(&self.interval, self.active),
        }
    }

    fn freeze(&mut self) {
        self.frozen = Some((
            self.active,
            Summary::from_interval(&self.interval, self.active),
        ));
    }
}

#[derive(Default)]
pub struct Ledger {
    pub stages: Vec<StageRecord>,
    pub timeline: Vec<TimelinePoint>,
    /// The last complete second.
    pub last_second: LatencyView,
    /// Open-model sends that left late during the last complete second.
    pub last_second_late: u64,
    /// Completed attempts (responses and errors) of the last complete second.
    pub last_second_attempts: u64,
    /// Service time (from the actual send) of the last complete second.
    pub last_second_service: ServiceView,
    /// The lowest per-second service p50 so far: the target as fast as it
    /// gets, the baseline the saturation rule compares against.
    pub service_floor_us: Option<u64>,
    /// Per name of a mix: the current stage's latency as of the last
    /// complete second. Summarizing 64 histograms is the costliest part of
    /// a snapshot, so it is done once a second, not on every tick.
    pub stage_request_views: Vec<LatencyView>,
    second: Interval,
    /// Every measured stage's ticks merged as they arrive.
    measured: Interval,
    next_boundary: u64,
    /// Engine time at which the last point was closed: each point's rate is
    /// computed over the time it really covers, so ticks that arrive in a
    /// bunch (a lagging reader) never show as a spike.
    last_close: Duration,
    pub open_connections: u64,
    pub connects: u64,
    pub totals: crate::snapshot::Totals,
}

/// A second's service time, for the saturation rule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServiceView {
    pub p50_us: u64,
    pub mean_us: f64,
}

/// Seconds with fewer responses than this give no service baseline: one
/// stray fast answer is not the target's idle speed.
const BASELINE_MIN_RESPONSES: u64 = 5;

pub fn latency_view(interval: &Interval) -> LatencyView {
    histogram_view(&interval.latency)
}

/// Send lag, connect and time-to-first-byte views of an interval.
pub fn phase_views(interval: &Interval) -> [LatencyView; 3] {
    interval
        .phases
        .as_deref()
        .map_or_else(Default::default, |phases| {
            [
                histogram_view(&phases.send_lag),
                histogram_view(&phases.connect),
                histogram_view(&phases.ttfb),
            ]
        })
}

pub fn histogram_view(hist: &hdrhistogram::Histogram<u64>) -> LatencyView {
    if hist.is_empty() {
        return LatencyView::default();
    }
    LatencyView {
        count: hist.len(),
        mean_us: hist.mean(),
        p50_us: hist.value_at_quantile(0.5),
        p90_us: hist.value_at_quantile(0.9),
        p99_us: hist.value_at_quantile(0.99),
        p999_us: hist.value_at_quantile(0.999),
        max_us: hist.highest_equivalent(hist.max()),
    }
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger {
            next_boundary: 1,
            ..Ledger::default()
        }
    }

    pub fn start_stage(&mut self, name: &str, measured: bool, at: Duration) {
        if let Some(last) = self.stages.last_mut() {
            last.finished = true;
            last.freeze();
        }
        self.stages.push(StageRecord {
            name: name.to_string(),
            measured,
            started: at,
            active: Duration::ZERO,
            interval: Interval::new(),
            resources: ResourceStats::default(),
            verdicts: Default::default(),
            finished: false,
            cut: false,
            frozen: None,
        });
        // A new stage shows no per-name latency until its first second.
        self.stage_request_views.clear();
    }

    pub fn current_stage(&self) -> Option<&StageRecord> {
        self.stages.last()
    }

    pub fn current_stage_mut(&mut self) -> Option<&mut StageRecord> {
        self.stages.last_mut()
    }

    /// Folds one engine tick in. `elapsed` is the engine's clock at the end
    /// of the tick; `half_tick` absorbs scheduling jitter at second edges.
    pub fn add_tick(
        &mut self,
        interval: &Interval,
        elapsed: Duration,
        half_tick: Duration,
        target_rps: Option<f64>,
        resources: Option<&ResourceSample>,
    ) {
        if let Some(stage) = self.stages.last_mut() {
            stage.interval.merge(interval);
            if stage.measured {
                self.measured.merge(interval);
            }
        }
        self.connects += interval.connects;
        self.totals.responses += interval.responses;
        self.totals.failed += interval.failed();
        self.totals.bytes += interval.bytes_read;
        self.second.merge(interval);
        if (elapsed + half_tick).as_secs() >= self.next_boundary {
            self.close_second(elapsed, target_rps, resources);
        }
    }

    /// Closes the second being accumulated at engine time `at` (the last,
    /// partial second of a run covers less than a second).
    pub fn close_second(
        &mut self,
        at: Duration,
        target_rps: Option<f64>,
        resources: Option<&ResourceSample>,
    ) {
        let second_index = (at + Duration::from_millis(500))
            .as_secs()
            .max(self.next_boundary);
        let second = &self.second;
        let view = latency_view(second);
        let span = at.saturating_sub(self.last_close).as_secs_f64().max(0.05);
        self.timeline.push(TimelinePoint {
            second: second_index,
            stage: self.stages.len().saturating_sub(1),
            rps: second.responses as f64 / span,
            target_rps,
            p50_us: view.p50_us,
            p90_us: view.p90_us,
            p99_us: view.p99_us,
            max_us: view.max_us,
            errors: second.failed(),
            bytes: second.bytes_read,
            cpu_target: resources
                .and_then(|r| r.target.as_ref())
                .map(|t| t.cpu_percent),
            cpu_generator: resources.map(|r| r.generator.cpu_percent),
            cpu_system: resources.map(|r| r.system.cpu_percent),
            rss_target: resources
                .and_then(|r| r.target.as_ref())
                .map(|t| t.rss_bytes),
            rss_generator: resources.map(|r| r.generator.rss_bytes),
            mem_system_used: resources.map(|r| r.system.mem_used),
            cpu_database: resources
                .and_then(|r| r.database.as_ref())
                .map(|d| d.cpu_percent),
            rss_database: resources
                .and_then(|r| r.database.as_ref())
                .map(|d| d.pss_bytes),
            // Judged after the second closes; the report takes it from the diagnoser.
            bottleneck: None,
            requests: second
                .requests
                .iter()
                .map(|part| {
                    let view = latency_view(part);
                    RequestPoint {
                        rps: part.responses as f64 / span,
                        p50_us: view.p50_us,
                        p99_us: view.p99_us,
                        errors: part.failed(),
                    }
                })
                .collect(),
        });
        self.last_second = view;
        self.last_second_late = second.late_sends;
        self.last_second_attempts = second.attempts();
        self.last_second_service = if second.service.is_empty() {
            ServiceView::default()
        } else {
            ServiceView {
                p50_us: second.service.value_at_quantile(0.5),
                mean_us: second.service.mean(),
            }
        };
        if second.service.len() >= BASELINE_MIN_RESPONSES {
            let p50 = self.last_second_service.p50_us;
            self.service_floor_us = Some(self.service_floor_us.map_or(p50, |f| f.min(p50)));
        }
        self.stage_request_views.clear();
        if let Some(stage) = self.stages.last() {
            let views = stage.interval.requests.iter().map(latency_view);
            self.stage_request_views.extend(views);
        }
        self.last_close = at;
        self.next_boundary = second_index + 1;
        // Emptied, not replaced: the next second reuses its histograms.
        self.second.reset();
    }

    /// Engine time covered by the second in progress, up to `at`.
    pub fn pending_span(&self, at: Duration) -> Duration {
        at.saturating_sub(self.last_close)
    }

    /// Whether the second in progress holds anything worth a partial point.
    pub fn pending_second_has_data(&self) -> bool {
        self.second.attempts() > 0
    }

    /// Measured stages merged (the whole-run figures) and their active time.
    pub fn measured(&self) -> (&Interval, Duration) {
        let active = self
            .stages
            .iter()
            .filter(|s| s.measured)
            .map(|s| s.active)
            .sum();
        (&self.measured, active)
    }

    /// [`measured`](Self::measured), owned.
    pub fn measured_total(&self) -> (Interval, Duration) {
        let (total, active) = self.measured();
        (total.clone(), active)
    }
}

#[cfg(test)]
mod tests;
