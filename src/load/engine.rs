//! The coordinator and the caller's handle. The coordinator thread owns the
//! worker threads: it turns [`LoadCommand`]s into per-worker commands
//! (spreading connections and request quotas over threads), merges the
//! workers' intervals and emits one [`Tick`] per tick period on a bounded
//! channel; if the caller lags, the interval is kept and merged into the next
//! tick rather than dropped. Stopping joins every thread it started.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::config::check_rate;
use super::pacer::period_for;
use super::worker::{self, Target, WorkerCommand, WorkerReport, WorkerSetup};
use super::{EngineError, LoadConfig, Model, limits};
use crate::stats::Interval;

/// Live changes; each takes effect within one tick and loses no counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadCommand {
    /// Requests per second; on a closed run this switches to the open model.
    SetRate(f64),
    /// Total connections, spread over the threads (clamped to at least 1).
    SetConnections(usize),
    /// Worker threads (clamped to 1..=256); retiring threads flush first.
    SetThreads(usize),
    /// Stop sending; connections stay open and open-model backlog is dropped.
    Pause,
    Resume,
}

/// One tick's merged figures and the engine's state at its end.
#[derive(Clone, Debug)]
pub struct Tick {
    /// Since the engine started, at the end of this tick.
    pub elapsed: Duration,
    pub interval: Interval,
    pub open_connections: u64,
    pub threads: usize,
    pub connections: usize,
    pub model: Model,
    pub paused: bool,
    /// `max_requests` is spent: every worker has sent its share.
    pub done: bool,
}

const MAX_THREADS: usize = 256;
/// Ticks the caller may fall behind before they are merged instead.
const TICK_BACKLOG: usize = 64;
/// Worker reports in flight; beyond this workers keep accumulating.
const REPORT_BACKLOG: usize = 64;

enum Control {
    Command(LoadCommand),
    Stop,
}

/// The running engine. Dropping it stops and joins every thread.
pub struct EngineHandle {
    control_tx: mpsc::UnboundedSender<Control>,
    ticks_rx: Receiver<Tick>,
    coordinator: Option<JoinHandle<Tick>>,
}

impl EngineHandle {
    /// Never blocks and never panics; ignored once the engine has stopped.
    pub fn send(&self, command: LoadCommand) {
        let _ = self.control_tx.send(Control::Command(command));
    }

    /// One [`Tick`] per tick period; the caller polls with `recv_timeout`.
    pub fn ticks(&self) -> &Receiver<Tick> {
        &self.ticks_rx
    }

