//! What the pool and the database say: acquire waits (an HDR histogram for
//! the stats, a Prometheus histogram for /metrics), timeouts and errors by
//! kind, counted on the request path; backends by state and the orders
//! query's plan, read by a poller once a second over a connection of its
//! own (so an exhausted pool cannot hide them, and no request waits for
//! them). `DbStats` is the `db` object of `/_loadtop/stats`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use hdrhistogram::Histogram as Hdr;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use serde::{Deserialize, Serialize};
use tokio_postgres::error::SqlState;

use super::{Db, EmbeddedInfo, connect_one, error_text, seed};

const POLL_EVERY: Duration = Duration::from_secs(1);

/// Kinds of database failure a `/db` request can meet (each a fast 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// No connection could be made (the database is down or refuses).
    Connect,
    /// The connection died under the query (server killed or shut down).
    ConnectionLost,
    /// `db_statement_timeout_ms` cancelled the query.
    StatementTimeout,
    /// The server answered the query with an error.
    Query,
}

impl ErrorKind {
    const ALL: [ErrorKind; 4] = [
        ErrorKind::Connect,
        ErrorKind::ConnectionLost,
        ErrorKind::StatementTimeout,
        ErrorKind::Query,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::ConnectionLost => "connection_lost",
            ErrorKind::StatementTimeout => "statement_timeout",
            ErrorKind::Query => "query",
        }
    }

    pub fn of(error: &tokio_postgres::Error) -> ErrorKind {
        match error.code() {
            Some(code) if *code == SqlState::QUERY_CANCELED => ErrorKind::StatementTimeout,
            // admin_shutdown, crash_shutdown, cannot_connect_now
            Some(code) if code.code().starts_with("57P") => ErrorKind::ConnectionLost,
            Some(_) => ErrorKind::Query,
            None => ErrorKind::ConnectionLost,
        }
    }
}

/// Backends of this database by state, from `pg_stat_activity` (the
/// poller's own connection not counted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Backends {
    pub active: u64,
    pub idle: u64,
    pub idle_in_transaction: u64,
    pub waiting_on_lock: u64,
}

/// The `db` object of `GET /_loadtop/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DbStats {
    /// The pool's slots (`db_pool_size`).
    pub pool_size: u64,
    /// Connections open, checked out, and open but free.
    pub connections: u64,
    pub in_use: u64,
    pub idle: u64,
    /// Requests waiting for a connection.
    pub waiting: u64,
    pub acquires: u64,
    pub acquire_wait_p50_us: u64,
    pub acquire_wait_p99_us: u64,
    pub acquire_wait_max_us: u64,
    /// Acquisitions that gave up after `db_acquire_timeout_ms` (503).
    pub timeouts: u64,
    /// Failed requests by kind: connect, connection_lost,
    /// statement_timeout, query.
    pub errors: BTreeMap<String, u64>,
    /// Whether the poller reached the database at its last look.
    pub up: bool,
    pub backends: Backends,
    /// The orders query's plan in one line: "Seq Scan on orders" or
    /// "Index Scan using orders_user_id_status_idx on orders".
    pub orders_plan: String,
    pub orders_index: bool,
    /// The embedded cluster's postmaster and directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postmaster_pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
}

#[derive(Debug, Default)]
struct Polled {
    up: bool,
    backends: Backends,
    orders_plan: String,
    orders_index: bool,
}

pub(crate) struct Observer {
    wait_us: Mutex<Hdr<u64>>,
    pub(crate) wait_seconds: Histogram,
    acquires: AtomicU64,
    timeouts: AtomicU64,
    errors: [AtomicU64; 4],
    polled: Mutex<Polled>,
    monitor: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
}

impl Observer {
    pub fn new() -> Self {
        let hdr = Hdr::new_with_bounds(1, 3_600_000_000, 3)
            .or_else(|_| Hdr::new(3))
            .expect("a 3-digit histogram is always constructible");
        Observer {
            wait_us: Mutex::new(hdr),
            // 100 µs .. ~3.3 s
            wait_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            acquires: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            errors: Default::default(),
            polled: Mutex::new(Polled::default()),
            monitor: tokio::sync::Mutex::new(None),
        }
    }

    pub fn record_wait(&self, waited: Duration) {
        self.acquires.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.wait_us
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record(us.max(1));
        self.wait_seconds.observe(waited.as_secs_f64());
    }

