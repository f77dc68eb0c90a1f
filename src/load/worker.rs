//! A generator thread: one OS thread with a current-thread runtime that owns
//! its connection tasks and its [`Interval`]. Commands from the coordinator
//! arrive on a channel and are turned into cells the connections read between
//! requests; every tick the interval is swapped out and offered to the
//! coordinator with `try_send` (if the channel is full it is merged back, so
//! nothing is lost and nothing blocks). The coordinator empties the intervals
//! it has merged and sends them back, so a tick swaps in a recycled interval
//! and allocates nothing. On stop the connections finish their in-flight
//! request, and the final interval is delivered with a real send.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::LocalSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::alarm::Alarm;
use super::conn::{self, ConnControl};
use super::h2::H2Request;
use super::transport::Dialer;
use crate::stats::Interval;

/// How long a stopping worker waits for in-flight responses before it
/// abandons them (counted as request timeouts), so that stop is prompt even
/// against a stalled target with a long timeout.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// One request of the mix, ready to write.
#[derive(Debug)]
pub(crate) struct PreparedRequest {
    pub(crate) bytes: Bytes,
    pub(crate) head: bool,
    /// Index of its name's per-request statistics.
    pub(crate) slot: usize,
    /// The request in HTTP/2 form (`Some` when the run speaks HTTP/2).
    pub(crate) h2: Option<H2Request>,
}

/// Everything about the target a connection needs; immutable for the run.
#[derive(Debug)]
pub(crate) struct Target {
    /// Address, connect timeout and TLS: how to open a connection.
    pub(crate) dialer: Dialer,
    pub(crate) requests: Box<[PreparedRequest]>,
    /// The order of sends (indices into `requests`), see `mix`.
    pub(crate) wheel: Box<[u16]>,
    /// Per-name statistics kept (0 for a single name).
    pub(crate) named_slots: usize,
    /// Connections at the start: the denominator of their phases.
    pub(crate) initial_connections: usize,
    pub(crate) timeout: Duration,
    pub(crate) keepalive: bool,
    /// Each connection is one HTTP/2 connection of `h2_streams` streams.
    pub(crate) http2: bool,
    pub(crate) h2_streams: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum WorkerCommand {
    Connections(usize),
    /// Open model period per connection; `None` = closed model.
    Pacing(Option<Duration>),
    Pause,
    Resume,
    AddQuota(u64),
    /// Hand this fraction of the unspent quota back (for new workers).
    ReleaseQuota(f64),
    Stop,
}

#[derive(Debug)]
pub(crate) struct WorkerReport {
    pub(crate) worker: usize,
    pub(crate) interval: Interval,
    pub(crate) open_connections: u64,
    /// The worker's request quota is spent and its connections are gone.
    pub(crate) idle: bool,
    /// The worker's last report: carries the quota it did not spend.
    pub(crate) last: Option<Option<u64>>,
    /// Quota given back on `ReleaseQuota`.
    pub(crate) released: u64,
}

/// State shared by one worker's tasks. Single-threaded: plain cells.
pub(crate) struct WorkerShared {
    pub(crate) target: Arc<Target>,
    pub(crate) recorder: RefCell<Interval>,
    pub(crate) period: Cell<Option<Duration>>,
    pub(crate) paused: Cell<bool>,
    pub(crate) stopping: Cell<bool>,
    /// Bumped on every pacing, pause or stop change; connections compare.
    pub(crate) epoch: Cell<u64>,
    pub(crate) changed_at: Cell<Instant>,
    /// Epoch and time of the latest pause.
    pub(crate) last_pause: Cell<(u64, Instant)>,
    quota: Cell<Option<u64>>,
    pub(crate) open_connections: Cell<u64>,
    /// Quota released for other workers, not yet reported.
    released: Cell<u64>,
    /// Wakes connections that wait on a pacer, a backoff or a pause.
    pub(crate) wake: Notify,
    /// Microsecond timer for open-model sends (`None` if the kernel refused
    /// a timerfd: sends then fall back to tokio's millisecond timer).
    pub(crate) alarm: Option<Rc<Alarm>>,
}

impl WorkerShared {
    pub(crate) fn fresh_interval(&self) -> Interval {
        Interval::with_requests(self.target.named_slots)
    }

