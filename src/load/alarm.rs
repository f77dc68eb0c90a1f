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
        if !self.spin_budget_left(now) {
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
        let fires_at = due.checked_sub(self.lead(now)).unwrap_or(due).max(now);
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
            }
        }
        None
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
            self.woke(Instant::now());
        }
    }
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
mod tests {
    use super::*;

    fn on_worker_runtime(test: impl AsyncFnOnce(Rc<Alarm>)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&runtime, async {
            let alarm = Alarm::new().unwrap();
            tokio::task::spawn_local(alarm.clone().drive());
            test(alarm).await;
        });
    }

    #[test]
    fn waiters_wake_at_their_due_time_never_before_and_in_order() {
        on_worker_runtime(async |alarm| {
            let start = Instant::now();
            let order = Rc::new(RefCell::new(Vec::new()));
            // Out of order on purpose: the timer is re-armed for earlier ones.
            let dues = [900u64, 300, 600, 2_000];
            let mut tasks = Vec::new();
            for (index, offset) in dues.into_iter().enumerate() {
                let (alarm, order) = (alarm.clone(), order.clone());
                let due = start + Duration::from_micros(offset);
                tasks.push(tokio::task::spawn_local(async move {
                    alarm.until(due).await;
                    let woke = Instant::now();
                    order.borrow_mut().push(index);
                    woke.saturating_duration_since(due)
                }));
            }
            for task in tasks {
                let late = task.await.unwrap();
                // Loose: a loaded 2-core machine may hold the thread off
                // the CPU; tokio's timer alone would wake up to 1 ms late.
                assert!(late < Duration::from_millis(50), "late by {late:?}");
            }
            assert_eq!(*order.borrow(), vec![1, 2, 0, 3]);
        });
    }

    #[test]
    fn a_past_due_time_is_ready_at_once() {
        on_worker_runtime(async |alarm| {
            alarm.until(Instant::now()).await;
            // Nothing was queued for a time that had already come.
            assert!(alarm.waiting.borrow().is_empty());
            assert_eq!(alarm.armed.get(), None);
        });
    }

    #[test]
    fn the_timer_is_armed_early_by_the_learned_wake_delay_within_bounds() {
        on_worker_runtime(async |alarm| {
            assert_eq!(
                alarm.lead(Instant::now()),
                Duration::ZERO,
                "nothing learned yet"
            );
            let start = Instant::now();
            // Wake-ups 10 ms apart, each 100 µs after the timer fired.
            for n in 0..50u64 {
                alarm
                    .fires_at
                    .set(Some(start + Duration::from_millis(10 * n)));
                alarm.woke(start + Duration::from_millis(10 * n) + Duration::from_micros(100));
            }
            assert_eq!(alarm.lead(Instant::now()), Duration::from_micros(100));
            // A machine that wakes very late is still only led by MAX_LEAD.
            alarm.wake_delay.set(Duration::from_millis(5));
            assert_eq!(alarm.lead(Instant::now()), MAX_LEAD);
            // At a high rate (wake-ups 40 µs apart) the lead shrinks with the gap.
            alarm.wake_gap.set(Duration::from_micros(40));
            assert_eq!(alarm.lead(Instant::now()), Duration::from_micros(10));
        });
    }

    #[test]
    fn moving_average_starts_at_the_first_sample_and_follows_slowly() {
        let first = moving_average(Duration::ZERO, Duration::from_micros(80));
        assert_eq!(first, Duration::from_micros(80));
        let next = moving_average(first, Duration::from_micros(160));
        assert_eq!(next, Duration::from_micros(90));
    }

    #[test]
    fn spinning_ahead_of_sends_stops_when_the_window_budget_is_spent() {
        on_worker_runtime(async |alarm| {
            alarm.wake_gap.set(Duration::from_millis(10));
            alarm.wake_delay.set(Duration::from_micros(100));
            assert_eq!(alarm.lead(Instant::now()), Duration::from_micros(100));
            alarm.spun.set(SPIN_WINDOW / SPIN_BUDGET_SHARE);
            assert_eq!(alarm.lead(Instant::now()), Duration::ZERO, "budget spent");
            let next_window = alarm.spin_window.get().unwrap() + SPIN_WINDOW;
            assert!(alarm.spin_budget_left(next_window), "a new window");
            assert_eq!(alarm.spun.get(), Duration::ZERO);
        });
    }
}
