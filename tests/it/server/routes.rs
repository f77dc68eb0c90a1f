//! Every fixed route, its status codes and headers.

use super::{InProc, get, send};

#[test]
fn fixed_routes_answer_with_the_right_status_and_body() {
    let server = InProc::with_defaults();
    let addr = server.addr();

    let welcome = get(addr, "/");
    assert_eq!(welcome.status, 200);
    assert!(
        welcome
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(welcome.text().contains("loadtop serve"));

    let plain = get(addr, "/plaintext");
    assert_eq!(
        (plain.status, plain.text().as_str()),
        (200, "Hello, World!")
    );
    assert!(
        plain
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));

    let json: serde_json::Value = serde_json::from_slice(&get(addr, "/json").body).unwrap();
    assert_eq!(json["message"], "Hello, World!");

    let user: serde_json::Value = serde_json::from_slice(&get(addr, "/user/42").body).unwrap();
    assert_eq!(user, serde_json::json!({"user_id": 42, "name": "user-42"}));
    assert_eq!(get(addr, "/user/abc").status, 400);
    assert_eq!(get(addr, "/user/-1").status, 400);
    assert_eq!(get(addr, "/user/99999999999999999999999").status, 400);

    assert_eq!(get(addr, "/no/such/path").status, 404);
    assert_eq!(get(addr, "/_test/nothing").status, 404);
}

#[test]
fn wrong_methods_head_and_preflight() {
    let server = InProc::with_defaults();
    let addr = server.addr();

    let refused = send(addr, "POST", "/json", &[]);
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(send(addr, "DELETE", "/user/3", &[]).status, 405);

    let head = send(addr, "HEAD", "/plaintext", &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("13"));
    assert!(head.body.is_empty());

    let preflight = send(
        addr,
        "OPTIONS",
        "/json",
        &[
            ("Origin", "http://example.test"),
            ("Access-Control-Request-Method", "GET"),
        ],
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );
}

#[test]
fn scenario_routes_and_metrics() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let sleep = get(addr, "/sleep?ms=5");
    assert_eq!(sleep.status, 200);
    assert!(sleep.text().contains("\"slept_ms\":5"));
    let cpu = get(addr, "/cpu?work=10");
    assert_eq!(cpu.status, 200);
    assert!(cpu.text().contains("\"rounds\":10"));
    assert_eq!(get(addr, "/cpu?work=abc").status, 400);
    assert_eq!(get(addr, "/sleep?ms=x").status, 400);
    assert_eq!(get(addr, "/pool").status, 200);

    let metrics = get(addr, "/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(
        text.contains("loadtop_serve_requests_total{route=\"pool\"} 1"),
        "{text}"
    );
    assert!(text.contains("loadtop_serve_pool_size 16"), "{text}");

    let stats = server.admin().stats().unwrap();
    assert_eq!(stats.per_route["cpu"], 2);
    assert_eq!(stats.per_route["sleep"], 2);
    assert!(stats.requests_total >= 6);
    assert!(stats.pool.wait_max_us > 0);
}
