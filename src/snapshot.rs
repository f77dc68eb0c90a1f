//! The state of a run at one instant: plain owned data, produced by
//! `session` on every tick and read (never mutated) by the dashboard and the
//! progress reporters. Nothing here holds a lock or a handle to the engine.

use std::path::PathBuf;
use std::time::Duration;

use crate::stats::ErrorKind;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// What is being loaded, e.g. `embedded /pool` or a URL.
    pub target: String,
    pub model: Model,
    pub threads: usize,
    pub connections: usize,
    pub paused: bool,
    /// Since the run started.
    pub elapsed: Duration,
    /// Planned length of the whole run, when known.
    pub total: Option<Duration>,
    pub stage: Option<StageView>,
    /// One point per second, oldest first; bounded by the session.
    pub timeline: Vec<TimelinePoint>,
    /// The last second.
    pub interval: LatencyView,
    /// The current stage so far.
    pub stage_latency: LatencyView,
    /// Open model, current stage: actual minus intended send time.
    pub stage_send_lag: LatencyView,
    /// Current stage: TCP connect plus TLS handshake per connection opened.
    pub stage_connect: LatencyView,
    /// Current stage: actual send to first response byte.
    pub stage_ttfb: LatencyView,
    /// Current stage, ascending by code.
    pub status_codes: Vec<(u16, u64)>,
    /// Current stage, only kinds that occurred.
    pub errors: Vec<(ErrorKind, u64)>,
    pub connection_stats: ConnectionView,
    /// Live stats of the embedded server, when the target is one.
    pub server: Option<ServerView>,
    /// A URL target's pool nearest exhaustion, read from its `metrics_url`.
    pub scraped_pool: Option<crate::diagnosis::pool_metrics::ScrapedPool>,
    /// The latest resource sample.
    pub resources: Option<ResourceView>,
    /// Most recent last; bounded by the session.
    pub events: Vec<EventView>,
    pub alerts: Alerts,
    pub thresholds: Vec<ThresholdView>,
    /// One row per stage that has started (the current one last).
    pub stage_rows: Vec<StageRow>,
    pub finished: bool,
    pub report_path: Option<PathBuf>,
    /// Counts since the run started (warm-up included).
    pub totals: Totals,
    /// Per request name of a mix; empty for a single request.
    pub requests: Vec<RequestRow>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub responses: u64,
    /// Transport errors plus responses with status >= 400.
    pub failed: u64,
    pub bytes: u64,
}

/// The load model the engine runs, shown as is (the engine's own type).
pub use crate::load::Model;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageView {
    /// Zero-based.
    pub index: usize,
    pub count: usize,
    pub name: String,
    pub elapsed: Duration,
    /// `None` for an open-ended stage (e.g. `bench` without `-d`).
    pub duration: Option<Duration>,
    /// The user asked to stay on this stage.
    pub held: bool,
}

/// One second of the run: the report's timeline type, the stage told by
/// its index and the request names' seconds parallel to `Snapshot::requests`.
pub type TimelinePoint = crate::timeline::Second<usize, RequestPoint>;

/// One request name's second.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RequestPoint {
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub errors: u64,
}

/// One request name of a mix in the current stage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestRow {
    pub name: String,
    /// Share of the stage's attempts that went to this name.
    pub share: f64,
    /// Responses per second over the last complete second.
    pub rps: f64,
    /// The current stage so far.
    pub latency: LatencyView,
    /// Responses with status >= 400 plus transport errors, current stage.
    pub failed: u64,
}

/// Percentiles in microseconds from one HDR histogram.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencyView {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConnectionView {
    pub open: u64,
    pub connects: u64,
    pub reconnects: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerView {
    pub inflight: u64,
    pub pool_size: u64,
    pub pool_in_use: u64,
    pub pool_waiters: u64,
    pub pool_timeouts: u64,
    pub hold_ms: u64,
    pub load_shedding: bool,
    pub max_inflight: u64,
    pub shed: u64,
    pub rate_limited: u64,
    pub timeouts: u64,
    /// `/cpu`'s gate: workers allowed (0: unlimited), computing, waiting.
    pub cpu_workers: u64,
    pub cpu_in_use: u64,
    pub cpu_waiting: u64,
    /// The real database behind `/db/*`, when the server has one.
    pub db: Option<DbView>,
}

/// The database section of the Server panel (from the server's `db` stats).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DbView {
    pub up: bool,
    pub pool_size: u64,
    pub in_use: u64,
    pub idle: u64,
    pub waiting: u64,
    pub acquire_wait_p99_us: u64,
    pub timeouts: u64,
    /// Failed `/db` requests of every kind.
    pub errors: u64,
    pub backends_active: u64,
    pub backends_idle: u64,
    pub backends_idle_in_transaction: u64,
    pub backends_waiting_on_lock: u64,
    /// "Seq Scan on orders" or "Index Scan using … on orders".
    pub orders_plan: String,
    pub orders_index: bool,
    pub postmaster_pid: Option<u32>,
}

/// CPU in percent of one core (200 = two cores busy); memory in bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceView {
    pub cpu_target: Option<f32>,
    pub cpu_generator: f32,
    pub cpu_system: f32,
    pub cpu_per_core: Vec<f32>,
    pub rss_target: Option<u64>,
    pub rss_generator: u64,
    pub threads_target: Option<u64>,
    pub threads_generator: u64,
    pub sockets_target: Option<u64>,
    pub sockets_generator: u64,
    pub mem_used: u64,
    pub mem_total: u64,
    /// The database's processes together (memory as PSS), when one is watched.
    pub cpu_database: Option<f32>,
    pub rss_database: Option<u64>,
    /// The target's threads, sockets on its port and the accept queue.
    pub target_signals: crate::monitor::TargetSignals,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventView {
    pub at: Duration,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Alerts {
    /// The run is at a limit, and whose it is (see `session::saturation`).
    pub saturated: Option<SaturationAlert>,
    /// The target process exited (with the reason, e.g. its exit status).
    pub target_exited: Option<String>,
    /// Thresholds currently failing, as written in the profile.
    pub thresholds_failing: Vec<String>,
    /// The bottleneck verdict that has held (see `session::diagnose`).
    pub diagnosis: Option<crate::diagnosis::Diagnosis>,
}

/// Who limits the run: loadtop itself, or the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaturatedParty {
    Generator,
    Target,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SaturationAlert {
    pub party: SaturatedParty,
    /// Why, and what to do about it.
    pub reason: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verdict {
    #[default]
    Pending,
    Pass,
    Fail,
    /// The run stopped before its plan ended: a partial run cannot pass.
    NotEvaluated,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThresholdView {
    /// As written, e.g. `p99 < 250ms`.
    pub expr: String,
    /// `None` for the whole run.
    pub stage: Option<String>,
    pub verdict: Verdict,
    /// The measured value, formatted, e.g. `312ms`.
    pub observed: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageRow {
    pub name: String,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub cpu_target_mean: Option<f32>,
    pub rss_target_peak: Option<u64>,
    pub verdict: Verdict,
    pub finished: bool,
    /// Ended before its planned length (skipped, or the run stopped).
    pub cut: bool,
    /// The verdict of most of the stage's seconds.
    pub bottleneck: Option<crate::diagnosis::Bottleneck>,
}
