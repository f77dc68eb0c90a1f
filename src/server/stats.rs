//! Server-side counters and their two views: `ServerStats` (the JSON of
//! `GET /_loadtop/stats`, also what `AdminClient::stats` returns) and the
//! Prometheus text of `GET /metrics`. Handlers bump relaxed atomics in
//! `Counters`; the views are built only when someone asks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};

use super::routes::Route;

/// Gauges of the simulated DB pool behind `/pool`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolStats {
    pub size: u64,
    pub in_use: u64,
    pub waiters: u64,
    pub timeouts: u64,
    pub wait_p50_us: u64,
    pub wait_p99_us: u64,
    pub wait_max_us: u64,
}

/// The body of `GET /_loadtop/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerStats {
    pub uptime_ms: u64,
    /// Requests with an asynchronous handler in progress (instant routes
    /// such as /plaintext finish inside the call and never count).
    pub inflight: u64,
    pub requests_total: u64,
    pub per_route: BTreeMap<String, u64>,
    pub pool: PoolStats,
    pub cpu_inflight: u64,
    /// `/cpu` requests waiting for one of the `cpu_workers` (0: unlimited).
    pub cpu_waiting: u64,
    pub cpu_workers: u64,
    /// Answered 503 by load shedding.
    pub shed: u64,
    /// Answered 429 by the rate limiter.
    pub rate_limited: u64,
    /// Answered 504 by the request timeout.
    pub timeouts: u64,
    /// Answered 500 by `error_rate` fault injection.
    pub errors_injected: u64,
    /// Handlers that panicked (answered 500).
    pub panics: u64,
    /// Requests refused before routing: 413 bodies, bad paths.
    pub rejected: u64,
    pub stalls: u64,
    /// The real pool and database behind `/db/*` (`serve --database`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<super::db::DbStats>,
}

/// Relaxed atomic counters bumped on the request path.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub inflight: AtomicU64,
    pub per_route: [AtomicU64; Route::COUNT],
    pub cpu_inflight: AtomicU64,
    pub cpu_waiting: AtomicU64,
    pub shed: AtomicU64,
    pub rate_limited: AtomicU64,
    pub timeouts: AtomicU64,
    pub errors_injected: AtomicU64,
    pub panics: AtomicU64,
    pub rejected: AtomicU64,
    pub stalls: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Counters {
    pub fn snapshot(&self, uptime_ms: u64, pool: PoolStats) -> ServerStats {
        let per_route: BTreeMap<String, u64> = Route::ALL
            .iter()
            .map(|route| {
                (
                    route.name().to_string(),
                    read(&self.per_route[*route as usize]),
                )
            })
            .collect();
        ServerStats {
            uptime_ms,
            inflight: read(&self.inflight),
            requests_total: per_route.values().sum(),
            per_route,
            pool,
            cpu_inflight: read(&self.cpu_inflight),
            cpu_waiting: read(&self.cpu_waiting),
            // A knob, not a counter: the server fills it in.
            cpu_workers: 0,
            shed: read(&self.shed),
            rate_limited: read(&self.rate_limited),
            timeouts: read(&self.timeouts),
            errors_injected: read(&self.errors_injected),
            panics: read(&self.panics),
            rejected: read(&self.rejected),
            stalls: read(&self.stalls),
            db: None,
        }
    }
}

/// Renders the stats in the Prometheus text exposition format.
pub(crate) fn prometheus_text(stats: &ServerStats) -> String {
    let mut registry = Registry::with_prefix("loadtop_serve");
    let requests = Family::<Vec<(String, String)>, Counter>::default();
    for (route, count) in &stats.per_route {
        requests
            .get_or_create(&vec![("route".to_string(), route.clone())])
            .inc_by(*count);
    }
    registry.register("requests", "Requests by route", requests);
    let counters: [(&str, &str, u64); 8] = [
        ("shed", "Requests answered 503 by load shedding", stats.shed),
        (
            "rate_limited",
            "Requests answered 429 by the rate limiter",
            stats.rate_limited,
        ),
        (
            "timeouts",
            "Requests answered 504 by the request timeout",
            stats.timeouts,
        ),
        (
            "errors_injected",
            "Requests answered 500 by fault injection",
            stats.errors_injected,
        ),
        ("panics", "Handlers that panicked", stats.panics),
        (
            "rejected",
            "Requests refused before routing",
            stats.rejected,
        ),
        ("stalls", "Global stalls started", stats.stalls),
        (
            "pool_timeouts",
            "Pool acquisitions that timed out",
            stats.pool.timeouts,
        ),
    ];
    for (name, help, value) in counters {
        registry.register(name, help, ConstCounter::new(value));
    }
    let gauges: [(&str, &str, u64); 8] = [
        (
            "inflight",
            "Asynchronous requests in progress",
            stats.inflight,
        ),
        (
            "cpu_inflight",
            "/cpu computations in progress",
            stats.cpu_inflight,
        ),
        ("pool_size", "Simulated pool slots", stats.pool.size),
        (
            "pool_in_use",
            "Simulated pool slots held",
            stats.pool.in_use,
        ),
        (
            "pool_waiters",
            "Requests waiting for a pool slot",
            stats.pool.waiters,
        ),
        (
            "pool_wait_p50_us",
            "Median pool wait (µs)",
            stats.pool.wait_p50_us,
        ),
        (
            "pool_wait_p99_us",
            "p99 pool wait (µs)",
            stats.pool.wait_p99_us,
        ),
        (
            "pool_wait_max_us",
            "Longest pool wait (µs)",
            stats.pool.wait_max_us,
        ),
    ];
    for (name, help, value) in gauges {
        let value = i64::try_from(value).unwrap_or(i64::MAX);
        registry.register(name, help, ConstGauge::new(value));
    }
    let mut text = String::new();
    if encode(&mut text, &registry).is_err() {
        text.clear();
    }
    text
}
