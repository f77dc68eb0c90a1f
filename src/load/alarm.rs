//! Microsecond wake-ups for the open model's sends. tokio's timer wheel has a
//! resolution of one millisecond (deadlines are rounded up to the next tick
//! and the reactor parks in `epoll_wait` with a millisecond timeout), so a
//! send paced by `tokio::time::sleep` leaves up to ~1 ms after its intended
//! time, and that wait lands in every corrected latency. A worker therefore
//! keeps one `timerfd` (an hrtimer: no timer slack applies to it) registered
//! with its reactor, armed for the earliest due send; when it fires, the
//! driver task wakes every connection whose time has come. Connections
//! waiting on the same worker share the one descriptor, the waiting list is
//! a heap whose capacity settles at the number of connections (no allocation
//! per request), and the descriptor is re-armed only when the earliest due
//! time changes.
//!
//! An hrtimer fires on time, but the thread it wakes does not run on time:
//! an idle CPU (a halted virtual CPU above all) takes tens to hundreds of
//! microseconds to come back. The alarm learns that wake-up delay (a moving
//! average of how late each timer wake-up ran) and arms the timer that much
//! early; whatever is left of the wait when it wakes is spent yielding to
//! the runtime, which keeps polling sockets meanwhile. So the spin covers
//! only the delay's jitter, not the delay. It is bounded by [`MAX_LEAD`], by
//! a share of the time between wake-ups, and by a budget of 1/32 of the
//! wall clock per 100 ms window, so it never grows into a busy core.
//!
//! Above [`DENSE_RATE`] sends a second on one worker the opposite holds: the
//! thread is woken so often that the wake-ups cost more than the sends, so
//! wake-ups are spaced to serve about [`SENDS_PER_WAKE`] sends each (at
//! most [`MAX_COALESCE`] apart), which bounds the send lag there instead.

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use rustix::time::{
    Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec, timerfd_create,
    timerfd_settime,
};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

/// A wait this short is finished by yielding to the runtime rather than by
/// arming the timer: one more wake-up would cost more than it saves.
const SPIN: Duration = Duration::from_micros(5);
/// The most the timer is armed ahead of a due time.
const MAX_LEAD: Duration = Duration::from_micros(250);
/// The lead is at most this fraction (1/N) of the time between wake-ups, so
/// at high rates, where the thread rarely sleeps, it shrinks to nothing.
const LEAD_SHARE_OF_GAP: u32 = 4;
/// Yielding ahead of due sends may take at most 1/N of the wall clock, per
/// window: at high rates the thread is awake anyway and wakes on time, and
/// the spin must never grow into a busy core.
const SPIN_BUDGET_SHARE: u32 = 32;
const SPIN_WINDOW: Duration = Duration::from_millis(100);
/// Above this many sends a second on one worker, wake-ups are coalesced: a
/// wake-up from idle costs more CPU than the send it makes, so at 20,000
/// req/s one wake-up per send cost 36-44 ms of CPU per 1,000 requests
/// against 24-32 with coalescing (send lag p50 12 -> 127 µs). Set a quarter
/// above 10,000 so that a worker asked for 10,000 (where the send lag target
/// of 20 µs applies) never crosses it on a second's jitter.
const DENSE_RATE: f64 = 12_500.0;
/// When sends are dense, each wake-up serves about this many.
const SENDS_PER_WAKE: f64 = 4.0;
/// The most a send waits for company: the send lag's bound when coalescing.
const MAX_COALESCE: Duration = Duration::from_micros(200);
const RATE_WINDOW: Duration = Duration::from_millis(100);
/// Weight of a new observation in the moving averages (1/N).
const AVERAGE_WEIGHT: u32 = 8;

struct Waiting {
    due: Instant,
    waker: Waker,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due
    }
}
impl Eq for Waiting {}
impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        self.due.cmp(&other.due)
    }
}

