//! The live bottleneck diagnosis: once a second (when the ledger closes a
//! second) the session builds [`diagnosis::Inputs`] from the last ticks, the
//! latest monitor sample, the server's gauges and the plan, calls the pure
//! [`diagnosis::diagnose`], and keeps the verdict: per second for the
//! report's timeline, per stage for its table, and once it has held for
//! [`VERDICT_HOLD_SECS`] as the dashboard's line and an event. The work is a
//! few sums over a dozen ticks: nothing here reads a file or waits.
//!
//! The saturation banner ([`super::saturation`]) and the verdict must never
//! blame different parties: [`banner_agrees`] drops a banner the verdict
//! contradicts.

use std::collections::VecDeque;

use crate::diagnosis::ProcessLoad;
use crate::diagnosis::{self, Bottleneck, Diagnosis, GeneratorLoad, Inputs};
use crate::report::EventKind;
use crate::snapshot::{SaturatedParty, SaturationAlert};

use super::pools::{nearest, scraped_pool, server_pool};
use super::{Session, TICK};

/// Ticks the verdict looks back over: two seconds, long enough that one
/// slow tick is not a stall and a burst after it does not hide one, short
/// enough that a stage of a few seconds gets its own verdict.
pub const WINDOW_TICKS: usize = 8;
/// A new verdict shows (and is recorded as an event) only after it held
/// this many consecutive seconds: a resource at its limit flickers between
/// saturated and not from one second to the next, and an event a second
/// would bury the ones that matter.
pub const VERDICT_HOLD_SECS: u32 = 2;
/// Seconds the shed rate is measured over: the window's.
const SHED_WINDOW_SECS: usize = WINDOW_TICKS * TICK.as_millis() as usize / 1000;

/// One engine tick's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct TickCounts {
    attempts: u64,
    failed: u64,
    /// Requests were expected in this tick (open model: at least one due;
    /// closed model: connections open), so a tick without any is silence.
    expecting: bool,
}

#[derive(Debug, Default)]
pub struct Diagnoser {
    ticks: VecDeque<TickCounts>,
    /// The stage the ticks belong to; a new stage starts a new window.
    stage: usize,
    /// Timeline points already judged.
    judged_seconds: usize,
    /// Per judged second: (run second, verdict), for the report's timeline.
    pub per_second: Vec<(u64, Bottleneck)>,
    /// The verdict shown: the last one that held long enough.
    shown: Option<Diagnosis>,
    /// A different verdict waiting to hold, and for how many seconds it has.
    pending: Option<(Bottleneck, u32)>,
    /// Send lag p50 at the previous judgement, to see it grow.
    previous_lag_us: Option<u64>,
    /// The last judgement saw the target's process or its pool.
    target_visible: bool,
    /// (run second, the server's shed count) at the judgements of the
    /// window, to tell how many requests a second load shedding refuses.
    shed_counts: VecDeque<(u64, u64)>,
}

impl Diagnoser {
    /// The verdict the dashboard shows.
    pub fn shown(&self) -> Option<&Diagnosis> {
        self.shown.as_ref()
    }

    /// See [`banner_agrees`].
    pub fn agrees_with(&self, banner: &SaturationAlert) -> bool {
        banner_agrees(
            banner,
            self.shown.as_ref().map(|d| d.bottleneck),
            self.target_visible,
        )
    }

    /// The timeline verdict of run second `second`.
    pub fn at_second(&self, second: u64) -> Option<Bottleneck> {
        self.per_second
            .iter()
            .rev()
            .find(|(s, _)| *s == second)
            .map(|(_, b)| *b)
    }

    fn observe_tick(&mut self, stage: usize, counts: TickCounts) {
        if stage != self.stage {
            self.stage = stage;
            self.ticks.clear();
            self.shed_counts.clear();
        }
        if self.ticks.len() == WINDOW_TICKS {
            self.ticks.pop_front();
        }
        self.ticks.push_back(counts);
    }

    /// Keeps the server's shed count of run second `second` (the counts
    /// of the window's seconds and the one before it).
    fn observe_shed(&mut self, second: u64, shed: u64) {
        if self.shed_counts.len() > SHED_WINDOW_SECS {
            self.shed_counts.pop_front();
        }
        self.shed_counts.push_back((second, shed));
    }

    /// Requests refused by load shedding per second over the window. The
    /// server's stats are read once a second, not in step with the
    /// judgements, so one second's difference may hold none or two reads:
    /// the window's two seconds smooth that.
    fn shed_rate(&self) -> f64 {
        match (self.shed_counts.front(), self.shed_counts.back()) {
            (Some(&(from, before)), Some(&(to, now))) if to > from => {
                now.saturating_sub(before) as f64 / (to - from) as f64
            }
            _ => 0.0,
        }
    }

    /// Keeps `diagnosis` as the shown verdict once it held long enough;
    /// returns the event text when the shown verdict changes.
    fn settle(&mut self, diagnosis: Diagnosis) -> Option<String> {
        let bottleneck = diagnosis.bottleneck;
        if self.shown.as_ref().map(|d| d.bottleneck) == Some(bottleneck) {
            // The same verdict: fresh figures, no event.
            self.shown = Some(diagnosis);
            self.pending = None;
            return None;
        }
        let held = match self.pending {
            Some((pending, held)) if pending == bottleneck => held + 1,
            _ => 1,
        };
        if held < VERDICT_HOLD_SECS {
            self.pending = Some((bottleneck, held));
            return None;
        }
        self.pending = None;
        let text = format!("bottleneck: {}", diagnosis.sentence());
        self.shown = Some(diagnosis);
        Some(text)
    }
}

