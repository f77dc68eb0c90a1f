//! Resource monitoring: CPU, memory, threads and sockets of the generator
//! (this process), of an optional target process, and of the whole system.
//!
//! A [`Monitor`] owns one named thread (`loadtop-monitor`) that wakes every
//! interval, refreshes only the two pids it watches plus system CPU and memory
//! (never the whole process table), and pushes a [`ResourceSample`] into a
//! bounded channel with `try_send`: the sampler never blocks on a slow reader.
//! The session reads the samples, folds them into per-stage [`ResourceStats`]
//! and turns the latest one into the dashboard's resource view. A target that exits is an event in a sample, never an error.

mod database;
mod process;
mod procfs;
mod sampler;
mod signal_stats;
mod signals;
mod sockets;
mod stats;
mod target_signals;

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use database::DatabaseSample;
pub use process::CLOCK_TICKS_PER_SEC;
pub use procfs::WORKER_THREAD_PREFIX;
pub use signal_stats::SignalStats;
pub use signals::{NEAR_FULL_CORE_PERCENT, ProcessSignals, SignalSampler};
pub use sockets::{ListenQueue, SocketStates, socket_states};
pub use stats::ResourceStats;
pub use target_signals::TargetSignals;

/// CPU figures are differences between two reads (sysinfo's for the system,
/// the tick counters of `/proc` for processes, which advance in 1/100 s
/// steps); closer than this the figures are noise, so the interval never
/// goes below it.
pub const MINIMUM_INTERVAL: Duration = sysinfo::MINIMUM_CPU_UPDATE_INTERVAL;

/// How many samples wait for a reader. A reader that lags further loses
/// samples (the sampler skips sending) but never the one-shot events.
pub const SAMPLE_QUEUE_CAPACITY: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorConfig {
    /// Clamped to at least [`MINIMUM_INTERVAL`].
    pub interval: Duration,
    pub target_pid: Option<u32>,
    /// The target's port on this machine, for its socket states.
    pub target_port: Option<u16>,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            interval: Duration::from_secs(1),
            target_pid: None,
            target_port: None,
        }
    }
}

impl MonitorConfig {
    /// The interval the sampler really uses.
    pub fn effective_interval(&self) -> Duration {
        self.interval.max(MINIMUM_INTERVAL)
    }
}