    pub(crate) fn has_quota(&self) -> bool {
        self.quota.get() != Some(0)
    }

    pub(crate) fn take_quota(&self) -> bool {
        match self.quota.get() {
            None => true,
            Some(0) => false,
            Some(left) => {
                self.quota.set(Some(left - 1));
                true
            }
        }
    }

    fn changed(&self) {
        self.epoch.set(self.epoch.get() + 1);
        self.changed_at.set(Instant::now());
        self.wake.notify_waiters();
    }
}

pub(crate) struct WorkerSetup {
    pub(crate) id: usize,
    pub(crate) target: Arc<Target>,
    pub(crate) connections: usize,
    /// Phases of the initial connections (stagger across all threads).
    pub(crate) phases: Vec<f64>,
    pub(crate) period: Option<Duration>,
    pub(crate) paused: bool,
    pub(crate) quota: Option<u64>,
    /// The run's start: ticks are aligned to it.
    pub(crate) start: Instant,
    /// Where the schedules of this worker's first connections begin: the
    /// run's start for the workers it starts with, the spawn for one added
    /// mid-run (which must not owe sends from before it existed).
    pub(crate) origin: Instant,
    pub(crate) tick: Duration,
    pub(crate) report_tx: mpsc::Sender<WorkerReport>,
    pub(crate) command_rx: mpsc::UnboundedReceiver<WorkerCommand>,
    /// Emptied intervals coming back from the coordinator for reuse.
    pub(crate) spare_rx: mpsc::UnboundedReceiver<Interval>,
}

struct ConnSlot {
    control: Rc<ConnControl>,
    task: tokio::task::JoinHandle<()>,
}

/// Spawns the named thread; the runtime is built here so failure is reported.
pub(crate) fn spawn(setup: WorkerSetup) -> std::io::Result<JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name(format!("loadtop-worker-{}", setup.id))
        .spawn(move || LocalSet::new().block_on(&runtime, run(setup)))
}

