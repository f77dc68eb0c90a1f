//! The stage clock: which stage is running, for how long (pauses excluded),
//! whether the user holds or skips it, and the rate or connection count a
//! ramp asks for at this instant. The clock owns the stage list, so a
//! [`StagePlanner`] can append stages while the run goes on (capacity
//! search adds its probes this way).

use std::time::Duration;

use crate::load::{LoadCommand, Model};
use crate::plan::{RunPlan, StagePlan};
use crate::stats::summary::Summary;

use super::{Outcome, Session};
use crate::report::EventKind;

/// What a planner learns about a stage that just ended.
pub struct FinishedStage<'a> {
    pub index: usize,
    pub stage: &'a StagePlan,
    pub summary: Summary,
    /// Per request name of a mix (empty for a single request).
    pub requests: Vec<crate::stats::summary::RequestSummary>,
    /// The busiest worker thread's CPU during the stage (percent of one core).
    pub worker_cpu: Option<f32>,
    /// The busiest worker thread's CPU plus run-queue wait (percent of the time).
    pub worker_busy: Option<f32>,
    /// Connections open at the end of the stage.
    pub open_connections: u64,
    /// 1 for HTTP/1.1; HTTP/2 streams are pacing units of their own.
    pub streams_per_connection: u32,
}

/// Decides, when the planned stages run out, whether the run goes on.
pub trait StagePlanner: Send {
    /// The next stage, or `None` to end the run.
    fn next_stage(&mut self, finished: &FinishedStage<'_>) -> Option<StagePlan>;

    /// A line for the event list and the summary (e.g. the search's answer).
    fn conclusion(&self) -> Option<String> {
        None
    }
}

pub struct StageClock {
    pub stages: Vec<StagePlan>,
    default_connections: usize,
    pub index: usize,
    pub elapsed: Duration,
    pub held: bool,
    skip_requested: bool,
    rate_override: Option<f64>,
    connections_override: Option<usize>,
    last_sent_rate: Option<f64>,
    last_sent_connections: Option<usize>,
}

impl StageClock {
    pub fn new(plan: &RunPlan) -> StageClock {
        StageClock {
            stages: plan.stages.clone(),
            default_connections: plan.connections,
            index: 0,
            elapsed: Duration::ZERO,
            held: false,
            skip_requested: false,
            rate_override: None,
            connections_override: None,
            last_sent_rate: None,
            last_sent_connections: None,
        }
    }

    pub fn current(&self) -> Option<&StagePlan> {
        self.stages.get(self.index)
    }

    fn stage_rate(&self, index: usize) -> Option<f64> {
        self.stages.get(index).and_then(|s| s.model.rate())
    }

    fn stage_connections(&self, index: usize) -> usize {
        self.stages
            .get(index)
            .and_then(|s| s.connections)
            .unwrap_or(self.default_connections)
    }

    /// The stage's rate at its start (a ramp starts from the previous stage's).
    pub fn planned_rate(&self, index: usize) -> Option<f64> {
        let stage = self.stages.get(index)?;
        if stage.ramp {
            Some(
                index
                    .checked_sub(1)
                    .and_then(|i| self.stage_rate(i))
                    .unwrap_or(1.0),
            )
        } else {
            stage.model.rate()
        }
    }

    pub fn planned_connections(&self, index: usize) -> usize {
        match self.stages.get(index) {
            Some(stage) if stage.ramp && stage.model == Model::Closed => index
                .checked_sub(1)
                .map_or(1, |i| self.stage_connections(i)),
            _ => self.stage_connections(index),
        }
    }

    fn enter(&mut self, index: usize) {
        self.index = index;
        self.elapsed = Duration::ZERO;
        self.skip_requested = false;
        self.rate_override = None;
        self.connections_override = None;
        self.last_sent_rate = None;
        self.last_sent_connections = None;
    }

    pub fn advance(&mut self, dt: Duration) {
        self.elapsed += dt;
    }

    pub fn skip(&mut self) {
        self.skip_requested = true;
    }

    pub fn toggle_hold(&mut self) -> bool {
        self.held = !self.held;
        self.held
    }

    /// A live change wins over the plan (and stops a ramp) until the next stage.
    pub fn override_rate(&mut self, rate: f64) {
        self.rate_override = Some(rate);
        self.last_sent_rate = Some(rate);
    }

    pub fn override_connections(&mut self, connections: usize) {
        self.connections_override = Some(connections);
        self.last_sent_connections = Some(connections);
    }

    fn over(&self) -> bool {
        if self.skip_requested {
            return true;
        }
        let duration = self.current().and_then(|s| s.duration);
        !self.held && duration.is_some_and(|d| self.elapsed >= d)
    }

    /// Whether the current stage, ending now, falls short of its plan: a
    /// timed stage before its duration, an open-ended one only when it had
    /// a request count to reach (otherwise stopping is how it ends).
    pub fn cut_short(&self, max_requests: Option<u64>) -> bool {
        match self.current().and_then(|s| s.duration) {
            Some(duration) => self.elapsed < duration,
            None => self.skip_requested || max_requests.is_some(),
        }
    }

