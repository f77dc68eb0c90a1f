//! A generator thread: one OS thread with a current-thread runtime that owns
//! its connection tasks and its [`Interval`]. Commands from the coordinator
//! arrive on a channel and are turned into cells the connections read between
//! requests; every tick the interval is swapped out and offered to the
//! coordinator with `try_send` (if the channel is full it is merged back, so
//! nothing is lost and nothing blocks). The coordinator empties the intervals
//! it has merged and sends them back, so a tick swaps in a recycled interval
//! and allocates nothing. On stop the connections finish their in-flight
//! request, and the final interval is delivered with a real send.

use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::LocalSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::shared::{ConnControl, Target, WorkerShared};
use super::{h1, h2};
use crate::stats::Interval;

/// How long a stopping worker waits for in-flight responses before it
/// abandons them (counted as request timeouts), so that stop is prompt even
/// against a stalled target with a long timeout.
const STOP_GRACE: Duration = Duration::from_secs(1);

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
    let shared = Rc::new(WorkerShared::new(
        setup.target.clone(),
        setup.period,
        setup.paused,
        setup.quota,
        setup.origin,
    ));
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
                Some(WorkerCommand::ReleaseQuota(share)) => shared.release_quota(share),
                Some(WorkerCommand::AddQuota(more)) => {
                    shared.add_quota(more);
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
        last: Some(shared.quota_left()),
        released: shared.take_released(),
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
        let task = tokio::task::spawn_local(connect(shared.clone(), control.clone(), phase));
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
        released: shared.take_released(),
    };
    match setup.report_tx.try_send(report) {
        Ok(()) => {}
        Err(TrySendError::Full(report) | TrySendError::Closed(report)) => {
            shared.recorder.borrow_mut().merge(&report.interval);
            shared.keep_released(report.released);
        }
    }
}

/// Starts the right kind of connection for the run's transport.
async fn connect(shared: Rc<WorkerShared>, control: Rc<ConnControl>, phase: f64) {
    if shared.target.http2 {
        h2::run(shared, control, phase).await;
    } else {
        h1::run(shared, control, phase).await;
    }
}
