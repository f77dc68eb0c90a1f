//! The generator's HTTP/2 and TLS against loadtop's own server: a request
//! mix over h2c counted per route by the server, and `loadtop bench` over
//! HTTPS + h2 trusting the certificate `loadtop serve --tls` wrote.

use std::time::Duration;

use loadtop::load::{self, LoadConfig, Protocol, RequestSpec, WeightedRequest};

use super::{bench_h2_over_tls, collect_ticks, stop_and_total};
use crate::server::InProc;
use crate::support::serve_with;

#[test]
fn a_mix_over_h2c_is_counted_per_route_by_the_server() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let mut config = LoadConfig::new(addr, RequestSpec::get(addr.to_string(), "/"));
    config.requests = [("plain", "/plaintext", 3), ("json", "/json", 1)]
        .into_iter()
        .map(|(name, path, weight)| WeightedRequest {
            name: name.into(),
            spec: RequestSpec::get(addr.to_string(), path),
            weight,
        })
        .collect();
    config.transport.http2 = true;
    config.transport.h2_streams = 4;
    config.threads = 1;
    config.connections = 2;
    config.max_requests = Some(800);
    config.tick = Duration::from_millis(100);
    assert_eq!(load::probe(&config).unwrap(), Protocol::Http2);
    let engine = load::start(config).unwrap();
    let ticks = collect_ticks(&engine, Duration::from_secs(30), |tick| tick.done);
    let total = stop_and_total(engine, ticks);
    assert_eq!(total.error_count(), 0, "{:?}", total.errors);
    assert_eq!(total.responses, 800);
    assert_eq!(total.connects, 2);
    let stats = server.admin().stats().unwrap();
    let plain = total.requests[0].responses;
    let json = total.requests[1].responses;
    assert_eq!(plain + json, 800);
    assert_eq!(stats.per_route["plaintext"], plain);
    assert_eq!(stats.per_route["json"], json);
    // Weights 3:1 over 8 streams walking one wheel: within a turn per stream.
    assert!(
        (590..=610).contains(&plain),
        "{plain} of 800 for weight 3/4"
    );
}

#[test]
fn bench_over_https_h2_trusts_the_certificate_serve_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let (_server, url) = serve_with(&["--tls", "--tls-cert-out", cert.to_str().unwrap()]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let (out, report) = bench_h2_over_tls(&format!("{url}/plaintext"), &cert, 200, 4, dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report = report.unwrap();
    assert_eq!(report["plan"]["protocol"], "HTTP/2");
    assert_eq!(report["plan"]["tls"], true);
    assert_eq!(report["summary"]["requests"], 200, "{}", report["summary"]);
    assert_eq!(
        report["summary"]["errors"],
        serde_json::json!([]),
        "{}",
        report["summary"]
    );
}