/// Whether the saturation banner may show beside the verdict: a banner
/// that blames the generator while the verdict names a target resource, or
/// the target while the verdict names the generator or finds the target
/// with room to spare, blames the wrong party and is dropped (the verdict
/// has the more specific evidence). A starved generator with a target at
/// ease (`none`) is consistent and keeps its banner. So is a target banner
/// beside `none` when nothing of the target was visible (a URL without
/// `--pid`): that `none` found no saturated resource, it cleared nothing.
pub fn banner_agrees(
    banner: &SaturationAlert,
    verdict: Option<Bottleneck>,
    target_visible: bool,
) -> bool {
    let Some(verdict) = verdict else {
        return true;
    };
    match banner.party {
        SaturatedParty::Generator => matches!(verdict, Bottleneck::Generator | Bottleneck::None),
        SaturatedParty::Target => match verdict {
            Bottleneck::Generator => false,
            Bottleneck::None => !target_visible,
            _ => true,
        },
    }
}

impl Session<'_> {
    /// Called with each engine tick, before its interval goes back.
    pub(super) fn observe_diagnosis_tick(&mut self, tick: &crate::stats::Interval) {
        let due_per_tick = self
            .current
            .target_rate()
            .map(|rate| rate * TICK.as_secs_f64());
        let expecting = !self.paused
            && self.current.open_connections > 0
            && due_per_tick.is_none_or(|due| due >= 1.0);
        let stage = self.ledger.stages.len().saturating_sub(1);
        self.diagnoser.observe_tick(
            stage,
            TickCounts {
                attempts: tick.attempts(),
                failed: tick.failed(),
                expecting,
            },
        );
    }

    /// Judges each second the ledger closed since the last call.
    pub(super) fn diagnose_second(&mut self) {
        let seconds = self.ledger.timeline.len();
        if seconds == self.diagnoser.judged_seconds {
            return;
        }
        self.diagnoser.judged_seconds = seconds;
        let Some(second) = self.ledger.timeline.last().map(|p| p.second) else {
            return;
        };
        if let Some(view) = &self.server_view {
            self.diagnoser.observe_shed(second, view.shed);
        }
        let inputs = self.diagnosis_inputs();
        let verdict = diagnosis::diagnose(&inputs);
        self.diagnoser.previous_lag_us = inputs.generator.send_lag_p50_us;
        self.diagnoser.target_visible = inputs.target.is_some() || inputs.pool.is_some();
        self.diagnoser.per_second.push((second, verdict.bottleneck));
        if let Some(stage) = self.ledger.current_stage_mut() {
            stage.verdicts.add(&verdict);
        }
        if let Some(text) = self.diagnoser.settle(verdict) {
            self.event(EventKind::Target, text);
        }
    }

    fn diagnosis_inputs(&self) -> Inputs {
        let ticks = &self.diagnoser.ticks;
        let window_secs = (ticks.len().max(1) as f64) * TICK.as_secs_f64();
        let attempts: u64 = ticks.iter().map(|t| t.attempts).sum();
        let failed: u64 = ticks.iter().map(|t| t.failed).sum();
        let mut longest_silent = 0usize;
        let mut silent = 0usize;
        for tick in ticks {
            silent = if tick.expecting && tick.attempts == 0 {
                silent + 1
            } else {
                0
            };
            longest_silent = longest_silent.max(silent);
        }
        let sample = self.latest_sample.as_ref();
        let target = sample.and_then(|s| {
            let process = s.target.as_ref()?;
            let signals = s.signals.process.unwrap_or_default();
            let cores = s
                .signals
                .allowed_cores
                .unwrap_or(s.system.per_core.len() as u32)
                .max(1);
            Some(ProcessLoad {
                cpu_percent: process.cpu_percent,
                allowed_cores: cores,
                busiest_thread_cpu: signals.busiest_thread_cpu,
                busiest_thread_busy: signals.busiest_thread_busy,
                threads_near_full_core: signals.threads_near_full_core,
                io_wait_percent: signals.io_wait_percent,
            })
        });
        let database = sample.and_then(|s| {
            let db = s.database.as_ref()?;
            Some(ProcessLoad {
                cpu_percent: db.cpu_percent,
                allowed_cores: (s.system.per_core.len() as u32).max(1),
                io_wait_percent: db.io_wait_percent,
                ..ProcessLoad::default()
            })
        });
        let achieved_rate = attempts.saturating_sub(failed) as f64 / window_secs;
        let scraped = self
            .scraped_pools
            .iter()
            .filter_map(|pool| scraped_pool(pool, achieved_rate));
        let pool = nearest(
            self.server_view
                .as_ref()
                .and_then(|view| server_pool(view, achieved_rate))
                .into_iter()
                .chain(scraped),
        );
        Inputs {
            window_secs,
            offered_rate: self.current.target_rate(),
            achieved_rate,
            failed_rate: failed as f64 / window_secs,
            shed_rate: self.diagnoser.shed_rate(),
            longest_silence_secs: longest_silent as f64 * TICK.as_secs_f64(),
            generator: GeneratorLoad {
                busiest_worker_cpu: sample.and_then(|s| s.worker_cpu_max).unwrap_or(0.0),
                busiest_worker_busy: sample.and_then(|s| s.worker_busy_max).unwrap_or(0.0),
                send_lag_p50_us: self.send_lag.p50_us(),
                send_lag_p50_us_before: self.diagnoser.previous_lag_us,
            },
            target,
            database,
            pool,
            listen_overflows: sample
                .and_then(|s| s.signals.listen)
                .map_or(0, |listen| listen.overflows),
        }
    }
}

#[cfg(test)]
#[path = "diagnose_tests.rs"]
mod tests;
