//! The coordinator thread: owns the worker threads, turns [`LoadCommand`]s
//! into per-worker commands (spreading connections and request quotas over
//! threads), merges the workers' intervals and emits one [`Tick`] per tick
//! period on a bounded channel; if the caller lags, the interval is kept and
//! merged into the next tick rather than dropped. Intervals are recycled:
//! a worker's, once merged, is reset here (off the workers' threads) and
//! sent back to it; a tick's comes back from the caller through
//! [`Control::Recycle`] and becomes the next pending one. On stop it waits
//! for every worker's last report and joins the threads.

use std::sync::Arc;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::config::check_rate;
use super::messages::{LoadCommand, Tick};
use super::pacer::period_for;
use super::shared::Target;
use super::worker::{self, WorkerCommand, WorkerReport, WorkerSetup};
use super::{Model, limits};
use crate::stats::Interval;

/// The most worker threads a live change may ask for.
pub const MAX_THREADS: usize = 256;
/// The most connections a live change may ask for (the descriptor limit
/// may allow fewer).
pub const MAX_CONNECTIONS: usize = 100_000;

// Boxing the interval would allocate once per tick, which recycling exists to
// avoid; a few hundred bytes per slot of a channel that carries a handful of
// messages a second cost nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Control {
    Command(LoadCommand),
    /// A tick's interval the caller has folded in, to be reused.
    Recycle(Interval),
    Stop,
}

/// Emptied tick intervals kept for reuse: one is in the caller's hands, one
/// queued, one pending is plenty; more would only hold memory.
const SPARE_TICKS: usize = 2;

/// `total` spread over `parts`, the first ones getting the remainder.
pub(crate) fn split(total: u64, parts: usize) -> Vec<u64> {
    let parts_u64 = parts.max(1) as u64;
    (0..parts_u64)
        .map(|i| total / parts_u64 + u64::from(i < total % parts_u64))
        .collect()
}

struct WorkerSlot {
    id: usize,
    command_tx: mpsc::UnboundedSender<WorkerCommand>,
    /// Gives the worker back its merged intervals, emptied.
    spare_tx: mpsc::UnboundedSender<Interval>,
    thread: Option<JoinHandle<()>>,
    open_connections: u64,
    idle: bool,
}

pub(crate) struct Coordinator {
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
    /// Workers added by the last `SetThreads`, waiting for released quota.
    hungry: Vec<usize>,
    pending: Interval,
    /// Emptied tick intervals returned by the caller.
    spare_ticks: Vec<Interval>,
    /// The run's start: ticks and the first workers' schedules begin here.
    pub(crate) start: Instant,
    tick: Duration,
    report_tx: mpsc::Sender<WorkerReport>,
    ticks_tx: SyncSender<Tick>,
}

impl Coordinator {
    pub(crate) fn new(
        target: Arc<Target>,
        config: &super::LoadConfig,
        report_tx: mpsc::Sender<WorkerReport>,
        ticks_tx: SyncSender<Tick>,
    ) -> Self {
        let names = target.named_slots;
        Coordinator {
            target,
            workers: Vec::new(),
            retiring: Vec::new(),
            next_id: 0,
            connections: config.connections,
            model: config.model,
            paused: false,
            max_requests: config.max_requests,
            spare_quota: 0,
            hungry: Vec::new(),
            pending: Interval::with_requests(names),
            spare_ticks: Vec::with_capacity(SPARE_TICKS),
            start: Instant::now(),
            tick: config.tick,
            report_tx,
            ticks_tx,
        }
    }

    fn period(&self) -> Option<Duration> {
        match self.model {
            Model::Closed => None,
            Model::Open { rate } => Some(period_for(rate, self.connections)),
        }
    }

