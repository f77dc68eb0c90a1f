//! The saturation rule: when the numbers show a limit, whose is it? One pure
//! function over plain figures, used by the live banner (a second at a time)
//! and by `loadtop max` (a probe at a time).
//!
//! - **Generator**: loadtop itself is the limit. Its busiest worker thread
//!   wants a CPU nearly all the time (on one, or waiting in the run queue);
//!   or the open-model schedule falls behind (sends lag) while the worker
//!   waits for a CPU a fifth of the window or more (longer than it runs):
//!   it records its own wait as service time, so its connections look all
//!   busy and the target's answers slow (a worker only waits that long
//!   when it has work, so a target limit leaves it idle instead); or the
//!   schedule falls behind while connections sit idle and the target
//!   answers fast.
//! - **Target**: the schedule falls behind because the connections are
//!   waiting on the target: all of them busy (more connections, or a lower
//!   rate, would help; more threads would not), or its answers slowed down
//!   (it queues).
//!
//! Whether every connection is waiting comes from Little's law: completions
//! per second × mean service time is the mean number of requests in flight.

use crate::report::text::format_duration_us;

/// A worker thread that wants a CPU this share of the time (percent) never
/// idles: the generator cannot send any faster.
pub const WORKER_BUSY_PERCENT: f32 = 90.0;
/// Achieved below this share of the asked rate is "far below" (callers
/// whose windows are quantised to engine ticks allow less, see
/// [`LoadSignals::rate_allowance`]).
pub const FAR_BELOW: f64 = 0.8;
/// Late sends above this share of the attempts: the schedule is behind.
const LATE_SHARE: f64 = 0.2;
/// A rate far below the asked one counts as behind only with at least this
/// share of the sends late: with every send on time the generator kept its
/// schedule, and the shortfall is the window's tick quantisation.
const SOME_LATE: f64 = 0.02;
/// A median send this late (µs) is behind, whatever the late count says.
const SEND_LAG_BEHIND_US: u64 = 1_000;
/// A worker that waits in the run queue this share of the window (percent),
/// and longer than it runs, is starved of CPU: its sends lag because it
/// cannot run. (Measured: one worker sharing a CPU with three busy loops
/// waited 28–30% and ran 8–9%; a worker that keeps up waits far less than
/// it runs, even on a busy 2-core machine.)
pub const WORKER_STARVED_PERCENT: f32 = 20.0;
/// In flight at least this share of the pacing units: all of them waiting.
const ALL_WAITING: f64 = 0.9;
/// Service time within this factor of the baseline counts as "fast": the
/// target answers as fast as when idle, so it is not queueing.
const SERVICE_GROWTH: f64 = 3.0;
/// ... or within this many microseconds of it (fast targets jitter by more
/// than 3x at the microsecond scale).
const SERVICE_SLACK_US: f64 = 2_000.0;

/// What the rule looks at, over one window (a second, or a probe).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadSignals {
    /// The busiest worker thread's CPU, percent of one core.
    pub worker_cpu: Option<f32>,
    /// The busiest worker thread's CPU plus run-queue wait, percent of the window.
    pub worker_busy: Option<f32>,
    /// The open model's rate; `None` in the closed model, which has no schedule.
    pub asked_rate: Option<f64>,
    /// Completions per second achieved.
    pub sent_rate: f64,
    /// Completed attempts (responses and errors) in the window.
    pub attempts: u64,
    /// Sends at least 1 ms behind their intended time.
    pub late_sends: u64,
    /// Median lateness of the sends (µs), where the engine records it.
    pub send_lag_p50_us: Option<u64>,
    /// Mean requests in flight (Little's law: `sent_rate` × mean service time).
    pub in_flight: f64,
    pub open_connections: u64,
    /// 1 for HTTP/1.1; each HTTP/2 stream is a pacing unit of its own.
    pub streams_per_connection: u32,
    pub service_p50_us: u64,
    /// The target's service p50 when it was not loaded hard (the lowest
    /// seen), if known.
    pub service_baseline_us: Option<u64>,
    /// Achieved below `rate_allowance` × asked is "far below" (less than
    /// 1 where the window's counts are quantised to engine ticks).
    pub rate_allowance: f64,
}

/// The party that limits the run, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum Saturation {
    /// A worker thread never idles.
    WorkerBusy { busy: f32, cpu: Option<f32> },
    /// Behind while a worker waits for a CPU and the target answers fast.
    WorkerStarved { waiting: f32, cpu: f32 },
    /// Behind with connections idle while the target answers fast.
    ScheduleBehind {
        late_sends: u64,
        attempts: u64,
        service_p50_us: u64,
    },
    /// Behind with every connection waiting on the target.
    AllConnectionsWaiting {
        connections: u64,
        /// The target answers slower than when idle (it queues); otherwise
        /// the connection count, not the target's speed, is the limit.
        answers_slowed: bool,
        service_p50_us: u64,
    },
    /// Behind while the target's answers slowed: it queues.
    AnswersSlowed {
        service_p50_us: u64,
        baseline_us: u64,
    },
}