    /// Stops all workers (in-flight requests finish or time out), joins the
    /// threads and returns everything recorded that the caller has not yet
    /// received in a tick (including ticks still queued).
    pub fn stop(mut self) -> Tick {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Tick {
        let _ = self.control_tx.send(Control::Stop);
        let empty = Tick {
            elapsed: Duration::ZERO,
            interval: Interval::new(),
            open_connections: 0,
            threads: 0,
            connections: 0,
            model: Model::Closed,
            paused: false,
            done: false,
        };
        let mut last = match self.coordinator.take().map(JoinHandle::join) {
            Some(Ok(tick)) => tick,
            _ => empty,
        };
        // Ticks the caller never read belong to the final figures too.
        while let Ok(unread) = self.ticks_rx.try_recv() {
            last.interval.merge(&unread.interval);
        }
        last
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        if self.coordinator.is_some() {
            self.shutdown();
        }
    }
}

/// Validates `config`, raises the descriptor limit and starts the run.
pub fn start(config: LoadConfig) -> Result<EngineHandle, EngineError> {
    config.validate()?;
    // Threads beyond connections would idle; wrk refuses them, we clamp.
    let threads = config.threads.min(config.connections).min(MAX_THREADS);
    let needed = limits::needed(config.connections, threads);
    limits::ensure(needed).map_err(|(soft, hard)| EngineError::FileLimit {
        connections: config.connections,
        needed,
        soft,
        hard,
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(EngineError::Spawn)?;
    let (report_tx, report_rx) = mpsc::channel(REPORT_BACKLOG);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (ticks_tx, ticks_rx) = sync_channel(TICK_BACKLOG);
    let mut coordinator = Coordinator {
        target: Arc::new(Target {
            addr: config.addr,
            request: config.request.to_bytes(config.keepalive),
            head_request: config.request.is_head(),
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            keepalive: config.keepalive,
        }),
        workers: Vec::new(),
        retiring: Vec::new(),
        next_id: 0,
        connections: config.connections,
        model: config.model,
        paused: false,
        max_requests: config.max_requests,
        spare_quota: 0,
        pending: Interval::new(),
        start: Instant::now(),
        tick: config.tick,
        report_tx,
        ticks_tx,
    };
    let quotas = split(config.max_requests.unwrap_or(0), threads);
    let connections = split(config.connections as u64, threads);
    for position in 0..threads {
        // Interleave phases across threads so the merged sends are evenly spaced.
        let phases = (0..connections[position])
            .map(|j| (j as usize * threads + position) as f64 / config.connections as f64)
            .collect();
        let quota = config.max_requests.map(|_| quotas[position]);
        if let Err(error) = coordinator.spawn_worker(connections[position] as usize, phases, quota)
        {
            coordinator.stop_all_blocking();
            return Err(EngineError::Spawn(error));
        }
    }
    let thread = std::thread::Builder::new()
        .name("loadtop-engine".into())
        .spawn(move || runtime.block_on(coordinator.run(control_rx, report_rx)))
        .map_err(EngineError::Spawn)?;
    Ok(EngineHandle {
        control_tx,
        ticks_rx,
        coordinator: Some(thread),
    })
}

/// `total` spread over `parts`, the first ones getting the remainder.
fn split(total: u64, parts: usize) -> Vec<u64> {
    let parts_u64 = parts.max(1) as u64;
    (0..parts_u64)
        .map(|i| total / parts_u64 + u64::from(i < total % parts_u64))
        .collect()
}

struct WorkerSlot {
    id: usize,
    command_tx: mpsc::UnboundedSender<WorkerCommand>,
    thread: Option<JoinHandle<()>>,
    open_connections: u64,
    idle: bool,
}

struct Coordinator {
    target: Arc<Target>,
    workers: Vec<WorkerSlot>,
    /// Told to stop; their last report has not arrived yet.
    retiring: Vec<WorkerSlot>,
    next_id: usize,
    connections: usize,
    model: Model,
    paused: bool,
    max_requests: Option<u64>,
    /// Quota returned by retired workers and not yet handed on.
    spare_quota: u64,
    pending: Interval,
    start: Instant,
    tick: Duration,
    report_tx: mpsc::Sender<WorkerReport>,
    ticks_tx: SyncSender<Tick>,
}

impl Coordinator {
    fn period(&self) -> Option<Duration> {
        match self.model {
            Model::Closed => None,
            Model::Open { rate } => Some(period_for(rate, self.connections)),
        }
    }

    fn spawn_worker(
        &mut self,
        connections: usize,
        phases: Vec<f64>,
        quota: Option<u64>,
    ) -> std::io::Result<()> {
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let id = self.next_id;
        let thread = worker::spawn(WorkerSetup {
            id,
            target: self.target.clone(),
            connections,
            phases,
            period: self.period(),
            paused: self.paused,
            quota,
            start: self.start,
            tick: self.tick,
            report_tx: self.report_tx.clone(),
            command_rx,
        })?;
        self.next_id += 1;
        self.workers.push(WorkerSlot {
            id,
            command_tx,
            thread: Some(thread),
            open_connections: 0,
            idle: false,
        });
        Ok(())
    }

    /// Used only when `start` fails half way: no coordinator thread yet.
    fn stop_all_blocking(&mut self) {
        for slot in &mut self.workers {
            let _ = slot.command_tx.send(WorkerCommand::Stop);
            if let Some(thread) = slot.thread.take() {
                let _ = thread.join();
            }
        }
    }

    fn broadcast(&self, command: WorkerCommand) {
        for slot in &self.workers {
            let _ = slot.command_tx.send(command);
        }
    }

    fn spread_connections(&self) {
        let shares = split(self.connections as u64, self.workers.len());
        for (slot, share) in self.workers.iter().zip(shares) {
            let _ = slot
                .command_tx
                .send(WorkerCommand::Connections(share as usize));
        }
    }

    fn apply(&mut self, command: LoadCommand) {
        match command {
            LoadCommand::SetRate(rate) => {
                if check_rate(rate).is_ok() {
                    self.model = Model::Open { rate };
                    self.broadcast(WorkerCommand::Pacing(self.period()));
                }
            }
            LoadCommand::SetConnections(wanted) => {
                let threads = self.workers.len();
                let wanted = wanted.clamp(1, limits::max_connections(threads).max(1));
                let wanted = match limits::ensure(limits::needed(wanted, threads)) {
                    Ok(()) => wanted,
                    Err((soft, _)) => {
                        let budget = soft.saturating_sub(limits::needed(0, threads));
                        usize::try_from(budget).unwrap_or(usize::MAX).max(1)
                    }
                };
                self.connections = wanted;
                self.spread_connections();
                if self.period().is_some() {
                    self.broadcast(WorkerCommand::Pacing(self.period()));
                }
            }
            LoadCommand::SetThreads(wanted) => {
                let wanted = wanted.clamp(1, MAX_THREADS);
                while self.workers.len() > wanted {
                    if let Some(slot) = self.workers.pop() {
                        let _ = slot.command_tx.send(WorkerCommand::Stop);
                        self.retiring.push(slot);
                    }
                }
                // New workers join with no quota: the requests are already
                // promised to the existing ones.
                let quota = self.max_requests.map(|_| 0);
                while self.workers.len() < wanted {
                    if self.spawn_worker(0, Vec::new(), quota).is_err() {
                        break;
                    }
                }
                self.spread_connections();
            }
            LoadCommand::Pause => {
                self.paused = true;
                self.broadcast(WorkerCommand::Pause);
            }
            LoadCommand::Resume => {
                self.paused = false;
                self.broadcast(WorkerCommand::Resume);
            }
        }
    }

    fn absorb(&mut self, report: WorkerReport) {
        self.pending.merge(&report.interval);
        if let Some(slot) = self.workers.iter_mut().find(|s| s.id == report.worker) {
            slot.open_connections = report.open_connections;
            slot.idle = report.idle;
        }
        if let Some(unspent) = report.last {
            if let Some(index) = self.retiring.iter().position(|s| s.id == report.worker) {
                let mut slot = self.retiring.swap_remove(index);
                if let Some(thread) = slot.thread.take() {
                    // It has sent its last report and is returning.
                    let _ = thread.join();
                }
            }
            self.spare_quota += unspent.unwrap_or(0);
            if self.spare_quota > 0 {
                if let Some(slot) = self.workers.first_mut() {
                    let _ = slot
                        .command_tx
                        .send(WorkerCommand::AddQuota(self.spare_quota));
                    slot.idle = false;
                    self.spare_quota = 0;
                }
            }
        }
    }

    fn snapshot(&mut self) -> Tick {
        let done = self.max_requests.is_some()
            && self.retiring.is_empty()
            && self.spare_quota == 0
            && self.workers.iter().all(|slot| slot.idle);
        Tick {
            elapsed: self.start.elapsed(),
            interval: std::mem::take(&mut self.pending),
            open_connections: self.workers.iter().map(|slot| slot.open_connections).sum(),
            threads: self.workers.len(),
            connections: self.connections,
            model: self.model,
            paused: self.paused,
            done,
        }
    }

    fn emit(&mut self) {
        let tick = self.snapshot();
        if let Err(TrySendError::Full(tick) | TrySendError::Disconnected(tick)) =
            self.ticks_tx.try_send(tick)
        {
            self.pending = tick.interval;
        }
    }

    async fn run(
        mut self,
        mut control_rx: mpsc::UnboundedReceiver<Control>,
        mut report_rx: mpsc::Receiver<WorkerReport>,
    ) -> Tick {
        // Emit a little after the workers flush so their intervals land in
        // the tick they belong to.
        let grace = (self.tick / 5).min(Duration::from_millis(20));
        let mut ticker = tokio::time::interval_at(self.start + self.tick + grace, self.tick);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                control = control_rx.recv() => match control {
                    None | Some(Control::Stop) => break,
                    Some(Control::Command(command)) => self.apply(command),
                },
                Some(report) = report_rx.recv() => self.absorb(report),
                _ = ticker.tick() => self.emit(),
            }
        }
        let threads = self.workers.len();
        let mut stopping = std::mem::take(&mut self.workers);
        for slot in &stopping {
            let _ = slot.command_tx.send(WorkerCommand::Stop);
        }
        self.retiring.append(&mut stopping);
        while !self.retiring.is_empty() {
            match report_rx.recv().await {
                Some(report) => self.absorb(report),
                None => break,
            }
        }
        // Workers are gone now; unspent quota sits in `spare_quota`, so
        // `done` still says whether every request was sent.
        let mut last = self.snapshot();
        last.threads = threads;
        last
    }
}
