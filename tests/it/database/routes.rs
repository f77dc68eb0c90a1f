//! The /db routes and the pool: the orders index and its plan, waves of a
//! small pool, acquire and statement timeouts.

use std::time::{Duration, Instant};

use loadtop::server::admin_client;
use serde_json::Value;

use crate::server::wait_until;

use super::{DbServer, HTTP_TIMEOUT};

/// Median wall time of GETs of `paths` (each must answer 200).
/// The fastest request: the query's own cost without a busy machine's
/// scheduling delays (a scan can never beat reading the table).
fn fastest_time(server: &DbServer, paths: &[String]) -> Duration {
    let mut times: Vec<Duration> = paths
        .iter()
        .map(|path| {
            let started = Instant::now();
            let response = server.get(path);
            assert_eq!(response.status, 200, "{path}: {}", response.text());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[0]
}

#[test]
fn db_routes_answer_and_the_orders_index_makes_the_query_ten_times_faster() {
    let server = DbServer::start(&["--db-users", "40000", "--db-orders", "400000"]);
    let user = server.json("/db/user/7");
    assert_eq!(user["id"], 7);
    assert_eq!(user["name"], "user-7");
    assert_eq!(server.get("/db/user/40001").status, 404);
    assert_eq!(server.get("/db/user/x").status, 400);
    let orders = server.json("/db/orders?user_id=7&status=pending");
    let rows = orders["orders"].as_array().unwrap();
    assert!(!rows.is_empty(), "{orders}");
    assert!(rows.iter().all(|o| o["status"] == "pending"), "{orders}");
    assert_eq!(server.get("/db/orders?status=pending").status, 400);
    assert_eq!(server.get("/db/orders?user_id=1&status=x'").status, 400);
    assert_eq!(server.json("/db/sleep?ms=20")["slept_ms"], 20);
    assert_eq!(server.get("/plaintext").status, 200);

    let stats = server.db_stats();
    assert_eq!(stats.orders_plan, "Seq Scan on orders");
    assert!(!stats.orders_index && stats.up, "{stats:?}");
    assert!(stats.postmaster_pid.is_some() && stats.dir.is_some());
    let metrics = server.get("/metrics").text();
    for name in [
        "db_client_connection_count{pool_name=\"loadtop.db\",state=\"idle\"}",
        "db_client_connection_count{pool_name=\"loadtop.db\",state=\"used\"}",
        "db_client_connection_max{pool_name=\"loadtop.db\"} 10",
        "db_client_connection_pending_requests",
        "db_client_connection_wait_time_seconds_bucket",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}:\n{metrics}");
    }

    let paths: Vec<String> = (100..109)
        .map(|u| format!("/db/orders?user_id={u}&status=pending"))
        .collect();
    let scanned = fastest_time(&server, &paths);
    let response = server.patch(r#"{"orders_index":true}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    let knobs: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(knobs["orders_index"], true);
    // The PATCH answers once the index exists, and the plan is re-read then.
    let stats = server.db_stats();
    assert!(
        stats.orders_plan.contains("orders_user_id_status_idx")
            && !stats.orders_plan.contains("Seq Scan"),
        "{}",
        stats.orders_plan
    );
    let indexed = fastest_time(&server, &paths);
    assert!(
        indexed * 10 <= scanned,
        "the indexed query took {indexed:?}, the scan {scanned:?}: not 10x faster"
    );
    assert_eq!(server.patch(r#"{"orders_index":false}"#).status, 200);
    assert_eq!(server.db_stats().orders_plan, "Seq Scan on orders");
}

#[test]
fn a_pool_of_two_queues_requests_into_waves_and_times_out() {
    let server = DbServer::start(&[
        "--db-users",
        "100",
        "--db-orders",
        "1000",
        "--knobs",
        r#"{"db_pool_size":2,"db_acquire_timeout_ms":10000}"#,
    ]);
    let addr = server.addr;
    let requests: Vec<_> = (0..10)
        .map(|_| {
            std::thread::spawn(move || {
                let started = Instant::now();
                let response =
                    admin_client::request(addr, "GET", "/db/sleep?ms=300", &[], b"", HTTP_TIMEOUT)
                        .unwrap();
                (response.status, started.elapsed())
            })
        })
        .collect();
    let mut most_waiting = 0;
    let saw_waiters = wait_until(Duration::from_secs(5), || {
        most_waiting = most_waiting.max(server.db_stats().waiting);
        most_waiting >= 4
    });
    let mut results: Vec<(u16, Duration)> =
        requests.into_iter().map(|h| h.join().unwrap()).collect();
    results.sort_by_key(|(_, took)| *took);
    assert!(
        results.iter().all(|(status, _)| *status == 200),
        "{results:?}"
    );
    assert!(
        saw_waiters,
        "stats never showed 4 waiters (most: {most_waiting})"
    );
    // Two at a time, 300 ms each: five waves, the last done after ≥ 1.5 s.
    let last = results[9].1;
    assert!(last >= Duration::from_millis(1450), "{results:?}");
    assert!(results[0].1 < Duration::from_millis(1000), "{results:?}");
    let stats = server.db_stats();
    assert!(stats.acquire_wait_max_us >= 1_000_000, "{stats:?}");
    assert_eq!((stats.pool_size, stats.timeouts), (2, 0), "{stats:?}");

    // Both connections held for 2 s: the next request gives up after 100 ms.
    assert_eq!(server.patch(r#"{"db_acquire_timeout_ms":100}"#).status, 200);
    let holders: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                admin_client::request(addr, "GET", "/db/sleep?ms=2000", &[], b"", HTTP_TIMEOUT)
                    .unwrap()
                    .status
            })
        })
        .collect();
    assert!(wait_until(Duration::from_secs(5), || server
        .db_stats()
        .in_use
        == 2));
    let started = Instant::now();
    let refused = server.get("/db/user/1");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(server.get("/plaintext").status, 200);
    assert!(holders.into_iter().all(|h| h.join().unwrap() == 200));
    assert!(server.db_stats().timeouts >= 1);

    // Live knobs: a bigger pool, and a statement timeout that cuts a query.
    assert_eq!(
        server
            .patch(r#"{"db_pool_size":4,"db_statement_timeout_ms":100}"#)
            .status,
        200
    );
    assert_eq!(server.db_stats().pool_size, 4);
    let cut = server.get("/db/sleep?ms=1000");
    assert_eq!(cut.status, 503, "{}", cut.text());
    assert!(cut.text().contains("statement_timeout"), "{}", cut.text());
    assert_eq!(server.db_stats().errors["statement_timeout"], 1);
}