/// Which side of the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Generator,
    Target,
}

impl Saturation {
    pub fn party(&self) -> Party {
        match self {
            Saturation::WorkerBusy { .. }
            | Saturation::WorkerStarved { .. }
            | Saturation::ScheduleBehind { .. } => Party::Generator,
            Saturation::AllConnectionsWaiting { .. } | Saturation::AnswersSlowed { .. } => {
                Party::Target
            }
        }
    }

    /// What the banner says after `generator saturated: ` or `target saturated: `.
    pub fn reason(&self) -> String {
        match self {
            Saturation::WorkerBusy { busy, cpu } => {
                let cpu = cpu.map_or_else(String::new, |cpu| format!(", {cpu:.0}% on a CPU"));
                format!(
                    "a worker thread is busy {busy:.0}% of the time{cpu}; add threads (T) or give loadtop more CPU"
                )
            }
            Saturation::WorkerStarved { waiting, cpu } => format!(
                "sends lag while a worker thread waits for a CPU {waiting:.0}% of the time ({cpu:.0}% on one); give loadtop more CPU"
            ),
            Saturation::ScheduleBehind {
                late_sends,
                attempts,
                service_p50_us,
            } => format!(
                "{late_sends} of {attempts} sends late while connections wait idle and the target answers in {}",
                format_duration_us(*service_p50_us)
            ),
            Saturation::AllConnectionsWaiting { connections, .. } => format!(
                "all {connections} connections waiting; open more connections (C) or lower the rate"
            ),
            Saturation::AnswersSlowed {
                service_p50_us,
                baseline_us,
            } => format!(
                "answers slowed to {} (from {}); lower the rate",
                format_duration_us(*service_p50_us),
                format_duration_us(*baseline_us)
            ),
        }
    }

    /// For `loadtop max`: the probe cannot say how much the target serves.
    /// True for a generator limit, and for all connections waiting on a
    /// target that still answers as fast as when idle (too few connections).
    pub fn hides_target_capacity(&self) -> bool {
        match self {
            Saturation::WorkerBusy { .. }
            | Saturation::WorkerStarved { .. }
            | Saturation::ScheduleBehind { .. } => true,
            Saturation::AllConnectionsWaiting { answers_slowed, .. } => !answers_slowed,
            Saturation::AnswersSlowed { .. } => false,
        }
    }
}

/// The rule. `None`: nothing is saturated, or nothing can be said.
pub fn judge(signals: &LoadSignals) -> Option<Saturation> {
    if let Some(busy) = signals.worker_busy
        && busy >= WORKER_BUSY_PERCENT
    {
        return Some(Saturation::WorkerBusy {
            busy,
            cpu: signals.worker_cpu,
        });
    }
    let asked = signals.asked_rate?;
    if !behind(signals, asked) {
        return None;
    }
    let units = signals.open_connections as f64 * f64::from(signals.streams_per_connection.max(1));
    let all_waiting = units > 0.0 && signals.in_flight >= ALL_WAITING * units;
    let service = signals.service_p50_us;
    let service_fast = signals.service_baseline_us.map(|baseline| {
        let baseline = baseline as f64;
        service as f64 <= (baseline * SERVICE_GROWTH).max(baseline + SERVICE_SLACK_US)
    });
    // Before the target's figures: a starved worker's own wait inflates the
    // service times it records, so they cannot clear the target.
    if let (Some(busy), Some(cpu)) = (signals.worker_busy, signals.worker_cpu)
        && busy - cpu >= WORKER_STARVED_PERCENT
        && busy - cpu >= cpu
    {
        return Some(Saturation::WorkerStarved {
            waiting: busy - cpu,
            cpu,
        });
    }
    if all_waiting {
        return Some(Saturation::AllConnectionsWaiting {
            connections: signals.open_connections,
            answers_slowed: service_fast == Some(false),
            service_p50_us: service,
        });
    }
    match (service_fast?, signals.service_baseline_us) {
        (true, _) => Some(Saturation::ScheduleBehind {
            late_sends: signals.late_sends,
            attempts: signals.attempts,
            service_p50_us: service,
        }),
        (false, Some(baseline_us)) => Some(Saturation::AnswersSlowed {
            service_p50_us: service,
            baseline_us,
        }),
        (false, None) => None,
    }
}

/// The open-model schedule fell behind in this window.
fn behind(signals: &LoadSignals, asked: f64) -> bool {
    if signals
        .send_lag_p50_us
        .is_some_and(|lag| lag >= SEND_LAG_BEHIND_US)
    {
        return true;
    }
    if signals.attempts == 0 {
        return false;
    }
    let late_share = signals.late_sends as f64 / signals.attempts as f64;
    let far_below = signals.sent_rate < signals.rate_allowance * asked && late_share > SOME_LATE;
    late_share > LATE_SHARE || far_below
}

#[cfg(test)]
#[path = "saturation_tests.rs"]
mod tests;
