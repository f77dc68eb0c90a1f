//! A run's state built by hand for the snapshot and report tests: a plan
//! from a profile text, a ledger fed with made-up ticks, a clock set where
//! the test wants it. No target, no engine, no thread.

use std::time::{Duration, SystemTime};

use crate::load;
use crate::plan::{LoadOptions, RunPlan};
use crate::profile::Profile;
use crate::stats::{ErrorKind, Interval};

use super::diagnose::Diagnoser;
use super::ledger::Ledger;
use super::report_event::Event;
use super::stages::StageClock;
use super::state::LiveSettings;
use super::state::RunState;
use super::{Outcome, TICK};

/// A warm-up second, then `low` (2 s at 100 req/s) and `high` (2 s at 200 req/s).
pub const PROFILE: &str = r#"
thresholds = ["p99 < 50ms"]

[target]
url = "http://127.0.0.1:9/"

[load]
model = "open"
warmup = "1s"

[[stages]]
name = "low"
duration = "2s"
rate = 100
thresholds = ["p99 < 100ms"]

[[stages]]
name = "high"
duration = "2s"
rate = 200
thresholds = ["p99 < 1ms"]
"#;

pub struct Fixture {
    pub plan: RunPlan,
    pub clock: StageClock,
    pub ledger: Ledger,
    pub current: LiveSettings,
    pub events: Vec<Event>,
    pub diagnoser: Diagnoser,
    pub outcome: Option<Outcome>,
    pub run_elapsed: Duration,
    pub thresholds_evaluated: bool,
}

impl Fixture {
    pub fn new() -> Fixture {
        let profile = Profile::parse(PROFILE, "test.toml").unwrap();
        let plan = RunPlan::from_profile(profile, 1.0, &LoadOptions::default()).unwrap();
        Fixture {
            clock: StageClock::new(&plan),
            plan,
            ledger: Ledger::new(),
            current: LiveSettings::default(),
            events: Vec::new(),
            diagnoser: Diagnoser::default(),
            outcome: None,
            run_elapsed: Duration::ZERO,
            thresholds_evaluated: true,
        }
    }

    /// Enters stage `index` at the run's current time, as the session does.
    pub fn begin_stage(&mut self, index: usize) {
        let stage = self.clock.stages[index].clone();
        if let Some(record) = self.ledger.current_stage_mut() {
            record.active = self.clock.elapsed;
        }
        self.clock.index = index;
        self.clock.elapsed = Duration::ZERO;
        self.ledger
            .start_stage(&stage.name, stage.measured, self.run_elapsed);
        self.current.rate = stage.model.rate();
        self.current.model = stage.model;
    }

    /// One engine tick of `responses` answered in `latency_us`, `errors`
    /// of them timing out instead.
    pub fn tick(&mut self, responses: u64, latency_us: u64, errors: u64) {
        let mut interval = Interval::new();
        for _ in 0..responses {
            interval.record_response(latency_us, latency_us, 200, 100);
        }
        for _ in 0..errors {
            interval.record_error(ErrorKind::RequestTimeout);
        }
        self.run_elapsed += TICK;
        self.clock.advance(TICK);
        self.ledger.add_tick(
            &interval,
            self.run_elapsed,
            TICK / 2,
            self.current.rate,
            None,
        );
        if let Some(record) = self.ledger.current_stage_mut() {
            record.active = self.clock.elapsed;
        }
    }

    pub fn event(&mut self, message: &str) {
        self.events.push(Event {
            at: self.run_elapsed,
            kind: crate::report::EventKind::Stage,
            message: message.into(),
        });
    }

    pub fn state(&self) -> RunState<'_> {
        RunState {
            plan: &self.plan,
            clock: &self.clock,
            ledger: &self.ledger,
            current: &self.current,
            request_names: &[],
            protocol: load::Protocol::Http1,
            run_elapsed: self.run_elapsed,
            paused: false,
            open_ended: false,
            events: &self.events,
            latest_sample: None,
            server_view: None,
            scraped_pool: None,
            saturation: None,
            outcome: self.outcome.as_ref(),
            diagnoser: &self.diagnoser,
            thresholds_evaluated: self.thresholds_evaluated,
            started_wall: SystemTime::UNIX_EPOCH,
            wall_elapsed: self.run_elapsed,
            tls: false,
        }
    }
}

/// Warm-up at 2 ms, `low` at 5 ms with a timeout per tick, then `ticks`
/// of `high` at 20 ms (8 ticks: the whole stage).
pub fn three_stages(high_ticks: usize) -> Fixture {
    let mut run = Fixture::new();
    run.begin_stage(0);
    for _ in 0..4 {
        run.tick(25, 2_000, 0);
    }
    run.begin_stage(1);
    for _ in 0..8 {
        run.tick(25, 5_000, 1);
    }
    run.begin_stage(2);
    for _ in 0..high_ticks {
        run.tick(50, 20_000, 0);
    }
    run
}
