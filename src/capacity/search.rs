//! The capacity search as a pure state machine: it is told how each probe
//! went and answers with the next rate to probe, or stops. Doubling from the
//! start rate until a probe fails, then bisecting between the highest pass
//! and the lowest failure until they are within the precision. No clock, no
//! I/O: the planner feeds it, and the tests feed it synthetic results.

pub use crate::plan::SearchConfig;

/// How one probe went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProbeResult {
    /// Every SLO held at this rate.
    Pass,
    /// An SLO failed and the target was the limit.
    Fail,
    /// The generator, not the target, was the limit: nothing above this can
    /// be judged. `passed` says whether the SLOs still held; `achieved` is
    /// the rate the generator managed.
    GeneratorLimited { passed: bool, achieved: f64 },
}

/// Why the search ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// Pass and failure are within the precision.
    Converged,
    /// `max_rate` passed: the target may go higher.
    CapReached,
    /// The first probe (the start rate) already failed.
    StartFailed,
    /// The generator saturated at about `achieved` req/s; the answer (if
    /// any) is a lower bound.
    GeneratorLimit { achieved: f64 },
}

#[derive(Clone, Debug)]
pub struct Search {
    config: SearchConfig,
    best_pass: Option<f64>,
    first_fail: Option<f64>,
    next: Option<f64>,
    stop: Option<Stop>,
}

impl Search {
    pub fn new(config: SearchConfig) -> Search {
        Search {
            config,
            best_pass: None,
            first_fail: None,
            next: Some(whole(config.start_rate.min(config.max_rate))),
            stop: None,
        }
    }

    pub fn config(&self) -> SearchConfig {
        self.config
    }

    /// The rate to probe next; `None` once stopped.
    pub fn next_rate(&self) -> Option<f64> {
        self.next
    }

    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// The highest rate that passed: the answer.
    pub fn best_pass(&self) -> Option<f64> {
        self.best_pass
    }

    /// The lowest rate that failed (the bracket's upper end).
    pub fn first_fail(&self) -> Option<f64> {
        self.first_fail
    }

    /// Records the probe at `rate` and returns the next rate to probe.
    pub fn record(&mut self, rate: f64, result: ProbeResult) -> Option<f64> {
        if self.stop.is_some() {
            return None;
        }
        let passed = match result {
            ProbeResult::Pass => true,
            ProbeResult::Fail => false,
            ProbeResult::GeneratorLimited { passed, achieved } => {
                if passed {
                    self.best_pass = Some(self.best_pass.map_or(rate, |p| p.max(rate)));
                }
                return self.finish(Stop::GeneratorLimit { achieved });
            }
        };
        if passed {
            self.best_pass = Some(self.best_pass.map_or(rate, |p| p.max(rate)));
        } else {
            self.first_fail = Some(self.first_fail.map_or(rate, |f| f.min(rate)));
        }
        let Some(pass) = self.best_pass else {
            // Rates only go up until the first failure, so a failure with no
            // pass yet is the start rate.
            return self.finish(Stop::StartFailed);
        };
        match self.first_fail {
            None if pass >= self.config.max_rate => self.finish(Stop::CapReached),
            None => self.go(whole((pass * 2.0).min(self.config.max_rate))),
            Some(fail) => {
                if fail - pass <= self.config.precision * pass {
                    return self.finish(Stop::Converged);
                }
                let middle = whole((pass + fail) / 2.0);
                if middle <= pass || middle >= fail {
                    // Whole req/s cannot split the bracket any further.
                    return self.finish(Stop::Converged);
                }
                self.go(middle)
            }
        }
    }

    fn go(&mut self, rate: f64) -> Option<f64> {
        self.next = Some(rate);
        self.next
    }

    fn finish(&mut self, stop: Stop) -> Option<f64> {
        self.stop = Some(stop);
        self.next = None;
        None
    }
}

