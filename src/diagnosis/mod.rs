//! Names the bottleneck: a pure function from the last seconds of figures
//! (the engine's counters, the target's and the database's processes, the
//! server's gauges) to one verdict from a closed set, the evidence that
//! decided it, and the knob or key that tests the hypothesis.
//!
//! Each rule ([`rules`]) says whether its resource is saturated and, where
//! it can, what throughput that resource allows (its capacity: a pool's
//! slots over its hold time by Little's law, a CPU's achieved rate over its
//! utilisation). When several hold, the one with the lowest capacity bounds
//! throughput and wins; the next is the runner-up. A stall outranks them
//! all (nothing is served, so no capacity means anything), and errors rank
//! last (they are often the consequence of a saturated resource, such as
//! load shedding answering 503).

pub mod pool_metrics;
mod pool_rule;
#[cfg(test)]
mod pool_tests;
mod rules;
#[cfg(test)]
mod tests;

pub use rules::{SATURATED_THREAD_PERCENT, thread_saturated};

use serde::{Deserialize, Serialize};

/// The closed set of verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// The target keeps up, with headroom.
    None,
    /// loadtop itself is the limit.
    Generator,
    /// The target's CPU is saturated for the cores it may use.
    TargetCpu,
    /// One target thread is saturated while the process has cores to spare.
    TargetThread,
    /// A connection pool is exhausted: every slot busy and requests waiting.
    Pool,
    /// The database's CPU or I/O is the limit.
    Database,
    /// The target is blocked on disk.
    IoWait,
    /// Connections are dropped at the accept queue.
    ListenQueue,
    /// The target answers errors before any resource saturates.
    Errors,
    /// The target stopped answering while nothing was busy.
    Stall,
}

impl Bottleneck {
    pub fn label(self) -> &'static str {
        match self {
            Bottleneck::None => "none",
            Bottleneck::Generator => "generator",
            Bottleneck::TargetCpu => "target_cpu",
            Bottleneck::TargetThread => "target_thread",
            Bottleneck::Pool => "pool",
            Bottleneck::Database => "database",
            Bottleneck::IoWait => "io_wait",
            Bottleneck::ListenQueue => "listen_queue",
            Bottleneck::Errors => "errors",
            Bottleneck::Stall => "stall",
        }
    }
}

/// The generator's own load over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GeneratorLoad {
    /// The busiest worker thread's CPU, in percent of one core.
    pub busiest_worker_cpu: f32,
    /// The busiest worker's CPU plus its run-queue wait: near 100 it never
    /// idles, even when other processes leave it less than a core.
    pub busiest_worker_busy: f32,
    /// Open model: median send lag now, and at the window's start.
    pub send_lag_p50_us: Option<u64>,
    pub send_lag_p50_us_before: Option<u64>,
}

/// A process's load over the window (the target's, or the database's).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessLoad {
    /// All threads, in percent of one core.
    pub cpu_percent: f32,
    /// Cores in the process's affinity mask.
    pub allowed_cores: u32,
    pub busiest_thread_cpu: f32,
    /// The busiest thread's CPU plus its run-queue wait: near 100 it never
    /// idles, even when the machine leaves it less than a core.
    pub busiest_thread_busy: f32,
    pub threads_near_full_core: u32,
    pub io_wait_percent: Option<f32>,
}

/// What a pool's slots are: the words of its evidence and the knob to turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PoolKind {
    /// Connections to a database (or the simulated `/pool`'s slots).
    #[default]
    Connections,
    /// Worker threads a CPU-bound route may run on at once (`/cpu`'s
    /// `cpu_workers`): a pool of threads rather than of connections.
    Workers,
}

/// Where a pool's gauges came from: the words of its evidence and advice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PoolOrigin {
    /// The embedded server's stats: its knobs size the pool.
    #[default]
    Embedded,
    /// The target's own Prometheus text (`metrics_url`), by pool name.
    MetricsUrl { name: Option<String> },
}