async fn run(mut setup: WorkerSetup) {
    let shared = Rc::new(WorkerShared {
        target: setup.target.clone(),
        recorder: RefCell::new(Interval::with_requests(setup.target.named_slots)),
        period: Cell::new(setup.period),
        paused: Cell::new(setup.paused),
        stopping: Cell::new(false),
        epoch: Cell::new(0),
        changed_at: Cell::new(setup.origin),
        last_pause: Cell::new((0, setup.origin)),
        quota: Cell::new(setup.quota),
        open_connections: Cell::new(0),
        released: Cell::new(0),
        wake: Notify::new(),
        alarm: Alarm::new().ok(),
    });
    if let Some(alarm) = shared.alarm.clone() {
        tokio::task::spawn_local(alarm.drive());
    }
    let mut slots: Vec<ConnSlot> = Vec::new();
    let mut target_connections = setup.connections;
    let mut phases = std::mem::take(&mut setup.phases);
    reconcile(&shared, &mut slots, target_connections, &mut phases, true);

    let mut ticker = tokio::time::interval_at(setup.start + setup.tick, setup.tick);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => flush(&shared, &slots, &mut setup),
            command = setup.command_rx.recv() => match command {
                None | Some(WorkerCommand::Stop) => break,
                Some(WorkerCommand::Connections(n)) => {
                    target_connections = n;
                    reconcile(&shared, &mut slots, target_connections, &mut phases, false);
                }
                Some(WorkerCommand::Pacing(period)) => {
                    shared.period.set(period);
                    shared.changed();
                }
                Some(WorkerCommand::Pause) => {
                    shared.paused.set(true);
                    shared.changed();
                    shared.last_pause.set((shared.epoch.get(), shared.changed_at.get()));
                }
                Some(WorkerCommand::Resume) => {
                    shared.paused.set(false);
                    shared.changed();
                }
                Some(WorkerCommand::ReleaseQuota(share)) => {
                    if let Some(left) = shared.quota.get() {
                        let give = ((left as f64 * share).floor() as u64).min(left);
                        shared.quota.set(Some(left - give));
                        shared.released.set(shared.released.get() + give);
                    }
                }
                Some(WorkerCommand::AddQuota(more)) => {
                    shared.quota.set(shared.quota.get().map(|left| left + more));
                    reconcile(&shared, &mut slots, target_connections, &mut phases, false);
                }
            },
        }
    }

    shared.stopping.set(true);
    shared.changed();
    let deadline = Instant::now() + STOP_GRACE;
    for ConnSlot { control, mut task } in slots {
        // A connection task that panicked has nothing more to give.
        if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
            task.abort();
            // Unanswered after the grace: they timed out as far as this run knows.
            for _ in 0..control.in_flight.get() {
                shared
                    .recorder
                    .borrow_mut()
                    .record_error(crate::stats::ErrorKind::RequestTimeout);
            }
        }
    }
    let report = WorkerReport {
        worker: setup.id,
        interval: shared.recorder.replace(shared.fresh_interval()),
        open_connections: 0,
        idle: true,
        last: Some(shared.quota.get()),
        released: shared.released.take(),
    };
    // The coordinator waits for this report; it only fails if it is gone.
    let _ = setup.report_tx.send(report).await;
}

/// Opens or retires connections until `target` are live (none are opened
/// once the quota is spent). Connections opened after the worker's first
/// ones join the running schedule from now: a fresh connection owes no
/// sends from before it existed, so a live change never causes a burst.
fn reconcile(
    shared: &Rc<WorkerShared>,
    slots: &mut Vec<ConnSlot>,
    target: usize,
    phases: &mut Vec<f64>,
    initial: bool,
) {
    slots.retain(|slot| !slot.task.is_finished());
    let live: Vec<usize> = (0..slots.len())
        .filter(|&i| !slots[i].control.retire.get())
        .collect();
    if live.len() > target {
        for &i in &live[target..] {
            slots[i].control.retire.set(true);
        }
        shared.wake.notify_waiters();
        return;
    }
    if !shared.has_quota() {
        return;
    }
    for _ in live.len()..target {
        // Initial connections get even phases; later ones random phases,
        // which spread just as well on average.
        let phase = phases.pop().unwrap_or_else(fastrand::f64);
        let control = Rc::new(ConnControl::default());
        if !initial {
            control.joined.set(Some(Instant::now()));
        }
        let task = tokio::task::spawn_local(conn::run(shared.clone(), control.clone(), phase));
        slots.push(ConnSlot { control, task });
    }
}

fn flush(shared: &WorkerShared, slots: &[ConnSlot], setup: &mut WorkerSetup) {
    // Only the first ticks (and a coordinator that lags) find no spare.
    let spare = setup
        .spare_rx
        .try_recv()
        .unwrap_or_else(|_| shared.fresh_interval());
    let interval = shared.recorder.replace(spare);
    let report = WorkerReport {
        worker: setup.id,
        interval,
        open_connections: shared.open_connections.get(),
        idle: !shared.has_quota() && slots.iter().all(|slot| slot.task.is_finished()),
        last: None,
        released: shared.released.take(),
    };
    match setup.report_tx.try_send(report) {
        Ok(()) => {}
        Err(TrySendError::Full(report) | TrySendError::Closed(report)) => {
            shared.recorder.borrow_mut().merge(&report.interval);
            shared.released.set(shared.released.get() + report.released);
        }
    }
}