/// One process at one instant. CPU in percent of one core (200 = two cores).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessSample {
    pub pid: u32,
    pub cpu_percent: f32,
    pub rss_bytes: u64,
    /// `None` where `/proc/PID/task` cannot be read (another user, not Linux).
    pub threads: Option<u64>,
    /// Open sockets; `None` where `/proc/PID/fd` cannot be read.
    pub sockets: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemSample {
    /// All cores together in percent of one core, like the process figures
    /// (a fully busy 2-core machine reads 200), so they compare directly.
    pub cpu_percent: f32,
    /// Each core in percent of itself (0..=100).
    pub per_core: Vec<f32>,
    pub mem_used: u64,
    pub mem_total: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceSample {
    pub at: Instant,
    pub generator: ProcessSample,
    /// The busiest generator worker thread (named `loadtop-worker*`) in
    /// percent of one core; near 100 the generator itself is the bottleneck.
    /// `None` when no worker thread was seen in two consecutive samples.
    pub worker_cpu_max: Option<f32>,
    /// The highest share of the interval any worker thread wanted a CPU (on
    /// one, or runnable and waiting for one), in percent. Near 100 that
    /// thread never idles: the generator is the limit even on a machine
    /// whose other processes leave it less than a whole core.
    pub worker_busy_max: Option<f32>,
    /// `None` when no target is set or after it exited.
    pub target: Option<ProcessSample>,
    /// Set in exactly one sample: the target pid vanished or became a zombie.
    pub target_exited: Option<u32>,
    /// The database's processes (see [`DatabaseWatch::set_database_pid`]); `None`
    /// when none is watched, on its first sample and once it is gone.
    pub database: Option<DatabaseSample>,
    pub system: SystemSample,
    /// The target's threads, cores, sockets and the accept queue (boxed:
    /// samples travel by value through the session's event channel).
    pub signals: Box<TargetSignals>,
}

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("cannot read system information: {0}")]
    System(#[from] sysinfo::Error),
    #[error("cannot start the monitor thread: {0}")]
    Spawn(#[source] std::io::Error),
}

/// Messages from the [`Monitor`] handle to its thread.
#[derive(Debug)]
enum Control {
    SetTarget(Option<u32>),
    SetDatabase(Option<u32>),
    Stop,
}

/// Handle to the sampler thread; dropping it stops and joins the thread
/// within one sample's work, not a whole interval.
#[derive(Debug)]
pub struct Monitor {
    samples_rx: Receiver<ResourceSample>,
    control_tx: Sender<Control>,
    interval: Duration,
    sampler_thread: Option<JoinHandle<()>>,
}

impl Monitor {
    pub fn spawn(config: MonitorConfig) -> Result<Monitor, MonitorError> {
        let interval = config.effective_interval();
        // Built here so that a failure reaches the caller instead of dying silently in the thread.
        let sampler = sampler::Sampler::new(config.target_pid, config.target_port)?;
        let (samples_tx, samples_rx) = mpsc::sync_channel(SAMPLE_QUEUE_CAPACITY);
        let (control_tx, control_rx) = mpsc::channel();
        let sampler_thread = std::thread::Builder::new()
            .name("loadtop-monitor".into())
            .spawn(move || sampler::run(sampler, interval, control_rx, samples_tx))
            .map_err(MonitorError::Spawn)?;
        Ok(Monitor {
            samples_rx,
            control_tx,
            interval,
            sampler_thread: Some(sampler_thread),
        })
    }

    /// Samples in the order taken. Drain with `try_iter()` and keep the last
    /// for a live view; fold all of them for statistics.
    pub fn samples(&self) -> &Receiver<ResourceSample> {
        &self.samples_rx
    }

    /// Watch another process (or none) from the next sample on. Switching
    /// targets emits no `target_exited` event for the old one.
    pub fn set_target_pid(&self, pid: Option<u32>) {
        // The thread only ends when the handle drops, so a failed send cannot matter.
        let _ = self.control_tx.send(Control::SetTarget(pid));
    }

    /// Watch a PostgreSQL postmaster and its children (or none) from the
    /// next sample on; a handle for it that other threads can keep.
    pub fn database_watch(&self) -> DatabaseWatch {
        DatabaseWatch {
            control_tx: self.control_tx.clone(),
        }
    }

    /// The sampling interval in force (after clamping).
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

/// Sets the database the monitor watches; cheap to clone and to call with
/// the same pid again (only a change takes a new baseline).
#[derive(Clone, Debug)]
pub struct DatabaseWatch {
    control_tx: Sender<Control>,
}

impl DatabaseWatch {
    pub fn set_database_pid(&self, pid: Option<u32>) {
        // A monitor that has stopped has nothing left to watch with.
        let _ = self.control_tx.send(Control::SetDatabase(pid));
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.control_tx.send(Control::Stop);
        if let Some(thread) = self.sampler_thread.take() {
            // A panic in the sampler has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}

/// Hand a sample to the reader without blocking. A full queue drops the
/// sample but keeps its exit event in `pending_exit` for the next one, so the
/// event is delivered exactly once. Returns false when the reader is gone.
fn deliver(
    mut sample: ResourceSample,
    samples_tx: &SyncSender<ResourceSample>,
    pending_exit: &mut Option<u32>,
) -> bool {
    if sample.target_exited.is_none() {
        sample.target_exited = pending_exit.take();
    }
    match samples_tx.try_send(sample) {
        Ok(()) => true,
        Err(mpsc::TrySendError::Full(dropped)) => {
            if dropped.target_exited.is_some() {
                *pending_exit = dropped.target_exited;
            }
            true
        }
        Err(mpsc::TrySendError::Disconnected(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(exited: Option<u32>) -> ResourceSample {
        ResourceSample {
            at: Instant::now(),
            generator: ProcessSample::default(),
            worker_cpu_max: None,
            worker_busy_max: None,
            target: None,
            target_exited: exited,
            database: None,
            system: SystemSample::default(),
            signals: Box::default(),
        }
    }

    #[test]
    fn interval_is_clamped_to_the_sysinfo_minimum() {
        let config = MonitorConfig {
            interval: Duration::from_millis(1),
            ..MonitorConfig::default()
        };
        assert_eq!(config.effective_interval(), MINIMUM_INTERVAL);
        assert_eq!(
            MonitorConfig::default().effective_interval(),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn exit_event_survives_a_full_queue_and_is_delivered_once() {
        let (tx, rx) = mpsc::sync_channel(1);
        let mut pending = None;
        assert!(deliver(sample(None), &tx, &mut pending));
        // Queue full: this sample is dropped but its event is kept.
        assert!(deliver(sample(Some(42)), &tx, &mut pending));
        assert_eq!(pending, Some(42));
        assert_eq!(rx.try_recv().unwrap().target_exited, None);
        assert!(deliver(sample(None), &tx, &mut pending));
        assert_eq!(pending, None);
        assert_eq!(rx.try_recv().unwrap().target_exited, Some(42));
        assert!(deliver(sample(None), &tx, &mut pending));
        assert_eq!(rx.try_recv().unwrap().target_exited, None);
        drop(rx);
        assert!(!deliver(sample(None), &tx, &mut pending));
    }
}
