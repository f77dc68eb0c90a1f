//! Request mixes: the engine spreads sends by weight and records every
//! request name apart, checked against the embedded server's own per-route
//! counts.

use std::time::Duration;

use loadtop::load::{self, LoadConfig, Model, RequestSpec, WeightedRequest};

use super::{collect_ticks, stop_and_total};
use crate::server::InProc;

fn weighted(addr: std::net::SocketAddr, name: &str, path: &str, weight: u32) -> WeightedRequest {
    WeightedRequest {
        name: name.into(),
        spec: RequestSpec::get(addr.to_string(), path),
        weight,
    }
}

#[test]
fn a_weighted_mix_sends_each_request_by_weight_and_counts_it_apart() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let mut config = LoadConfig::new(addr, RequestSpec::get(addr.to_string(), "/"));
    config.requests = vec![
        weighted(addr, "plain", "/plaintext", 6),
        weighted(addr, "json", "/json", 3),
        weighted(addr, "user", "/user/7", 1),
    ];
    config.threads = 2;
    config.connections = 8;
    config.max_requests = Some(3_000);
    config.tick = Duration::from_millis(100);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(30), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 3_000);
    assert_eq!(total.requests.len(), 3);
    let stats = server.admin().stats().unwrap();
    for (index, (route, weight)) in [("plaintext", 6.0), ("json", 3.0), ("user", 1.0)]
        .into_iter()
        .enumerate()
    {
        let sent = total.requests[index].responses;
        let expected = 3_000.0 * weight / 10.0;
        assert!(
            (sent as f64 - expected).abs() <= expected * 0.03,
            "{route}: {sent} sent, {expected} expected"
        );
        assert_eq!(stats.per_route[route], sent, "{route}");
        assert_eq!(total.requests[index].status_counts(), vec![(200, sent)]);
    }
}

#[test]
fn an_open_model_mix_keeps_each_names_latency_apart() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let mut config = LoadConfig::new(addr, RequestSpec::get(addr.to_string(), "/"));
    config.requests = vec![
        weighted(addr, "fast", "/plaintext", 4),
        weighted(addr, "slow", "/sleep?ms=60", 1),
    ];
    config.threads = 1;
    config.connections = 16;
    config.model = Model::Open { rate: 200.0 };
    config.max_requests = Some(300);
    config.tick = Duration::from_millis(100);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(30), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.responses, 300);
    let (fast, slow) = (&total.requests[0], &total.requests[1]);
    // Each connection stops wherever it is on the wheel when the budget ends.
    assert_eq!(fast.responses + slow.responses, 300);
    assert!(slow.responses.abs_diff(60) <= 9, "{}", slow.responses);
    // The slow request's own 60 ms shows in its percentiles and not in the fast one's median.
    assert!(slow.latency.value_at_quantile(0.5) >= 60_000);
    assert!(fast.latency.value_at_quantile(0.5) < 60_000);
    assert_eq!(
        server.admin().stats().unwrap().per_route["sleep"],
        slow.responses
    );
}

#[test]
fn bad_weights_are_refused_before_any_load() {
    let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    let mut config = LoadConfig::new(addr, RequestSpec::get(addr.to_string(), "/"));
    config.requests = vec![weighted(addr, "a", "/", 0)];
    let message = load::start(config).err().unwrap().to_string();
    assert!(message.contains("weights must be at least 1"), "{message}");
}
