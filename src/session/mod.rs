//! A run: drives the load engine through the plan's stages, applies live
//! controls, merges engine ticks with resource samples into snapshots, and
//! returns a result on every exit path (stage end, quit, Ctrl-C, target death).
//!
//! The session is a plain thread that only listens: engine ticks, monitor
//! samples, server readings, knob results, controls, signals and target exits
//! all arrive as one [`events::Event`] on one channel, and the latest
//! `Snapshot` goes out over a `watch` channel that the dashboard or the
//! progress line reads. It never does network I/O itself: the target probe
//! thread ([`probe`]) owns the admin client.

mod alerts;
pub mod control;
mod controls;
mod database;
mod diagnose;
mod events;
mod finish;
mod helper;
pub mod ledger;
mod outcome;
mod pools;
mod probe;
mod resource_view;
mod run_report;
pub mod saturation;
mod scraper;
mod send_lag;
mod stages;
mod state;
#[cfg(test)]
mod state_fixture;
mod target;
mod thresholds;
mod verdicts;
mod view;

pub use control::Control;
pub use outcome::{Outcome, RunResult, SessionError, SessionIo};
pub use stages::{FinishedStage, StagePlanner};
pub use target::{CommandTarget, Readiness, supervise_target};

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::load::{self, EngineHandle, LoadCommand, LoadConfig, Model};
use crate::monitor::{Monitor, MonitorConfig, ResourceSample};
use crate::plan::RunPlan;
use crate::profile::ModelKind;
use crate::report::EventKind;
use crate::snapshot::ServerView;

use events::Event;
use ledger::Ledger;
use probe::TargetProbe;
use stages::StageClock;
use target::TargetHandle;

/// Engine tick: how often per-thread intervals are merged.
pub const TICK: Duration = Duration::from_millis(250);
/// Events kept in the snapshot (the report keeps them all).
const SNAPSHOT_EVENTS: usize = 50;
/// How long a target exit waits for a signal that may explain it.
const INTERRUPT_GRACE: Duration = Duration::from_millis(200);
/// Seconds of timeline kept in the snapshot.
const SNAPSHOT_SECONDS: usize = 600;

/// Runs the plan to its end (or until stopped) and returns what was measured.
pub fn run(plan: &RunPlan, io: SessionIo) -> Result<RunResult, SessionError> {
    run_planned(plan, io, None)
}

/// Like [`run`], with a planner that may append stages once the planned
/// ones are done.
pub fn run_planned(
    plan: &RunPlan,
    io: SessionIo,
    planner: Option<Box<dyn StagePlanner>>,
) -> Result<RunResult, SessionError> {
    let mut target = TargetHandle::start(plan, &io.server_exe, &io.interrupted)?;
    let (events_tx, inbox) = channel();
    // Registered before the flag is read, so no signal falls in between.
    let signal_waker = {
        let events = events_tx.clone();
        crate::signals::on_interrupt(move || {
            let _ = events.send(Event::Signal);
        })
    };
    let monitor = Monitor::spawn(MonitorConfig {
        interval: plan.sample_interval,
        target_pid: target.pid,
        target_port: target.addr.ip().is_loopback().then_some(target.addr.port()),
    })
    .ok();
    let database_watch = monitor.as_ref().map(Monitor::database_watch);
    database::watch_planned(plan, database_watch.as_ref());
    let samples_forwarder =
        monitor.and_then(|monitor| events::forward_samples(monitor, events_tx.clone()));
    let clock = StageClock::new(plan);
    let target_requests = target.requests.clone();
    let config = LoadConfig {
        addr: target.addr,
        requests: target.requests.clone(),
        threads: plan.threads,
        connections: clock.planned_connections(0),
        // A ramp starts from its planned rate, not the stage's own.
        model: match plan
            .stages
            .first()
            .map_or(plan.model, |s| ModelKind::of(s.model))
        {
            ModelKind::Open => Model::Open {
                rate: clock.planned_rate(0).unwrap_or(1.0),
            },
            ModelKind::Closed => Model::Closed,
        },
        timeout: plan.timeout,
        connect_timeout: plan.connect_timeout,
        keepalive: plan.keepalive,
        max_requests: plan.max_requests,
        tick: TICK,
        transport: target.transport(plan),
    };
    // A certificate or protocol mismatch is one clear line before any load
    // (plain HTTP/1.1 needs no probe: the target was reached already).
    let protocol = if config.transport == load::Transport::default() {
        load::Protocol::Http1
    } else {
        load::probe(&config).map_err(|e| SessionError::Target(e.to_string()))?
    };
    let mut engine = load::start(config)?;
    let ticks_forwarder = events::forward_ticks(engine.take_ticks(), events_tx.clone());
    let probe = target
        .admin
        .take()
        .and_then(|admin| TargetProbe::spawn(admin, events_tx.clone()));
    let pool_scraper = match &plan.target {
        crate::plan::TargetPlan::Url {
            metrics_url: Some(url),
            ..
        } => scraper::spawn(url.clone(), events_tx.clone()),
        _ => None,
    };
    let mut io = io;
    let controls_forwarder = io
        .controls
        .take()
        .and_then(|controls| events::forward_controls(controls, events_tx.clone()));
    let mut session = Session {
        plan,
        io,
        engine: Some(engine),
        target,
        inbox,
        _signal_waker: signal_waker,
        ticks_forwarder,
        probe,
        _forwarders: [samples_forwarder, controls_forwarder, pool_scraper],
        run_elapsed: Duration::ZERO,
        clock,
        ledger: Ledger::new(),
        events: Vec::new(),
        started: Instant::now(),
        started_wall: SystemTime::now(),
        latest_sample: None,
        server_view: None,
        scraped_pools: Vec::new(),
        database: database::DatabaseState::new(database_watch),
        outcome: None,
        paused: false,
        current: state::LiveSettings::default(),
        planner,
        protocol,
        request_names: load::reported_names(&target_requests),
        saturation: None,
        saturation_announced: None,
        send_lag: send_lag::RecentSendLag::default(),
        thresholds_evaluated: true,
        diagnoser: diagnose::Diagnoser::default(),
    };
    session.begin_stage(0);
    session.main_loop();
    session.finish()
}

