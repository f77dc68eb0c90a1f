//! The bottleneck machinery behind the scenario routes: a resizable gate (a
//! semaphore that really runs out, used by the `/pool` DB pool and the
//! `/cpu` worker limit), the global stall clock, the token-bucket rate
//! limiter and the SHA-256 CPU burner. Knob changes flow in through
//! `Gate::resize` and `Stall::drive`; handlers only acquire and read.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, SemaphorePermit, watch};

use super::knobs::Knobs;
use super::stats::{PoolStats, bump};

/// A semaphore whose size changes live. Shrinking forgets free permits at
/// once and the rest as they come back (the `debt`), so capacity drops
/// without cancelling anyone who already holds a slot.
#[derive(Debug)]
pub(crate) struct Gate {
    semaphore: Semaphore,
    size: AtomicUsize,
    debt: AtomicUsize,
    in_use: AtomicUsize,
    resize_lock: Mutex<()>,
}

pub(crate) struct GateSlot<'a> {
    gate: &'a Gate,
    permit: Option<SemaphorePermit<'a>>,
}

impl Drop for GateSlot<'_> {
    fn drop(&mut self) {
        self.gate.in_use.fetch_sub(1, Ordering::Relaxed);
        if let Some(permit) = self.permit.take() {
            let repaid = self
                .gate
                .debt
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1))
                .is_ok();
            if repaid {
                permit.forget();
            }
        }
    }
}

impl Gate {
    pub fn new(size: usize) -> Self {
        Gate {
            semaphore: Semaphore::new(size),
            size: AtomicUsize::new(size),
            debt: AtomicUsize::new(0),
            in_use: AtomicUsize::new(0),
            resize_lock: Mutex::new(()),
        }
    }

    pub fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    pub fn resize(&self, new_size: usize) {
        let _serial = self
            .resize_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let old_size = self.size.swap(new_size, Ordering::AcqRel);
        if new_size > old_size {
            let mut grow = new_size - old_size;
            let _ = self
                .debt
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |debt| {
                    let repay = debt.min(grow);
                    Some(debt - repay)
                })
                .map(|debt| grow -= debt.min(grow));
            self.semaphore.add_permits(grow);
        } else if new_size < old_size {
            let shrink = old_size - new_size;
            let forgotten = self.semaphore.forget_permits(shrink);
            self.debt.fetch_add(shrink - forgotten, Ordering::AcqRel);
        }
    }

    /// Waits at most `timeout` for a slot.
    pub async fn acquire(&self, timeout: Duration) -> Option<GateSlot<'_>> {
        let permit = tokio::time::timeout(timeout, self.semaphore.acquire())
            .await
            .ok()?
            .ok()?;
        self.in_use.fetch_add(1, Ordering::Relaxed);
        Some(GateSlot {
            gate: self,
            permit: Some(permit),
        })
    }
}

/// The simulated DB pool: a gate plus the gauges a demo watches.
#[derive(Debug)]
pub(crate) struct Pool {
    pub gate: Gate,
    waiters: AtomicU64,
    timeouts: AtomicU64,
    wait_us: Mutex<Histogram<u64>>,
}

impl Pool {
    pub fn new(size: usize) -> Self {
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3)
            .or_else(|_| Histogram::new(3))
            .expect("a 3-digit histogram is always constructible");
        Pool {
            gate: Gate::new(size),
            waiters: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            wait_us: Mutex::new(histogram),
        }
    }

    pub async fn acquire(&self, timeout: Duration) -> Option<GateSlot<'_>> {
        let started = Instant::now();
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let slot = self.gate.acquire(timeout).await;
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        let waited_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut histogram = self.wait_us.lock().unwrap_or_else(PoisonError::into_inner);
        histogram.saturating_record(waited_us.max(1));
        drop(histogram);
        if slot.is_none() {
            bump(&self.timeouts);
        }
        slot
    }

    pub fn stats(&self) -> PoolStats {
        let histogram = self.wait_us.lock().unwrap_or_else(PoisonError::into_inner);
        let (p50, p99, max) = if histogram.is_empty() {
            (0, 0, 0)
        } else {
            (
                histogram.value_at_quantile(0.5),
                histogram.value_at_quantile(0.99),
                histogram.max(),
            )
        };
        PoolStats {
            size: self.gate.size() as u64,
            in_use: self.gate.in_use() as u64,
            waiters: self.waiters.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            wait_p50_us: p50,
            wait_p99_us: p99,
            wait_max_us: max,
        }
    }
}

