//! The session's state as plain inputs: what the snapshot ([`super::view`])
//! and the report ([`super::run_report`]) are built from. They are free
//! functions over a [`RunState`], so they can be checked with hand-built
//! ledgers and clocks, without a target, an engine or a thread; the session
//! only gathers its fields into one.

use std::time::{Duration, SystemTime};

use crate::diagnosis::pool_metrics::ScrapedPool;
use crate::load::{self, Model};
use crate::monitor::ResourceSample;
use crate::plan::RunPlan;
use crate::snapshot::{SaturationAlert, ServerView};

use super::diagnose::Diagnoser;
use super::ledger::Ledger;
use super::report_event::Event;
use super::stages::StageClock;
use super::{Outcome, Session};

/// Everything a snapshot or a report reads, borrowed from the session.
pub struct RunState<'a> {
    pub plan: &'a RunPlan,
    /// The stages as run (a planner may have appended some), which one is
    /// running and for how long.
    pub clock: &'a StageClock,
    pub ledger: &'a Ledger,
    pub current: &'a LiveSettings,
    /// The mix's names, indexing every interval's per-request parts.
    pub request_names: &'a [String],
    pub protocol: load::Protocol,
    /// The run clock: the engine's elapsed time at its last tick.
    pub run_elapsed: Duration,
    pub paused: bool,
    /// A planner may append stages, so the run has no planned total.
    pub open_ended: bool,
    pub events: &'a [Event],
    pub latest_sample: Option<&'a ResourceSample>,
    pub server_view: Option<&'a ServerView>,
    /// The external target's pool nearest exhaustion, read from its `metrics_url`.
    pub scraped_pool: Option<&'a ScrapedPool>,
    pub saturation: Option<&'a SaturationAlert>,
    pub outcome: Option<&'a Outcome>,
    pub diagnoser: &'a Diagnoser,
    /// False once a run that stopped before its plan ended has finished.
    pub thresholds_evaluated: bool,
    pub started_wall: SystemTime,
    /// Wall time since the session started.
    pub wall_elapsed: Duration,
    /// The target is reached over TLS.
    pub tls: bool,
}

impl Session<'_> {
    pub(super) fn state(&self) -> RunState<'_> {
        RunState {
            plan: self.plan,
            clock: &self.clock,
            ledger: &self.ledger,
            current: &self.current,
            request_names: &self.request_names,
            protocol: self.protocol,
            run_elapsed: self.run_elapsed,
            paused: self.paused,
            open_ended: self.planner.is_some(),
            events: &self.events,
            latest_sample: self.latest_sample.as_ref(),
            server_view: self.server_view.as_ref(),
            scraped_pool: super::pools::nearest_scraped(&self.scraped_pools),
            saturation: self.saturation.as_ref(),
            outcome: self.outcome.as_ref(),
            diagnoser: &self.diagnoser,
            thresholds_evaluated: self.thresholds_evaluated,
            started_wall: self.started_wall,
            wall_elapsed: self.started.elapsed(),
            tls: self.target.tls_host.is_some(),
        }
    }
}

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