    fn ramp_fraction(&self) -> Option<f64> {
        let stage = self.current()?;
        let duration = stage.duration?;
        stage
            .ramp
            .then(|| (self.elapsed.as_secs_f64() / duration.as_secs_f64()).min(1.0))
    }

    /// The rate this instant asks for, when it differs enough from what was sent.
    fn ramp_rate(&mut self) -> Option<f64> {
        if self.rate_override.is_some() {
            return None;
        }
        let fraction = self.ramp_fraction()?;
        let from = self.planned_rate(self.index)?;
        let to = self.stage_rate(self.index)?;
        let rate = (from + (to - from) * fraction).max(1.0);
        let changed = self
            .last_sent_rate
            .is_none_or(|last| (rate - last).abs() / last > 0.01);
        changed.then(|| {
            self.last_sent_rate = Some(rate);
            rate
        })
    }

    fn ramp_connections(&mut self) -> Option<usize> {
        let closed = self.current().is_some_and(|s| s.model == Model::Closed);
        if self.connections_override.is_some() || !closed {
            return None;
        }
        let fraction = self.ramp_fraction()?;
        let from = self.planned_connections(self.index) as f64;
        let to = self.stage_connections(self.index) as f64;
        let connections = ((from + (to - from) * fraction).round() as usize).max(1);
        (self.last_sent_connections != Some(connections)).then(|| {
            self.last_sent_connections = Some(connections);
            connections
        })
    }
}

impl Session<'_> {
    pub(super) fn begin_stage(&mut self, index: usize) {
        let Some(stage) = self.clock.stages.get(index).cloned() else {
            return;
        };
        // Knobs first: the probe sends them before this thread changes the
        // load, so the server has them within one admin round trip of the
        // stage start (a saturated server may take longer to answer).
        if !stage.knobs.is_empty()
            && let Some(probe) = &self.probe
        {
            probe.apply(super::probe::KnobRequest {
                applied: format!("stage {} knobs {}", stage.name, stage.knobs.to_json_text()),
                knobs: stage.knobs.clone(),
            });
        }
        self.clock.enter(index);
        self.ledger
            .start_stage(&stage.name, stage.measured, self.run_elapsed);
        if index > 0 {
            match (stage.model, self.clock.planned_rate(index)) {
                (Model::Open { .. }, Some(rate)) => self.send_load(LoadCommand::SetRate(rate)),
                (Model::Closed, _) if self.current.model != Model::Closed => {
                    self.send_load(LoadCommand::SetClosed);
                }
                _ => {}
            }
            let connections = self.clock.planned_connections(index);
            if connections != self.current.connections {
                self.send_load(LoadCommand::SetConnections(connections));
            }
        }
        self.current.rate = self.clock.planned_rate(index);
        let what = match stage.model {
            Model::Open { rate } => format!("{rate:.0} req/s"),
            Model::Closed => format!("{} connections", self.clock.stage_connections(index)),
        };
        self.event(
            EventKind::Stage,
            format!("stage {} started ({what})", stage.name),
        );
    }

    pub(super) fn advance_stages(&mut self) {
        if let Some(stage) = self.ledger.current_stage_mut() {
            stage.active = self.clock.elapsed;
        }
        if let Some(rate) = self.clock.ramp_rate() {
            self.send_load(LoadCommand::SetRate(rate));
            self.current.rate = Some(rate);
        }
        if let Some(connections) = self.clock.ramp_connections() {
            self.send_load(LoadCommand::SetConnections(connections));
        }
        if !self.clock.over() {
            return;
        }
        if self.clock.cut_short(self.plan.max_requests)
            && let Some(stage) = self.ledger.current_stage_mut()
        {
            stage.cut = true;
        }
        let next = self.clock.index + 1;
        if next >= self.clock.stages.len()
            && let Some(stage) = self.plan_next_stage()
        {
            self.clock.stages.push(stage);
        }
        if next < self.clock.stages.len() {
            self.begin_stage(next);
        } else {
            self.outcome = Some(Outcome::Completed);
        }
    }

    /// Asks the planner (if any) for one more stage after the planned ones.
    fn plan_next_stage(&mut self) -> Option<StagePlan> {
        let record = self.ledger.current_stage()?;
        let summary = Summary::from_interval(&record.interval, record.active);
        let requests = self.request_summaries(&record.interval, record.active);
        let worker_cpu = record.resources.worker_cpu_max;
        let worker_busy = record.resources.worker_busy_max;
        let streams_per_connection = self.streams_per_connection();
        let stage = self.clock.current()?.clone();
        let finished = FinishedStage {
            index: self.clock.index,
            stage: &stage,
            summary,
            requests,
            worker_cpu,
            worker_busy,
            open_connections: self.current.open_connections,
            streams_per_connection,
        };
        let planner = self.planner.as_mut()?;
        let next = planner.next_stage(&finished);
        let conclusion = planner.conclusion();
        if next.is_none()
            && let Some(line) = conclusion
        {
            self.event(EventKind::Stage, line);
        }
        next
    }
}