/// The global stall: a background task moves `until_ns` forward; requests
/// read it (one relaxed load when no stall is configured) and sleep past it.
#[derive(Debug)]
pub(crate) struct Stall {
    epoch: Instant,
    /// Nanoseconds since `epoch` until which the server is stalled.
    until_ns: AtomicU64,
}

impl Stall {
    pub fn new() -> Self {
        Stall {
            epoch: Instant::now(),
            until_ns: AtomicU64::new(0),
        }
    }

    /// Time left in the current stall window, if one is active.
    pub fn remaining(&self) -> Option<Duration> {
        let until = self.until_ns.load(Ordering::Acquire);
        if until == 0 {
            return None;
        }
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        (until > now).then(|| Duration::from_nanos(until - now))
    }

    pub async fn wait_out(&self) {
        while let Some(left) = self.remaining() {
            tokio::time::sleep(left).await;
        }
    }

    fn begin(&self, length: Duration) {
        let until = self.epoch.elapsed() + length;
        let until_ns = u64::try_from(until.as_nanos()).unwrap_or(u64::MAX);
        self.until_ns.store(until_ns, Ordering::Release);
    }

    /// Runs until `knobs_rx` closes: every `stall_every_ms` opens a window of
    /// `stall_ms`; a knob change restarts the period.
    pub async fn drive(&self, mut knobs_rx: watch::Receiver<Knobs>, stalls: &AtomicU64) {
        loop {
            let (every, length) = {
                let knobs = knobs_rx.borrow_and_update();
                (knobs.stall_every_ms, knobs.stall_ms)
            };
            if every == 0 || length == 0 {
                self.until_ns.store(0, Ordering::Release);
                if knobs_rx.changed().await.is_err() {
                    return;
                }
                continue;
            }
            tokio::select! {
                changed = knobs_rx.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(every)) => {
                    self.begin(Duration::from_millis(length));
                    bump(stalls);
                    tokio::time::sleep(Duration::from_millis(length)).await;
                }
            }
        }
    }
}

/// A token bucket holding at most one second of tokens.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new() -> Self {
        RateLimiter {
            // Starts full: the first second may burst up to the rate.
            bucket: Mutex::new((f64::MAX, Instant::now())),
        }
    }

    /// Takes one token at `rps`; false means answer 429.
    pub fn try_take(&self, rps: u64) -> bool {
        let rate = rps as f64;
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, last) = *bucket;
        let refilled = (tokens + now.duration_since(last).as_secs_f64() * rate).min(rate.max(1.0));
        if refilled >= 1.0 {
            *bucket = (refilled - 1.0, now);
            true
        } else {
            *bucket = (refilled, now);
            false
        }
    }
}

/// `rounds` chained SHA-256 digests on the calling thread: real CPU work
/// the optimizer cannot skip because the result is returned.
pub(crate) fn burn_cpu(rounds: u64) -> [u8; 32] {
    let mut state = [0u8; 32];
    for _ in 0..rounds {
        let digest = Sha256::digest(state);
        state.copy_from_slice(&digest);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gate_shrinks_and_grows_live() {
        let gate = Gate::new(2);
        let a = gate.acquire(Duration::from_millis(10)).await.unwrap();
        let b = gate.acquire(Duration::from_millis(10)).await.unwrap();
        gate.resize(1);
        drop(a);
        // The returned permit paid the debt: still full at size 1.
        assert!(gate.acquire(Duration::from_millis(20)).await.is_none());
        drop(b);
        let c = gate.acquire(Duration::from_millis(20)).await.unwrap();
        assert!(gate.acquire(Duration::from_millis(20)).await.is_none());
        gate.resize(3);
        let d = gate.acquire(Duration::from_millis(20)).await.unwrap();
        let e = gate.acquire(Duration::from_millis(20)).await.unwrap();
        assert!(gate.acquire(Duration::from_millis(20)).await.is_none());
        assert_eq!(gate.in_use(), 3);
        drop((c, d, e));
    }

    #[test]
    fn rate_limiter_refuses_beyond_burst() {
        let limiter = RateLimiter::new();
        let granted = (0..20).filter(|_| limiter.try_take(5)).count();
        assert!((5..=6).contains(&granted), "{granted}");
    }

    #[test]
    fn cpu_burn_is_deterministic() {
        assert_eq!(burn_cpu(3), burn_cpu(3));
        assert_ne!(burn_cpu(3), burn_cpu(4));
    }
}