    pub(crate) fn spawn_worker(
        &mut self,
        connections: usize,
        phases: Vec<f64>,
        quota: Option<u64>,
        origin: Instant,
    ) -> std::io::Result<()> {
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (spare_tx, spare_rx) = mpsc::unbounded_channel();
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
            origin,
            tick: self.tick,
            report_tx: self.report_tx.clone(),
            command_rx,
            spare_rx,
        })?;
        self.next_id += 1;
        self.workers.push(WorkerSlot {
            id,
            command_tx,
            spare_tx,
            thread: Some(thread),
            open_connections: 0,
            idle: false,
        });
        Ok(())
    }

    /// Used only when `start` fails half way: no coordinator thread yet.
    pub(crate) fn stop_all_blocking(&mut self) {
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
            LoadCommand::SetClosed => {
                self.model = Model::Closed;
                self.broadcast(WorkerCommand::Pacing(None));
            }
            LoadCommand::SetConnections(wanted) => {
                let threads = self.workers.len();
                let wanted = wanted.clamp(
                    1,
                    limits::max_connections(threads).clamp(1, MAX_CONNECTIONS),
                );
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
                // New workers start without quota; the old ones release the
                // new workers' share of what they have left, and it is handed
                // on as it comes back (see `absorb`).
                let quota = self.max_requests.map(|_| 0);
                let before = self.workers.len();
                self.hungry.clear();
                while self.workers.len() < wanted {
                    if self
                        .spawn_worker(0, Vec::new(), quota, Instant::now())
                        .is_err()
                    {
                        break;
                    }
                    self.hungry.push(self.next_id - 1);
                }
                let grown = self.workers.len() - before.min(self.workers.len());
                if self.max_requests.is_some() && grown > 0 {
                    let share = grown as f64 / self.workers.len() as f64;
                    for slot in &self.workers[..before] {
                        let _ = slot.command_tx.send(WorkerCommand::ReleaseQuota(share));
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

    fn absorb(&mut self, mut report: WorkerReport) {
        self.pending.merge(&report.interval);
        if let Some(slot) = self.workers.iter_mut().find(|s| s.id == report.worker) {
            slot.open_connections = report.open_connections;
            slot.idle = report.idle;
            if report.last.is_none() {
                report.interval.reset();
                // A worker that has just stopped drops it; nothing is lost.
                let _ = slot.spare_tx.send(report.interval);
            }
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
        }
        self.spare_quota += report.released;
        self.hand_on_spare_quota();
    }

    /// Gives returned quota to the workers waiting for some (new ones), or
    /// else to the first worker.
    fn hand_on_spare_quota(&mut self) {
        if self.spare_quota == 0 {
            return;
        }
        self.hungry
            .retain(|id| self.workers.iter().any(|slot| slot.id == *id));
        let recipients: Vec<usize> = if self.hungry.is_empty() {
            self.workers
                .first()
                .map(|slot| slot.id)
                .into_iter()
                .collect()
        } else {
            self.hungry.clone()
        };
        let shares = split(self.spare_quota, recipients.len());
        for (id, share) in recipients.iter().zip(shares) {
            if let Some(slot) = self.workers.iter_mut().find(|slot| slot.id == *id) {
                if share > 0 {
                    let _ = slot.command_tx.send(WorkerCommand::AddQuota(share));
                    slot.idle = false;
                }
                self.spare_quota -= share;
            }
        }
    }

    fn recycle(&mut self, mut interval: Interval) {
        if self.spare_ticks.len() < SPARE_TICKS {
            interval.reset();
            self.spare_ticks.push(interval);
        }
    }

    fn snapshot(&mut self) -> Tick {
        let done = self.max_requests.is_some()
            && self.retiring.is_empty()
            && self.spare_quota == 0
            && self.workers.iter().all(|slot| slot.idle);
        Tick {
            elapsed: self.start.elapsed(),
            interval: std::mem::replace(
                &mut self.pending,
                self.spare_ticks
                    .pop()
                    .unwrap_or_else(|| Interval::with_requests(self.target.named_slots)),
            ),
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

    pub(crate) async fn run(
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
                    Some(Control::Recycle(interval)) => self.recycle(interval),
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