/// One worker's high-resolution timer.
pub(crate) struct Alarm {
    timer: AsyncFd<OwnedFd>,
    waiting: RefCell<BinaryHeap<Reverse<Waiting>>>,
    /// The due time the descriptor is armed for, if any.
    armed: Cell<Option<Instant>>,
    /// When the descriptor will actually fire: `armed` minus the lead.
    fires_at: Cell<Option<Instant>>,
    /// Moving average of how late the thread ran after the timer fired.
    wake_delay: Cell<Duration>,
    /// Moving average of the time between timer wake-ups.
    wake_gap: Cell<Duration>,
    last_wake: Cell<Option<Instant>>,
    /// The current spin-budget window's start and the time spun in it.
    spin_window: Cell<Option<Instant>>,
    spun: Cell<Duration>,
    /// Sends woken in the current rate window, and that window's start.
    woken_in_window: Cell<u32>,
    rate_window: Cell<Option<Instant>>,
    /// The least time between timer wake-ups: zero unless sends are dense.
    coalesce: Cell<Duration>,
}

impl Alarm {
    /// Creates the descriptor; needs the worker's runtime (its reactor).
    pub(crate) fn new() -> io::Result<Rc<Alarm>> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
        )?;
        // `with_interest` is deprecated because an `AsRawFd` in general may
        // close its descriptor while registered; an `OwnedFd` moved in here
        // lives exactly as long as the registration, which is the safe case
        // (the replacement, `register`, is `unsafe`, which this crate forbids).
        #[allow(deprecated)]
        let timer = AsyncFd::with_interest(fd, Interest::READABLE)?;
        Ok(Rc::new(Alarm {
            timer,
            waiting: RefCell::new(BinaryHeap::new()),
            armed: Cell::new(None),
            fires_at: Cell::new(None),
            wake_delay: Cell::new(Duration::ZERO),
            wake_gap: Cell::new(Duration::ZERO),
            last_wake: Cell::new(None),
            spin_window: Cell::new(None),
            spun: Cell::new(Duration::ZERO),
            woken_in_window: Cell::new(0),
            rate_window: Cell::new(None),
            coalesce: Cell::new(Duration::ZERO),
        }))
    }

    /// Resolves at `due` (within microseconds). Dropping it early is fine:
    /// the stale entry only wakes its task once more, harmlessly.
    pub(crate) fn until(&self, due: Instant) -> Until<'_> {
        Until { alarm: self, due }
    }

    fn push(&self, due: Instant, waker: &Waker) {
        let mut waiting = self.waiting.borrow_mut();
        let earliest = waiting.peek().is_none_or(|Reverse(first)| due < first.due);
        waiting.push(Reverse(Waiting {
            due,
            waker: waker.clone(),
        }));
        drop(waiting);
        if earliest && self.armed.get().is_none_or(|armed| due < armed) {
            self.arm(due);
        }
    }

    /// How far ahead of a due time the timer is armed.
    fn lead(&self, now: Instant) -> Duration {
        if !self.coalesce.get().is_zero() || !self.spin_budget_left(now) {
            return Duration::ZERO;
        }
        (self.wake_gap.get() / LEAD_SHARE_OF_GAP)
            .min(self.wake_delay.get())
            .min(MAX_LEAD)
    }

    fn spin_budget_left(&self, now: Instant) -> bool {
        let start = *self.spin_window.get().get_or_insert(now);
        if now.saturating_duration_since(start) >= SPIN_WINDOW {
            self.spin_window.set(Some(now));
            self.spun.set(Duration::ZERO);
            return true;
        }
        self.spin_window.set(Some(start));
        self.spun.get() < SPIN_WINDOW / SPIN_BUDGET_SHARE
    }

    /// The timer woke the thread at `now`: learn how late that was.
    fn woke(&self, now: Instant) {
        if let Some(fires_at) = self.fires_at.take() {
            let delay = now.saturating_duration_since(fires_at);
            self.wake_delay
                .set(moving_average(self.wake_delay.get(), delay));
        }
        if let Some(last) = self.last_wake.replace(Some(now)) {
            let gap = now.saturating_duration_since(last);
            self.wake_gap.set(moving_average(self.wake_gap.get(), gap));
        }
    }

    fn arm(&self, due: Instant) {
        let now = Instant::now();
        let mut fires_at = due.checked_sub(self.lead(now)).unwrap_or(due).max(now);
        if let Some(last) = self.last_wake.get() {
            fires_at = fires_at.max(last + self.coalesce.get());
        }
        // Relative arming: a zero value would disarm, so at least 1 ns.
        let wait = fires_at
            .saturating_duration_since(now)
            .max(Duration::from_nanos(1));
        let spec = Itimerspec {
            it_interval: Timespec::default(),
            it_value: Timespec {
                tv_sec: i64::try_from(wait.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: wait.subsec_nanos().into(),
            },
        };
        // Only fails for an invalid descriptor or value, neither possible here.
        if timerfd_settime(self.timer.get_ref(), TimerfdTimerFlags::empty(), &spec).is_ok() {
            self.armed.set(Some(due));
            self.fires_at.set(Some(fires_at));
        }
    }

    /// Wakes every waiter whose time has come; returns the next due time.
    fn fire(&self) -> Option<Instant> {
        let now = Instant::now();
        let mut waiting = self.waiting.borrow_mut();
        while let Some(Reverse(first)) = waiting.peek() {
            if first.due > now {
                return Some(first.due);
            }
            if let Some(Reverse(entry)) = waiting.pop() {
                entry.waker.wake();
                self.woken_in_window.set(self.woken_in_window.get() + 1);
            }
        }
        None
    }

    /// At the end of each rate window: how dense the sends were, and so
    /// how far apart the timer's wake-ups must be.
    fn follow_rate(&self, now: Instant) {
        let start = *self.rate_window.get().get_or_insert(now);
        let elapsed = now.saturating_duration_since(start);
        if elapsed < RATE_WINDOW {
            self.rate_window.set(Some(start));
            return;
        }
        let rate = f64::from(self.woken_in_window.replace(0)) / elapsed.as_secs_f64();
        self.rate_window.set(Some(now));
        self.coalesce.set(coalescing_for(rate));
    }

    /// The worker's driver task: runs for the worker's life.
    pub(crate) async fn drive(self: Rc<Self>) {
        loop {
            if let Some(next) = self.fire() {
                let before = Instant::now();
                let remaining = next.saturating_duration_since(before);
                if remaining <= SPIN.max(self.lead(before)) {
                    tokio::task::yield_now().await;
                    if remaining > SPIN {
                        self.spun.set(self.spun.get() + before.elapsed());
                    }
                    continue;
                }
                if self.armed.get() != Some(next) {
                    self.arm(next);
                }
            }
            let Ok(mut guard) = self.timer.readable().await else {
                return;
            };
            // Re-arming resets the expiry count, so a read is not needed to
            // clear it; only tokio's readiness flag is cleared.
            guard.clear_ready();
            self.armed.set(None);
            let now = Instant::now();
            self.woke(now);
            self.follow_rate(now);
        }
    }
}

/// The least time between wake-ups at `rate` sends a second: none up to
/// [`DENSE_RATE`], then long enough for [`SENDS_PER_WAKE`] sends, at most
/// [`MAX_COALESCE`].
fn coalescing_for(rate: f64) -> Duration {
    if rate <= DENSE_RATE {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(SENDS_PER_WAKE / rate).min(MAX_COALESCE)
}

fn moving_average(average: Duration, sample: Duration) -> Duration {
    if average.is_zero() {
        return sample;
    }
    (average * (AVERAGE_WEIGHT - 1) + sample) / AVERAGE_WEIGHT
}

/// The future of [`Alarm::until`].
pub(crate) struct Until<'a> {
    alarm: &'a Alarm,
    due: Instant,
}

impl Future for Until<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.due {
            return Poll::Ready(());
        }
        self.alarm.push(self.due, cx.waker());
        Poll::Pending
    }
}

#[cfg(test)]
#[path = "alarm_tests.rs"]
mod tests;