    pub fn count_timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_error(&self, kind: ErrorKind) {
        self.errors[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn stats(
        &self,
        status: deadpool_postgres::Status,
        embedded: Option<&EmbeddedInfo>,
    ) -> DbStats {
        let (p50, p99, max) = {
            let hdr = self.wait_us.lock().unwrap_or_else(PoisonError::into_inner);
            if hdr.is_empty() {
                (0, 0, 0)
            } else {
                (
                    hdr.value_at_quantile(0.5),
                    hdr.value_at_quantile(0.99),
                    hdr.max(),
                )
            }
        };
        let polled = self.polled.lock().unwrap_or_else(PoisonError::into_inner);
        let count = |n: usize| n as u64;
        DbStats {
            pool_size: count(status.max_size),
            connections: count(status.size),
            in_use: count(status.size.saturating_sub(status.available)),
            idle: count(status.available),
            waiting: count(status.waiting),
            acquires: self.acquires.load(Ordering::Relaxed),
            acquire_wait_p50_us: p50,
            acquire_wait_p99_us: p99,
            acquire_wait_max_us: max,
            timeouts: self.timeouts.load(Ordering::Relaxed),
            errors: ErrorKind::ALL
                .iter()
                .map(|kind| {
                    let n = self.errors[*kind as usize].load(Ordering::Relaxed);
                    (kind.name().to_string(), n)
                })
                .collect(),
            up: polled.up,
            backends: polled.backends.clone(),
            orders_plan: polled.orders_plan.clone(),
            orders_index: polled.orders_index,
            postmaster_pid: embedded.map(|e| e.postmaster_pid),
            dir: embedded.map(|e| e.dir.display().to_string()),
        }
    }
}

/// Looks at the database once a second while the `Db` lives.
pub(crate) fn spawn_poller(db: Weak<Db>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(POLL_EVERY).await;
            let Some(db) = db.upgrade() else { break };
            refresh(&db).await;
        }
    });
}

/// One look: backends by state and the orders query's plan. A failure
/// marks the database down and drops the monitor connection (the next
/// look reconnects).
pub(crate) async fn refresh(db: &Db) {
    let mut monitor = db.observer.monitor.lock().await;
    if monitor
        .as_ref()
        .is_none_or(tokio_postgres::Client::is_closed)
    {
        *monitor = connect_one(db.pg_config()).await.ok();
    }
    let looked = match monitor.as_ref() {
        Some(client) => look(client).await.map_err(|e| error_text(&e)),
        None => Err("cannot connect".to_string()),
    };
    let mut polled = db
        .observer
        .polled
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match looked {
        Ok(fresh) => *polled = fresh,
        Err(_) => {
            polled.up = false;
            polled.backends = Backends::default();
            *monitor = None;
        }
    }
}

async fn look(client: &tokio_postgres::Client) -> Result<Polled, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT
                 count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock'),
                 count(*) FILTER (WHERE state = 'idle'),
                 count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
                 count(*) FILTER (WHERE wait_event_type = 'Lock')
             FROM pg_stat_activity
             WHERE datname = current_database()
               AND backend_type = 'client backend'
               AND pid <> pg_backend_pid()",
            &[],
        )
        .await?;
    let count = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
    let backends = Backends {
        active: count(0),
        idle: count(1),
        idle_in_transaction: count(2),
        waiting_on_lock: count(3),
    };
    let plan = client
        .query(
            "EXPLAIN (COSTS OFF) SELECT id, user_id, status, amount_cents, created_at \
             FROM orders WHERE user_id = 1 AND status = 'pending'",
            &[],
        )
        .await?;
    let lines: Vec<String> = plan.iter().map(|row| row.get::<_, String>(0)).collect();
    Ok(Polled {
        up: true,
        backends,
        orders_plan: plan_line(&lines),
        orders_index: seed::orders_index_exists(client).await?,
    })
}

/// The node that reads `orders`, without the tree's arrows: "Seq Scan on
/// orders", "Index Scan using orders_user_id_status_idx on orders", "Bitmap
/// Heap Scan on orders (Bitmap Index Scan on orders_user_id_status_idx)";
/// the top node when none names the table.
pub(crate) fn plan_line(lines: &[String]) -> String {
    let clean = |line: &str| line.trim().trim_start_matches("->").trim().to_string();
    let Some(scan) = lines
        .iter()
        .find(|line| line.contains(" on orders"))
        .or_else(|| lines.first())
    else {
        return String::new();
    };
    let scan = clean(scan);
    // A bitmap scan names its index on the node below.
    match lines
        .iter()
        .find(|line| line.contains("Bitmap Index Scan on "))
    {
        Some(index) if scan.starts_with("Bitmap Heap Scan") => {
            format!("{scan} ({})", clean(index))
        }
        _ => scan,
    }
}

#[cfg(test)]
mod tests {
    use super::plan_line;

    #[test]
    fn plan_line_names_the_scan_of_orders() {
        let lines = |s: &[&str]| s.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        assert_eq!(
            plan_line(&lines(&[
                "Seq Scan on orders",
                "  Filter: ((user_id = 1) AND (status = 'pending'::text))"
            ])),
            "Seq Scan on orders"
        );
        assert_eq!(
            plan_line(&lines(&[
                "Gather",
                "  Workers Planned: 2",
                "  ->  Parallel Seq Scan on orders"
            ])),
            "Parallel Seq Scan on orders"
        );
        assert_eq!(
            plan_line(&lines(&[
                "Index Scan using orders_user_id_status_idx on orders",
                "  Index Cond: ((user_id = 1) AND (status = 'pending'::text))"
            ])),
            "Index Scan using orders_user_id_status_idx on orders"
        );
        assert_eq!(
            plan_line(&lines(&[
                "Bitmap Heap Scan on orders",
                "  Recheck Cond: ((user_id = 1) AND (status = 'pending'::text))",
                "  ->  Bitmap Index Scan on orders_user_id_status_idx",
            ])),
            "Bitmap Heap Scan on orders (Bitmap Index Scan on orders_user_id_status_idx)"
        );
        assert_eq!(plan_line(&[]), "");
    }
}
