//! When a connection sends. The closed model sends as soon as the previous
//! response is done; the open model follows a per-connection schedule of
//! intended send times one period apart (period = connections / rate), each
//! connection offset by its phase so that sends are spread evenly. Latency in
//! the open model is measured from the intended time, so a slow server cannot
//! hide its stalls by slowing the generator down (coordinated omission).

use std::time::Duration;

use tokio::time::Instant;

/// Beyond this a period is clamped: rates that low are idle in practice.
const LONGEST_PERIOD: Duration = Duration::from_secs(24 * 3600);

/// Period of one connection's schedule when `connections` share `rate`.
pub(crate) fn period_for(rate: f64, connections: usize) -> Duration {
    let secs = connections.max(1) as f64 / rate;
    Duration::try_from_secs_f64(secs)
        .unwrap_or(LONGEST_PERIOD)
        .clamp(Duration::from_nanos(1), LONGEST_PERIOD)
}

/// One connection's open-model schedule.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    period: Duration,
    next: Instant,
}

impl Schedule {
    /// The first send is due `phase` (0..1) of a period after `origin`.
    pub(crate) fn new(period: Duration, phase: f64, origin: Instant) -> Self {
        Schedule {
            period,
            next: origin + period.mul_f64(phase.clamp(0.0, 1.0)),
        }
    }

    /// The intended time of the next send.
    pub(crate) fn next(&self) -> Instant {
        self.next
    }

    /// The next send was performed (or abandoned): move to the one after.
    pub(crate) fn advance(&mut self) {
        self.next += self.period;
    }

    /// Sends that were due at or before `at` and have not gone out.
    pub(crate) fn backlog(&self, at: Instant) -> u64 {
        if self.next > at {
            return 0;
        }
        let behind = (at - self.next).as_nanos();
        u64::try_from(behind / self.period.as_nanos().max(1)).unwrap_or(u64::MAX) + 1
    }
}

/// Doubling reconnect delay: a refusing or resetting target is retried
/// without spinning, and a healthy one is reconnected at once.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    delay: Option<Duration>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const LONGEST: Duration = Duration::from_secs(1);

    /// The wait before the next connect, if the last attempt failed.
    pub(crate) fn delay(&self) -> Option<Duration> {
        self.delay
    }

    pub(crate) fn failed(&mut self) {
        self.delay = Some(match self.delay {
            None => Self::FIRST,
            Some(delay) => (delay * 2).min(Self::LONGEST),
        });
    }

    pub(crate) fn succeeded(&mut self) {
        self.delay = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_steps_by_period_and_counts_backlog() {
        let origin = Instant::now();
        let period = period_for(100.0, 10); // 10 conns at 100/s: 100 ms each
        assert_eq!(period, Duration::from_millis(100));
        let mut schedule = Schedule::new(period, 0.5, origin);
        assert_eq!(schedule.next(), origin + Duration::from_millis(50));
        assert_eq!(schedule.backlog(origin), 0);
        assert_eq!(schedule.backlog(origin + Duration::from_millis(50)), 1);
        assert_eq!(schedule.backlog(origin + Duration::from_millis(349)), 3);
        schedule.advance();
        assert_eq!(schedule.next(), origin + Duration::from_millis(150));
    }

    #[test]
    fn extreme_rates_do_not_panic() {
        assert_eq!(period_for(1e-30, 1), LONGEST_PERIOD);
        assert_eq!(period_for(1e30, 1), Duration::from_nanos(1));
    }

    #[test]
    fn backoff_doubles_to_a_ceiling_and_resets() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.delay(), None);
        for _ in 0..20 {
            backoff.failed();
        }
        assert_eq!(backoff.delay(), Some(Duration::from_secs(1)));
        backoff.succeeded();
        backoff.failed();
        assert_eq!(backoff.delay(), Some(Duration::from_millis(10)));
    }
}