/// Probes ask for whole requests per second: easier to read, and a finer
/// step is noise at any realistic probe length.
fn whole(rate: f64) -> f64 {
    rate.round().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SearchConfig {
        SearchConfig {
            start_rate: 100.0,
            max_rate: 1_000_000.0,
            precision: 0.05,
        }
    }

    /// Runs a search against a target that passes every rate up to `capacity`.
    fn against(config: SearchConfig, capacity: f64) -> (Vec<f64>, Search) {
        let mut search = Search::new(config);
        let mut probes = Vec::new();
        while let Some(rate) = search.next_rate() {
            probes.push(rate);
            assert!(probes.len() < 64, "the search does not end: {probes:?}");
            let result = if rate <= capacity {
                ProbeResult::Pass
            } else {
                ProbeResult::Fail
            };
            search.record(rate, result);
        }
        (probes, search)
    }

    #[test]
    fn doubles_then_bisects_to_the_precision() {
        let (probes, search) = against(config(), 730.0);
        assert_eq!(
            probes,
            vec![100.0, 200.0, 400.0, 800.0, 600.0, 700.0, 750.0, 725.0]
        );
        assert_eq!(search.stop(), Some(Stop::Converged));
        assert_eq!(search.best_pass(), Some(725.0));
        assert_eq!(search.first_fail(), Some(750.0));
    }

    #[test]
    fn bracket_always_contains_the_capacity() {
        for capacity in [150.0, 333.0, 1_000.0, 3_150.0, 12_345.0, 99_999.0] {
            for precision in [0.01, 0.05, 0.2] {
                let config = SearchConfig {
                    precision,
                    ..config()
                };
                let (probes, search) = against(config, capacity);
                let pass = search.best_pass().unwrap();
                let fail = search.first_fail().unwrap();
                assert!(
                    pass <= capacity && capacity < fail,
                    "{capacity}: {probes:?}"
                );
                assert!(fail - pass <= (precision * pass).max(1.0), "{probes:?}");
                assert_eq!(search.stop(), Some(Stop::Converged));
            }
        }
    }

    #[test]
    fn a_failing_start_rate_stops_at_once() {
        let (probes, search) = against(config(), 50.0);
        assert_eq!(probes, vec![100.0]);
        assert_eq!(search.stop(), Some(Stop::StartFailed));
        assert_eq!(search.best_pass(), None);
    }

    #[test]
    fn the_cap_bounds_doubling_and_ends_the_search_when_it_passes() {
        let config = SearchConfig {
            max_rate: 500.0,
            ..config()
        };
        let (probes, search) = against(config, 10_000.0);
        assert_eq!(probes, vec![100.0, 200.0, 400.0, 500.0]);
        assert_eq!(search.stop(), Some(Stop::CapReached));
        assert_eq!(search.best_pass(), Some(500.0));
        assert_eq!(search.first_fail(), None);
    }

    #[test]
    fn a_failure_at_the_cap_is_bisected_like_any_other() {
        let config = SearchConfig {
            max_rate: 500.0,
            ..config()
        };
        let (probes, search) = against(config, 450.0);
        assert_eq!(probes[..4], [100.0, 200.0, 400.0, 500.0]);
        assert_eq!(search.stop(), Some(Stop::Converged));
        assert!(search.best_pass().unwrap() <= 450.0);
        assert!(search.first_fail().unwrap() > 450.0);
    }

    #[test]
    fn generator_limit_stops_with_the_last_pass_as_a_lower_bound() {
        let mut search = Search::new(config());
        assert_eq!(search.record(100.0, ProbeResult::Pass), Some(200.0));
        assert_eq!(search.record(200.0, ProbeResult::Pass), Some(400.0));
        let limited = ProbeResult::GeneratorLimited {
            passed: false,
            achieved: 310.0,
        };
        assert_eq!(search.record(400.0, limited), None);
        assert_eq!(
            search.stop(),
            Some(Stop::GeneratorLimit { achieved: 310.0 })
        );
        assert_eq!(search.best_pass(), Some(200.0));
        // A generator-limited failure says nothing about the target.
        assert_eq!(search.first_fail(), None);
        // Nothing more is accepted once stopped.
        assert_eq!(search.record(300.0, ProbeResult::Pass), None);
        assert_eq!(search.best_pass(), Some(200.0));
    }

    #[test]
    fn a_generator_limited_pass_still_counts() {
        let mut search = Search::new(config());
        search.record(100.0, ProbeResult::Pass);
        let limited = ProbeResult::GeneratorLimited {
            passed: true,
            achieved: 199.0,
        };
        assert_eq!(search.record(200.0, limited), None);
        assert_eq!(search.best_pass(), Some(200.0));
    }

    #[test]
    fn whole_rates_end_a_bracket_that_cannot_be_split() {
        let config = SearchConfig {
            start_rate: 1.0,
            max_rate: 1_000.0,
            precision: 0.001,
        };
        let (probes, search) = against(config, 2.5);
        assert_eq!(probes, vec![1.0, 2.0, 4.0, 3.0]);
        assert_eq!(search.stop(), Some(Stop::Converged));
        assert_eq!(search.best_pass(), Some(2.0));
        assert_eq!(search.first_fail(), Some(3.0));
    }

    #[test]
    fn start_above_the_cap_probes_the_cap() {
        let config = SearchConfig {
            start_rate: 5_000.0,
            max_rate: 2_000.0,
            precision: 0.05,
        };
        assert_eq!(Search::new(config).next_rate(), Some(2_000.0));
    }
}