struct Session<'a> {
    plan: &'a RunPlan,
    io: SessionIo,
    /// `None` once stopped.
    engine: Option<EngineHandle>,
    target: TargetHandle,
    /// Every source's events, in the order they happened.
    inbox: Receiver<Event>,
    _signal_waker: crate::signals::WakerGuard,
    /// Joined at the end so every tick the engine emitted is counted.
    ticks_forwarder: Option<JoinHandle<()>>,
    /// The embedded server's admin API, off this thread. Dropped after the
    /// target, so a call in progress fails at once rather than time out.
    probe: Option<TargetProbe>,
    /// The samples and controls forwarders and the pool scraper, stopped
    /// and joined on drop.
    _forwarders: [Option<helper::Helper>; 3],
    /// The run clock: the engine's elapsed time at the last tick, so the
    /// stage clock (built from the same ticks) can never drift from it.
    run_elapsed: Duration,
    clock: StageClock,
    ledger: Ledger,
    events: Vec<report_event::Event>,
    started: Instant,
    started_wall: SystemTime,
    latest_sample: Option<ResourceSample>,
    server_view: Option<ServerView>,
    /// A URL target's pools from its `metrics_url`, as last scraped.
    scraped_pools: Vec<crate::diagnosis::pool_metrics::ScrapedPool>,
    /// The database the monitor watches, and whether it was up at last look.
    database: database::DatabaseState,
    outcome: Option<Outcome>,
    paused: bool,
    current: state::LiveSettings,
    planner: Option<Box<dyn StagePlanner>>,
    /// The mix's names, indexing every interval's per-request parts.
    request_names: Vec<String>,
    /// What the probe found the target speaks.
    protocol: load::Protocol,
    /// Whose limit the last second showed, if anyone's.
    saturation: Option<crate::snapshot::SaturationAlert>,
    /// The stage and party last written to the events, so a verdict is
    /// recorded once per stage, not once per second.
    saturation_announced: Option<(usize, crate::snapshot::SaturatedParty)>,
    /// The generator's send lag over the last second, for the saturation rule.
    send_lag: send_lag::RecentSendLag,
    /// False once a run that stopped before its plan ended has finished.
    thresholds_evaluated: bool,
    /// The bottleneck verdicts, per second and as shown.
    diagnoser: diagnose::Diagnoser,
}

mod report_event {
    use std::time::Duration;

    pub struct Event {
        pub at: Duration,
        pub kind: crate::report::EventKind,
        pub message: String,
    }
}

