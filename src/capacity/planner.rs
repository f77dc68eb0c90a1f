//! The session side of a capacity search: a [`StagePlanner`] that judges each
//! finished probe, feeds the [`Search`] and hands the session the next probe
//! as a stage. The search state is shared (`Arc<Mutex<…>>`, locked once per
//! stage, never on the request path) so the command can print the probes and
//! the answer after the run.
//!
//! After a failed probe the target holds a queue of up to one request per
//! connection; a short unmeasured `settle` stage at 1 req/s lets it drain,
//! so the next probe does not inherit the last one's latency. Bisection
//! probes sit near capacity, so every one of them is followed by a settle.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::load::Model;
use crate::plan::StagePlan;
use crate::profile::Threshold;
use crate::server::knobs::KnobPatch;
use crate::session::{FinishedStage, StagePlanner};

use super::probe::{self, Probe, ProbeContext, thousands};
use super::search::{Search, Stop};

/// The settle stage's rate: as little load as the open model allows.
const SETTLE_RATE: f64 = 1.0;
/// Shortest settle: two engine ticks, so a tick that straddles the stage
/// edge lands in the settle stage and not in the next probe.
const SHORTEST_SETTLE: Duration = Duration::from_millis(500);

/// The search and every probe so far, shared by the planner and the command.
#[derive(Debug)]
pub struct SearchState {
    pub search: Search,
    pub probes: Vec<Probe>,
}

pub type SharedSearch = Arc<Mutex<SearchState>>;

pub fn shared(search: Search) -> SharedSearch {
    Arc::new(Mutex::new(SearchState {
        search,
        probes: Vec::new(),
    }))
}

/// Locks the shared state; a panic elsewhere leaves the data readable.
pub fn lock(state: &SharedSearch) -> MutexGuard<'_, SearchState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Called with each probe as it is judged (the command prints it).
pub type ProbeObserver = Box<dyn FnMut(&Probe) + Send>;

pub struct CapacityPlanner {
    state: SharedSearch,
    slos: Vec<Threshold>,
    step_time: Duration,
    connections: usize,
    baseline_service_us: Option<u64>,
    observer: Option<ProbeObserver>,
}

impl CapacityPlanner {
    pub fn new(
        state: SharedSearch,
        slos: Vec<Threshold>,
        step_time: Duration,
        connections: usize,
    ) -> CapacityPlanner {
        CapacityPlanner {
            state,
            slos,
            step_time,
            connections,
            baseline_service_us: None,
            observer: None,
        }
    }

    pub fn with_observer(mut self, observer: ProbeObserver) -> CapacityPlanner {
        self.observer = Some(observer);
        self
    }

    /// The stage for probe `number` at `rate`.
    pub fn probe_stage(&self, number: usize, rate: f64) -> StagePlan {
        StagePlan {
            model: Model::Open { rate },
            name: format!("probe {number}: {rate:.0} req/s"),
            duration: Some(self.step_time),
            connections: None,
            ramp: false,
            knobs: KnobPatch::default(),
            // The session evaluates them too, so the dashboard and the
            // report show every probe's verdict.
            thresholds: self.slos.clone(),
            measured: true,
        }
    }

    /// Long enough for a full queue (one request per connection) to drain
    /// at the rate the target just managed.
    fn settle_stage(&self, achieved: f64) -> StagePlan {
        let longest = self.step_time.max(SHORTEST_SETTLE);
        let drain = if achieved >= 1.0 {
            Duration::try_from_secs_f64(1.5 * self.connections as f64 / achieved).unwrap_or(longest)
        } else {
            longest
        };
        StagePlan {
            model: Model::Open { rate: SETTLE_RATE },
            name: "settle".into(),
            duration: Some(drain.clamp(SHORTEST_SETTLE, longest)),
            connections: None,
            ramp: false,
            knobs: KnobPatch::default(),
            thresholds: Vec::new(),
            measured: false,
        }
    }
}

impl StagePlanner for CapacityPlanner {
    fn next_stage(&mut self, finished: &FinishedStage<'_>) -> Option<StagePlan> {
        let state = self.state.clone();
        let mut state = lock(&state);
        if !finished.stage.measured {
            // The warm-up or a settle stage ended: the pending probe runs.
            let rate = state.search.next_rate()?;
            return Some(self.probe_stage(state.probes.len() + 1, rate));
        }
        let rate = finished
            .stage
            .model
            .rate()
            .or_else(|| state.search.next_rate())
            .unwrap_or(0.0);
        let judged = probe::judge(
            &ProbeContext {
                number: state.probes.len() + 1,
                rate,
                slos: &self.slos,
                worker_cpu: finished.worker_cpu,
                worker_busy: finished.worker_busy,
                open_connections: finished.open_connections,
                streams_per_connection: finished.streams_per_connection,
                baseline_service_us: self.baseline_service_us,
                step_time: self.step_time,
            },
            &finished.summary,
            &finished.requests,
        );
        if judged.passed() && judged.generator_limit.is_none() && finished.summary.requests > 0 {
            let service = finished.summary.service.p50_us;
            self.baseline_service_us =
                Some(self.baseline_service_us.map_or(service, |b| b.min(service)));
        }
        if let Some(observer) = self.observer.as_mut() {
            observer(&judged);
        }
        let next = state.search.record(rate, judged.result());
        let passed = judged.passed();
        let achieved = judged.achieved;
        state.probes.push(judged);
        let next = next?;
        // Once bisecting, probes sit near capacity where even a pass may
        // leave a queue behind.
        if passed && state.search.first_fail().is_none() {
            Some(self.probe_stage(state.probes.len() + 1, next))
        } else {
            Some(self.settle_stage(achieved))
        }
    }

    fn conclusion(&self) -> Option<String> {
        Some(conclusion(&lock(&self.state), &self.slos))
    }
}

/// The SLOs as one phrase: `p99<50ms and errors<1%`.
pub fn slo_text(slos: &[Threshold]) -> String {
    let texts: Vec<&str> = slos.iter().map(|s| s.expr.as_str()).collect();
    texts.join(" and ")
}

/// The answer in one line, for the event list, the summary and the dashboard.
pub fn conclusion(state: &SearchState, slos: &[Threshold]) -> String {
    let search = &state.search;
    let slos = slo_text(slos);
    let answer = |pass: f64| format!("max rate meeting {slos}: {} req/s", thousands(pass));
    match (search.stop(), search.best_pass()) {
        (Some(Stop::Converged), Some(pass)) => {
            let fail = search.first_fail().unwrap_or(pass);
            format!(
                "{} (bracket {}–{})",
                answer(pass),
                thousands(pass),
                thousands(fail)
            )
        }
        (Some(Stop::CapReached), Some(pass)) => format!(
            "{} (the --max-rate cap; the target may go higher)",
            answer(pass)
        ),
        (Some(Stop::GeneratorLimit { achieved }), best) => {
            let stopped = format!(
                "stopped: the generator saturated at ~{} req/s",
                thousands(achieved)
            );
            match best {
                Some(pass) => format!("{stopped}; the answer is a lower bound: {}", answer(pass)),
                None => format!("{stopped} before any probe passed; no answer"),
            }
        }
        (Some(Stop::StartFailed), _) | (Some(_), None) => {
            let start = search.config().start_rate.min(search.config().max_rate);
            format!(
                "no rate met {slos}: even the start rate {} req/s failed",
                thousands(start)
            )
        }
        (None, Some(pass)) => format!(
            "search not finished: {} req/s passed so far (a lower bound)",
            thousands(pass)
        ),
        (None, None) => "search not finished: no probe passed yet".into(),
    }
}
