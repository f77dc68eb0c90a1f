//! The stage clock: which stage is running, for how long (pauses excluded),
//! whether the user holds or skips it, and the rate or connection count a
//! ramp asks for at this instant.

use std::time::Duration;

use crate::load::LoadCommand;
use crate::plan::RunPlan;
use crate::profile::ModelKind;

use super::{Outcome, Session};

pub struct StageClock {
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
    pub fn new(_plan: &RunPlan) -> StageClock {
        StageClock {
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

    /// The stage's rate at its start (a ramp starts from the previous stage's).
    pub fn planned_rate(&self, plan: &RunPlan, index: usize) -> Option<f64> {
        let stage = plan.stages.get(index)?;
        if stage.ramp {
            Some(
                index
                    .checked_sub(1)
                    .and_then(|i| plan.stage_rate(i))
                    .unwrap_or(1.0),
            )
        } else {
            stage.rate
        }
    }

    pub fn planned_connections(&self, plan: &RunPlan, index: usize) -> usize {
        match plan.stages.get(index) {
            Some(stage) if stage.ramp && plan.model == ModelKind::Closed => index
                .checked_sub(1)
                .map_or(1, |i| plan.stage_connections(i)),
            _ => plan.stage_connections(index),
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

    fn over(&self, plan: &RunPlan) -> bool {
        if self.skip_requested {
            return true;
        }
        let duration = plan.stages.get(self.index).and_then(|s| s.duration);
        !self.held && duration.is_some_and(|d| self.elapsed >= d)
    }

    fn ramp_fraction(&self, plan: &RunPlan) -> Option<f64> {
        let stage = plan.stages.get(self.index)?;
        let duration = stage.duration?;
        stage
            .ramp
            .then(|| (self.elapsed.as_secs_f64() / duration.as_secs_f64()).min(1.0))
    }

    /// The rate this instant asks for, when it differs enough from what was sent.
    fn ramp_rate(&mut self, plan: &RunPlan) -> Option<f64> {
        if self.rate_override.is_some() {
            return None;
        }
        let fraction = self.ramp_fraction(plan)?;
        let from = self.planned_rate(plan, self.index)?;
        let to = plan.stage_rate(self.index)?;
        let rate = (from + (to - from) * fraction).max(1.0);
        let changed = self
            .last_sent_rate
            .is_none_or(|last| (rate - last).abs() / last > 0.01);
        changed.then(|| {
            self.last_sent_rate = Some(rate);
            rate
        })
    }

    fn ramp_connections(&mut self, plan: &RunPlan) -> Option<usize> {
        if self.connections_override.is_some() || plan.model != ModelKind::Closed {
            return None;
        }
        let fraction = self.ramp_fraction(plan)?;
        let from = self.planned_connections(plan, self.index) as f64;
        let to = plan.stage_connections(self.index) as f64;
        let connections = ((from + (to - from) * fraction).round() as usize).max(1);
        (self.last_sent_connections != Some(connections)).then(|| {
            self.last_sent_connections = Some(connections);
            connections
        })
    }
}

impl Session<'_> {
    pub(super) fn begin_stage(&mut self, index: usize) {
        let plan = self.plan;
        let Some(stage) = plan.stages.get(index) else {
            return;
        };
        self.clock.enter(index);
        self.ledger
            .start_stage(&stage.name, stage.measured, self.started.elapsed());
        if index > 0 {
            if let Some(rate) = self.clock.planned_rate(plan, index) {
                self.send_load(LoadCommand::SetRate(rate));
            }
            let connections = self.clock.planned_connections(plan, index);
            if connections != self.current.connections {
                self.send_load(LoadCommand::SetConnections(connections));
            }
        }
        self.current.rate = self.clock.planned_rate(plan, index);
        if !stage.knobs.is_empty()
            && let Some(admin) = &self.target.admin
        {
            let text = serde_json::Value::Object(stage.knobs.clone()).to_string();
            match super::target::apply_knobs(admin, &stage.knobs) {
                Ok(()) => self.event("knobs", format!("stage {} knobs {text}", stage.name)),
                Err(e) => self.event("warning", e.to_string()),
            }
            self.last_server_poll = None;
        }
        let what = match (plan.model, stage.rate) {
            (ModelKind::Open, Some(rate)) => format!("{rate:.0} req/s"),
            _ => format!("{} connections", plan.stage_connections(index)),
        };
        self.event("stage", format!("stage {} started ({what})", stage.name));
    }

    pub(super) fn advance_stages(&mut self) {
        let plan = self.plan;
        if let Some(stage) = self.ledger.current_stage_mut() {
            stage.active = self.clock.elapsed;
        }
        if let Some(rate) = self.clock.ramp_rate(plan) {
            self.send_load(LoadCommand::SetRate(rate));
            self.current.rate = Some(rate);
        }
        if let Some(connections) = self.clock.ramp_connections(plan) {
            self.send_load(LoadCommand::SetConnections(connections));
        }
        if self.clock.over(plan) {
            let next = self.clock.index + 1;
            if next < plan.stages.len() {
                self.begin_stage(next);
            } else {
                self.outcome = Some(Outcome::Completed);
            }
        }
    }
}