/// A connection pool's gauges (the embedded `/pool`, the real database
/// pool, or an external target's pool read from its metrics).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolGauges {
    pub kind: PoolKind,
    pub origin: PoolOrigin,
    pub size: u32,
    pub in_use: u32,
    pub waiting: u32,
    pub wait_p99_ms: Option<f64>,
    /// How long a request holds a slot, on average.
    pub hold_ms: Option<f64>,
}

/// Everything one verdict is decided from: the last few seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub window_secs: f64,
    /// Open model: the rate asked for. Closed model: `None`.
    pub offered_rate: Option<f64>,
    /// Responses per second.
    pub achieved_rate: f64,
    /// Failed requests (transport errors and 5xx) per second.
    pub failed_rate: f64,
    /// Of those, requests the server refused at its in-flight limit (load
    /// shedding's 503) per second, where the server counts them.
    pub shed_rate: f64,
    /// The longest time in the window with requests outstanding and no
    /// response arriving.
    pub longest_silence_secs: f64,
    pub generator: GeneratorLoad,
    pub target: Option<ProcessLoad>,
    pub database: Option<ProcessLoad>,
    pub pool: Option<PoolGauges>,
    /// Connections dropped at full accept queues in the window (machine-wide).
    pub listen_overflows: u64,
}

/// A verdict with what decided it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub bottleneck: Bottleneck,
    /// Short strings with figures.
    pub evidence: Vec<String>,
    /// One line naming the knob or key that tests the hypothesis.
    pub advice: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<Bottleneck>,
}

impl Diagnosis {
    /// The dashboard's one sentence: "pool-bound: 16/16 slots busy, …".
    pub fn sentence(&self) -> String {
        let head = match self.bottleneck {
            Bottleneck::None => "no bottleneck".to_string(),
            other => format!("{}-bound", other.label()),
        };
        let mut text = format!("{head}: {}", self.evidence.join(", "));
        if !self.advice.is_empty() {
            text.push_str(" → ");
            text.push_str(&self.advice);
        }
        text
    }
}

/// One rule's finding: its resource is saturated.
#[derive(Clone, Debug, PartialEq)]
struct Finding {
    bottleneck: Bottleneck,
    /// Requests per second the resource allows, where it can be estimated.
    capacity: Option<f64>,
    evidence: Vec<String>,
    advice: String,
}

/// How near a pool is to exhaustion, to pick the one to judge or show: an
/// exhausted pool (every slot busy, requests waiting) first, then the
/// highest share busy.
pub fn pool_pressure(size: u64, in_use: u64, waiting: u64) -> (bool, f64) {
    let exhausted = size > 0 && in_use >= size && waiting > 0;
    (exhausted, in_use as f64 / size.max(1) as f64)
}

/// The verdict for one window.
pub fn diagnose(inputs: &Inputs) -> Diagnosis {
    let mut findings = findings(inputs);
    // Stall first, errors last, the rest by the capacity they allow.
    let rank = |finding: &Finding| match finding.bottleneck {
        Bottleneck::Stall => (0, 0.0),
        Bottleneck::Errors => (2, 0.0),
        _ => (1, finding.capacity.unwrap_or(inputs.achieved_rate)),
    };
    findings.sort_by(|a, b| {
        let (a, b) = (rank(a), rank(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
    });
    let runner_up = findings.get(1).map(|finding| finding.bottleneck);
    match findings.into_iter().next() {
        Some(first) => Diagnosis {
            bottleneck: first.bottleneck,
            evidence: first.evidence,
            advice: first.advice,
            runner_up,
        },
        None => rules::headroom(inputs),
    }
}

/// Every rule's finding that holds, in no order yet.
fn findings(inputs: &Inputs) -> Vec<Finding> {
    [
        rules::stall(inputs),
        rules::generator(inputs),
        rules::target_cpu(inputs),
        rules::target_thread(inputs),
        pool_rule::pool(inputs),
        rules::database(inputs),
        rules::io_wait(inputs),
        rules::listen_queue(inputs),
        rules::errors(inputs),
    ]
    .into_iter()
    .flatten()
    .collect()
}
