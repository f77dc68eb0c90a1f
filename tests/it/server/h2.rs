//! HTTP/2 on the plain listener (h2c prior knowledge): every request served
//! and counted, routes, middleware, the admin API and `/metrics` answering
//! as over HTTP/1.1, and graceful shutdown letting open streams finish.

use std::time::{Duration, Instant};

use hyper::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::InProc;
use super::http_client::{REQUESTS, block_on, get_request, h2_plaintexts};

#[test]
fn h2c_prior_knowledge_on_plain_tcp_is_served_and_counted() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let failures = block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        h2_plaintexts(tcp, &format!("http://{addr}"), REQUESTS).await
    });
    assert!(failures.is_empty(), "{failures:?}");
    // HTTP/1.1 still works on the same listener, and both were counted.
    assert_eq!(super::get(addr, "/plaintext").status, 200);
    let stats = server.admin().stats().unwrap();
    assert_eq!(stats.per_route["plaintext"], REQUESTS as u64 + 1);
}

#[test]
fn shutdown_lets_in_flight_h2_streams_finish() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let client = std::thread::spawn(move || {
        block_on(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            let uri = format!("http://{addr}/sleep?ms=600");
            let response = sender.send_request(get_request(&uri, None)).await.unwrap();
            response.status()
        })
    });
    assert!(super::wait_until(Duration::from_secs(5), || server
        .admin()
        .stats()
        .is_ok_and(|s| s.inflight == 1)));
    let started = Instant::now();
    drop(server);
    assert_eq!(client.join().unwrap(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

type Sender = hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>;

/// One request on an h2 connection: (status, content-type, body text).
async fn exchange(
    sender: &mut Sender,
    method: &str,
    uri: String,
    token: Option<&str>,
    body: &'static str,
) -> (StatusCode, String, String) {
    use http_body_util::BodyExt;
    let mut request = hyper::Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::from_static(
            body.as_bytes(),
        )))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[test]
fn routes_middleware_admin_and_metrics_behave_the_same_over_h2() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let token = server.token().to_string();
    let url = |path: &str| format!("http://{addr}{path}");
    let limited = block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
        tokio::spawn(connection);
        let s = &mut sender;
        let (status, kind, body) = exchange(s, "GET", url("/json"), None, "").await;
        assert_eq!(
            (status, kind.as_str()),
            (StatusCode::OK, "application/json")
        );
        assert!(body.starts_with('{'), "{body}");
        let (status, _, body) = exchange(s, "GET", url("/user/42"), None, "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"user_id\":42"), "{body}");
        let (status, _, _) = exchange(s, "GET", url("/no/such/route"), None, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, body) = exchange(s, "GET", url("/sleep?ms=5"), None, "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("\"slept_ms\":5"), "{body}");

        // The admin API: token required, a PATCH body read over h2.
        let knobs = url("/_loadtop/knobs");
        let patch = r#"{"rate_limit_rps":5}"#;
        let (status, _, _) = exchange(s, "PATCH", knobs.clone(), None, patch).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, body) = exchange(s, "PATCH", knobs.clone(), Some(&token), patch).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"rate_limit_rps\":5"), "{body}");
        let (status, _, body) = exchange(s, "PATCH", knobs, Some(&token), r#"{"nope":1}"#).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("nope"), "{body}");

        // The rate limiter answers 429 over h2 as over HTTP/1.1.
        let mut limited = 0;
        let mut served = 0;
        for _ in 0..30 {
            match exchange(s, "GET", url("/plaintext"), None, "").await.0 {
                StatusCode::OK => served += 1,
                StatusCode::TOO_MANY_REQUESTS => limited += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert!(
            limited >= 10 && served >= 1,
            "{limited} limited, {served} served"
        );

        let (status, _, text) = exchange(s, "GET", url("/metrics"), None, "").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.contains(r#"loadtop_serve_requests_total{route="user"} 1"#),
            "{text}"
        );
        limited
    });
    let stats = server.admin().stats().unwrap();
    assert_eq!(stats.rate_limited, limited);
    assert_eq!(stats.per_route["plaintext"], 30);
    assert_eq!(stats.per_route["not_found"], 1);
}
