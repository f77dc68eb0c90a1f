//! The generator's own lateness over the last second: the median send lag
//! of each of the last few ticks, for the saturation rule (sends that lag
//! while the target answers fast point at loadtop, not the target).

use std::collections::VecDeque;

use crate::stats::Interval;

/// Ticks in the window: one second at the engine's 250 ms tick.
const WINDOW_TICKS: usize = 4;

#[derive(Debug, Default)]
pub struct RecentSendLag {
    /// Per tick, newest last: its median send lag (µs), `None` without sends.
    medians: VecDeque<Option<u64>>,
}

impl RecentSendLag {
    pub fn add(&mut self, tick: &Interval) {
        let median = tick
            .phases
            .as_ref()
            .filter(|phases| !phases.send_lag.is_empty())
            .map(|phases| phases.send_lag.value_at_quantile(0.5));
        if self.medians.len() == WINDOW_TICKS {
            self.medians.pop_front();
        }
        self.medians.push_back(median);
    }

    /// The median of the window's tick medians; `None` without open-model sends.
    pub fn p50_us(&self) -> Option<u64> {
        let mut medians: Vec<u64> = self.medians.iter().flatten().copied().collect();
        if medians.is_empty() {
            return None;
        }
        medians.sort_unstable();
        Some(medians[medians.len() / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick_with_lags(lags_us: &[u64]) -> Interval {
        let mut interval = Interval::new();
        let mut phases = crate::stats::Phases::default();
        for &lag in lags_us {
            phases.send_lag.record(lag).unwrap();
        }
        interval.phases = Some(Box::new(phases));
        interval
    }

    #[test]
    fn the_window_keeps_the_last_second_of_ticks() {
        let mut recent = RecentSendLag::default();
        assert_eq!(recent.p50_us(), None);
        recent.add(&Interval::new());
        assert_eq!(recent.p50_us(), None);
        for _ in 0..4 {
            recent.add(&tick_with_lags(&[10, 20, 30]));
        }
        assert_eq!(recent.p50_us(), Some(20));
        // Four lagging ticks push the fast ones out of the window.
        for _ in 0..4 {
            recent.add(&tick_with_lags(&[4_000, 5_000, 6_000]));
        }
        let p50 = recent.p50_us().unwrap();
        assert!((4_990..=5_010).contains(&p50), "{p50}");
    }
}
