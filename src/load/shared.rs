//! What a worker's pacing units share: the run's immutable [`Target`], the
//! worker's control cells and recorder ([`WorkerShared`], single-threaded,
//! so plain cells), and each connection's own switch ([`ConnControl`]).
//! Below the worker, the connection loop and the links, so each of them
//! depends on this and none on the others' callers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::alarm::Alarm;
use super::prepared::PreparedRequest;
use super::transport::Dialer;
use crate::stats::Interval;

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

/// Per-connection switch the worker flips to close this one connection.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    pub(crate) retire: Cell<bool>,
    /// Requests written and awaiting their response (up to one per HTTP/2
    /// stream; at most one on HTTP/1.1).
    pub(crate) in_flight: Cell<u32>,
    /// When a worker added this connection to a running schedule (`None`
    /// for its initial ones): its first intended send is never earlier.
    pub(crate) joined: Cell<Option<Instant>>,
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
    /// A worker's cells at its start; `origin` is where its schedules begin.
    pub(crate) fn new(
        target: Arc<Target>,
        period: Option<Duration>,
        paused: bool,
        quota: Option<u64>,
        origin: Instant,
    ) -> Self {
        WorkerShared {
            recorder: RefCell::new(Interval::with_requests(target.named_slots)),
            target,
            period: Cell::new(period),
            paused: Cell::new(paused),
            stopping: Cell::new(false),
            epoch: Cell::new(0),
            changed_at: Cell::new(origin),
            last_pause: Cell::new((0, origin)),
            quota: Cell::new(quota),
            open_connections: Cell::new(0),
            released: Cell::new(0),
            wake: Notify::new(),
            alarm: Alarm::new().ok(),
        }
    }

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

    /// Bumps the epoch so every connection re-reads the control cells.
    pub(crate) fn changed(&self) {
        self.epoch.set(self.epoch.get() + 1);
        self.changed_at.set(Instant::now());
        self.wake.notify_waiters();
    }

    /// Hands `share` of the unspent quota back, to be reported for new workers.
    pub(crate) fn release_quota(&self, share: f64) {
        if let Some(left) = self.quota.get() {
            let give = ((left as f64 * share).floor() as u64).min(left);
            self.quota.set(Some(left - give));
            self.released.set(self.released.get() + give);
        }
    }

    pub(crate) fn add_quota(&self, more: u64) {
        self.quota.set(self.quota.get().map(|left| left + more));
    }

    pub(crate) fn quota_left(&self) -> Option<u64> {
        self.quota.get()
    }

    /// Quota released since the last report.
    pub(crate) fn take_released(&self) -> u64 {
        self.released.take()
    }

    /// A report that could not be delivered keeps its released quota here.
    pub(crate) fn keep_released(&self, released: u64) {
        self.released.set(self.released.get() + released);
    }
}
