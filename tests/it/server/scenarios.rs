//! Bottleneck scenarios and the limiting middleware, each pushed on purpose.

use std::time::{Duration, Instant};

use loadtop::server::knobs::KnobPatch;

use super::{InProc, concurrent_gets, get, timed_get, wait_until};

#[test]
fn pool_exhaustion_queues_requests_in_waves() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        pool_size: Some(2),
        hold_ms: Some(200),
        acquire_timeout_ms: Some(10_000),
        ..KnobPatch::default()
    });
    let mut results = concurrent_gets(server.addr(), "/pool", 10);
    assert!(
        results.iter().all(|(status, _)| *status == 200),
        "{results:?}"
    );
    results.sort_by_key(|(_, took)| *took);
    let latencies: Vec<Duration> = results.iter().map(|(_, took)| *took).collect();
    // Two slots, five waves of 200 ms: everyone holds >= 200 ms and the last
    // wave waited for four before it.
    assert!(latencies[0] >= Duration::from_millis(190), "{latencies:?}");
    assert!(latencies[9] >= Duration::from_millis(950), "{latencies:?}");
    let late = latencies
        .iter()
        .filter(|t| **t >= Duration::from_millis(590))
        .count();
    assert!(late >= 5, "{latencies:?}");
    let stats = server.admin().stats().unwrap();
    assert_eq!(stats.pool.size, 2);
    assert_eq!(stats.pool.in_use, 0);
    assert!(stats.pool.wait_max_us >= 700_000, "{:?}", stats.pool);
    assert!(stats.pool.wait_p99_us >= stats.pool.wait_p50_us);
}

#[test]
fn pool_acquire_timeout_answers_503() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        pool_size: Some(2),
        hold_ms: Some(400),
        acquire_timeout_ms: Some(50),
        ..KnobPatch::default()
    });
    let results = concurrent_gets(server.addr(), "/pool", 10);
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let unavailable = results.iter().filter(|(s, _)| *s == 503).count();
    assert_eq!(ok + unavailable, 10, "{results:?}");
    assert!((2..=4).contains(&ok), "{results:?}");
    let stats = server.admin().stats().unwrap();
    assert_eq!(stats.pool.timeouts, unavailable as u64);
}

#[test]
fn load_shedding_refuses_at_once_beyond_max_inflight() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        load_shedding: Some(true),
        max_inflight: Some(2),
        ..KnobPatch::default()
    });
    let addr = server.addr();
    let slow = std::thread::spawn(move || concurrent_gets(addr, "/sleep?ms=1500", 2));
    assert!(wait_until(Duration::from_secs(5), || server
        .admin()
        .stats()
        .unwrap()
        .inflight
        == 2));
    let (shed, took) = timed_get(addr, "/plaintext");
    assert_eq!(shed.status, 503);
    assert_eq!(shed.header("retry-after"), Some("1"));
    assert!(took < Duration::from_millis(1000), "{took:?}");
    // Admin stays reachable while shedding.
    assert!(server.admin().stats().unwrap().shed >= 1);
    let slow = slow.join().unwrap();
    assert!(slow.iter().all(|(s, _)| *s == 200), "{slow:?}");
    assert_eq!(get(addr, "/plaintext").status, 200);
}

#[test]
fn rate_limit_answers_429() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        rate_limit_rps: Some(5),
        ..KnobPatch::default()
    });
    let statuses: Vec<u16> = (0..30)
        .map(|_| get(server.addr(), "/plaintext").status)
        .collect();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 10, "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
    assert_eq!(server.admin().stats().unwrap().rate_limited, limited as u64);
}

#[test]
fn request_timeout_answers_504() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        request_timeout_ms: Some(100),
        ..KnobPatch::default()
    });
    let (response, took) = timed_get(server.addr(), "/sleep?ms=3000");
    assert_eq!(response.status, 504);
    assert!(took < Duration::from_millis(2500), "{took:?}");
    assert_eq!(get(server.addr(), "/sleep?ms=1").status, 200);
    assert_eq!(server.admin().stats().unwrap().timeouts, 1);
}

#[test]
fn panicking_handler_answers_500_and_server_keeps_serving() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    assert_eq!(get(addr, "/_test/panic").status, 500);
    assert_eq!(get(addr, "/plaintext").status, 200);
    assert_eq!(get(addr, "/_test/panic").status, 500);
    assert_eq!(server.admin().stats().unwrap().panics, 2);
}

#[test]
fn global_stall_holds_requests_until_the_window_ends() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        stall_every_ms: Some(300),
        stall_ms: Some(600),
        ..KnobPatch::default()
    });
    let admin = server.admin();
    let before = admin.stats().unwrap().stalls;
    assert!(wait_until(Duration::from_secs(5), || admin
        .stats()
        .unwrap()
        .stalls
        > before));
    // The stats call itself went through during the stall (exempt); a
    // normal request now waits out the rest of the 600 ms window.
    let started = Instant::now();
    let (response, took) = timed_get(server.addr(), "/plaintext");
    assert_eq!(response.status, 200);
    assert!(
        took >= Duration::from_millis(300),
        "{took:?} after {:?}",
        started.elapsed()
    );
    server.patch(KnobPatch {
        stall_every_ms: Some(0),
        ..KnobPatch::default()
    });
    std::thread::sleep(Duration::from_millis(700));
    let (_, took) = timed_get(server.addr(), "/plaintext");
    assert!(took < Duration::from_millis(300), "{took:?}");
}

#[test]
fn cpu_workers_limit_serializes_computations() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        cpu_workers: Some(1),
        jitter_ms: Some(0),
        ..KnobPatch::default()
    });
    let addr = server.addr();
    let admin = server.admin();
    let busy = std::thread::spawn(move || concurrent_gets(addr, "/cpu?work=1000000", 3));
    let mut max_seen = 0;
    assert!(wait_until(Duration::from_secs(60), || {
        max_seen = max_seen.max(admin.stats().unwrap().cpu_inflight);
        busy.is_finished()
    }));
    let results = busy.join().unwrap();
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    assert_eq!(max_seen, 1);
}

#[test]
fn jitter_delays_scenario_routes_only() {
    let server = InProc::with_defaults();
    server.patch(KnobPatch {
        jitter_ms: Some(300),
        ..KnobPatch::default()
    });
    let addr = server.addr();
    let latencies: Vec<Duration> = (0..8)
        .map(|_| {
            let (response, took) = timed_get(addr, "/sleep?ms=0");
            assert_eq!(response.status, 200);
            took
        })
        .collect();
    // Eight uniform draws from 0..=300 ms all staying under 50 ms has odds
    // (1/6)^8; their sum (expected 1.2 s) under 200 ms is rarer still.
    assert!(
        latencies.iter().any(|t| *t >= Duration::from_millis(50)),
        "{latencies:?}"
    );
    let total: Duration = latencies.iter().sum();
    assert!(total >= Duration::from_millis(200), "{latencies:?}");
}
