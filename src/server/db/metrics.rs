//! The pool on `/metrics`, under the OpenTelemetry database-client names.

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::{Registry, Unit};

use super::Db;

/// Appends the pool's gauges and wait histogram under the OpenTelemetry
/// database-client names (no `loadtop_serve` prefix, so dashboards that
/// know those names read them) before the exposition's `# EOF`.
pub(crate) fn append_metrics(text: &mut String, db: &Db) {
    let stats = db.stats();
    if let Some(stripped) = text.strip_suffix("# EOF\n") {
        let keep = stripped.len();
        text.truncate(keep);
    }
    let mut registry = Registry::default();
    let count = Family::<Vec<(String, String)>, Gauge>::default();
    for (state, value) in [("idle", stats.idle), ("used", stats.in_use)] {
        count
            .get_or_create(&vec![("state".to_string(), state.to_string())])
            .set(i64::try_from(value).unwrap_or(i64::MAX));
    }
    registry.register(
        "db_client_connection_count",
        "Connections of the pool by state",
        count,
    );
    let gauges = [
        (
            "db_client_connection_max",
            "Connections the pool may open",
            stats.pool_size,
        ),
        (
            "db_client_connection_pending_requests",
            "Requests waiting for a connection",
            stats.waiting,
        ),
    ];
    for (name, help, value) in gauges {
        registry.register(
            name,
            help,
            ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)),
        );
    }
    registry.register(
        "db_client_connection_timeouts",
        "Acquisitions that timed out",
        ConstCounter::new(stats.timeouts),
    );
    registry.register_with_unit(
        "db_client_connection_wait_time",
        "Time to obtain a connection from the pool",
        Unit::Seconds,
        db.observer.wait_seconds.clone(),
    );
    if encode_registry(text, &registry).is_err() || encode_eof(text).is_err() {
        text.push_str("# EOF\n");
    }
}