impl Session<'_> {
    fn send_load(&self, command: LoadCommand) {
        if let Some(engine) = &self.engine {
            engine.send(command);
        }
    }

    fn event(&mut self, kind: EventKind, message: String) {
        self.events.push(report_event::Event {
            at: self.started.elapsed(),
            kind,
            message,
        });
    }

    fn main_loop(&mut self) {
        // A signal before the waker was registered set the flag only.
        if self.io.interrupted.load(Ordering::Relaxed) {
            self.outcome = Some(Outcome::Interrupted);
        }
        while self.outcome.is_none() {
            // Open while the session runs: its signal waker holds a sender.
            let Ok(event) = self.inbox.recv() else { break };
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Tick(tick) => self.on_tick(tick),
            Event::EngineStopped => self.outcome = Some(Outcome::Completed),
            Event::Sample(sample) => {
                if let Some(stage) = self.ledger.current_stage_mut() {
                    stage.resources.add(&sample);
                }
                self.latest_sample = Some(sample);
            }
            Event::Server(view) => {
                self.on_database(view.db.as_ref());
                self.server_view = Some(view);
            }
            Event::KnobsApplied(text) => self.event(EventKind::Knobs, text),
            Event::KnobsFailed(text) => self.event(EventKind::Warning, text),
            Event::Pools(pools) => self.scraped_pools = pools,
            Event::PoolsNote(kind, text) => self.event(kind, text),
            Event::Control(control) => self.apply_control(control),
            Event::Signal => {}
            Event::TargetExited(reason) => self.target_gone(reason),
        }
        // Last, so an interrupt wins over a target exit that follows it.
        if self.io.interrupted.load(Ordering::Relaxed) {
            self.outcome = Some(Outcome::Interrupted);
        }
    }

    fn on_tick(&mut self, tick: Box<load::Tick>) {
        // Stages advance on the engine's clock, one tick at a time, so every
        // tick's counts belong wholly to one stage and a stage that ends has
        // all of its data (a planner judges it complete). The run clock is
        // the same ticks' elapsed time: the two cannot drift apart.
        if !self.paused {
            self.clock
                .advance(tick.elapsed.saturating_sub(self.run_elapsed));
        }
        self.run_elapsed = self.run_elapsed.max(tick.elapsed);
        self.current.open_connections = tick.open_connections;
        self.current.threads = tick.threads;
        self.current.connections = tick.connections;
        self.current.model = tick.model;
        self.ledger.open_connections = tick.open_connections;
        self.ledger.add_tick(
            &tick.interval,
            tick.elapsed,
            TICK / 2,
            self.current.target_rate(),
            self.latest_sample.as_ref(),
        );
        self.send_lag.add(&tick.interval);
        self.observe_diagnosis_tick(&tick.interval);
        let done = tick.done;
        // The emptied interval goes back to the engine for the next tick.
        if let Some(engine) = &self.engine {
            engine.recycle(tick.interval);
        }
        if done {
            self.outcome = Some(Outcome::Completed);
        }
        self.diagnose_second();
        self.judge_saturation();
        self.publish(false);
        // A process that exits without the monitor seeing it (no pid to
        // watch, or between samples): checked without blocking each tick.
        if self.outcome.is_none()
            && let Some(reason) = self.target.exited()
        {
            self.target_gone(reason);
        }
        if self.outcome.is_none() && !self.io.interrupted.load(Ordering::Relaxed) {
            self.advance_stages();
        }
    }

    /// A target that exits right after a Ctrl-C (one started outside
    /// loadtop in the same terminal gets the same SIGINT) went because of
    /// the interrupt: the signal thread gets a moment to say so, and the
    /// run counts as interrupted rather than failed.
    fn target_gone(&mut self, reason: String) {
        self.event(EventKind::Target, format!("target exited: {reason}"));
        let deadline = Instant::now() + INTERRUPT_GRACE;
        while !self.io.interrupted.load(Ordering::Relaxed) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.outcome = Some(if self.io.interrupted.load(Ordering::Relaxed) {
            Outcome::Interrupted
        } else {
            Outcome::TargetExited(reason)
        });
    }

    fn publish(&mut self, finished: bool) {
        if self.io.snapshots.is_none() {
            return;
        }
        let snapshot = self.snapshot(finished);
        if let Some(tx) = &self.io.snapshots {
            tx.send_replace(snapshot);
        }
    }
}
