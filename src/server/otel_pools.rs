//! The pools on `/metrics`, under the OpenTelemetry database-client names:
//! the simulated `/pool` (`pool_name="loadtop.pool"`) always, and the real
//! pool behind `/db/*` (`pool_name="loadtop.db"`) when there is one, so a
//! scraper that knows those names (loadtop's own `metrics_url` among them)
//! reads either as it would a Java or Go service's pool.

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::db::Db;
use super::stats::PoolStats;

/// The simulated pool's `pool_name`.
pub const SIMULATED_POOL: &str = "loadtop.pool";
/// The real database pool's `pool_name`.
pub const DATABASE_POOL: &str = "loadtop.db";

/// One pool's figures as the OTel names carry them.
struct PoolFigures {
    name: &'static str,
    used: u64,
    idle: u64,
    max: u64,
    pending: u64,
    timeouts: u64,
}

type Labels = Vec<(String, String)>;

fn labels(pool: &str, state: Option<&str>) -> Labels {
    let mut labels = vec![("pool_name".to_string(), pool.to_string())];
    if let Some(state) = state {
        labels.push(("state".to_string(), state.to_string()));
    }
    labels
}

fn gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Appends the pools' gauges (and the real pool's wait histogram) without
/// the `loadtop_serve` prefix, so dashboards that know the OTel names read
/// them, before the exposition's `# EOF`.
pub(crate) fn append_metrics(text: &mut String, simulated: &PoolStats, db: Option<&Db>) {
    if let Some(stripped) = text.strip_suffix("# EOF\n") {
        let keep = stripped.len();
        text.truncate(keep);
    }
    let mut pools = vec![PoolFigures {
        name: SIMULATED_POOL,
        used: simulated.in_use,
        idle: simulated.size.saturating_sub(simulated.in_use),
        max: simulated.size,
        pending: simulated.waiters,
        timeouts: simulated.timeouts,
    }];
    if let Some(db) = db {
        let stats = db.stats();
        pools.push(PoolFigures {
            name: DATABASE_POOL,
            used: stats.in_use,
            idle: stats.idle,
            max: stats.pool_size,
            pending: stats.waiting,
            timeouts: stats.timeouts,
        });
    }
    let count = Family::<Labels, Gauge>::default();
    let max = Family::<Labels, Gauge>::default();
    let pending = Family::<Labels, Gauge>::default();
    let timeouts = Family::<Labels, Counter>::default();
    for pool in &pools {
        for (state, value) in [("idle", pool.idle), ("used", pool.used)] {
            count
                .get_or_create(&labels(pool.name, Some(state)))
                .set(gauge(value));
        }
        max.get_or_create(&labels(pool.name, None))
            .set(gauge(pool.max));
        pending
            .get_or_create(&labels(pool.name, None))
            .set(gauge(pool.pending));
        timeouts
            .get_or_create(&labels(pool.name, None))
            .inc_by(pool.timeouts);
    }
    let mut registry = Registry::default();
    registry.register(
        "db_client_connection_count",
        "Connections of the pool by state",
        count,
    );
    registry.register(
        "db_client_connection_max",
        "Connections the pool may open",
        max,
    );
    registry.register(
        "db_client_connection_pending_requests",
        "Requests waiting for a connection",
        pending,
    );
    registry.register(
        "db_client_connection_timeouts",
        "Acquisitions that timed out",
        timeouts,
    );
    if let Some(db) = db {
        registry.register_with_unit(
            "db_client_connection_wait_time",
            "Time to obtain a connection from the real pool",
            Unit::Seconds,
            db.observer.wait_seconds.clone(),
        );
    }
    if encode_registry(text, &registry).is_err() || encode_eof(text).is_err() {
        text.push_str("# EOF\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::pool_metrics::{self, ScrapedPool};
    use crate::server::stats::{ServerStats, prometheus_text};

    #[test]
    fn the_simulated_pool_reads_back_from_metrics_under_the_otel_names() {
        let stats = ServerStats {
            pool: PoolStats {
                size: 16,
                in_use: 16,
                waiters: 240,
                timeouts: 3,
                ..PoolStats::default()
            },
            ..ServerStats::default()
        };
        let mut text = prometheus_text(&stats);
        append_metrics(&mut text, &stats.pool, None);
        assert!(text.ends_with("# EOF\n") && text.matches("# EOF").count() == 1);
        // The prefixed names other readers use are still there.
        assert!(text.contains("loadtop_serve_pool_in_use 16"), "{text}");
        let page = pool_metrics::parse(&text);
        assert!(page.malformed.is_empty(), "{:?}", page.malformed);
        assert_eq!(
            page.pools,
            [ScrapedPool {
                name: Some(SIMULATED_POOL.into()),
                max: Some(16),
                used: Some(16),
                idle: Some(0),
                pending: Some(240),
                timeouts: Some(3),
            }]
        );
    }
}
