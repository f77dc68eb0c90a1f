//! The admin API: token checks, live knob changes, validation errors.

use loadtop::server::ServerError;
use loadtop::server::admin_client::{AdminClient, request};
use loadtop::server::knobs::{KnobPatch, Knobs};

use hyper_util::rt::{TokioExecutor, TokioIo};
use loadtop::server::ServerConfig;

use super::http_client::block_on;
use super::{InProc, TIMEOUT, get, send};

#[test]
fn admin_requires_the_token() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let missing = get(addr, "/_loadtop/knobs");
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong = send(
        addr,
        "GET",
        "/_loadtop/stats",
        &[("Authorization", "Bearer 0123")],
    );
    assert_eq!(wrong.status, 401);
    let err = AdminClient::new(addr, "not-the-token")
        .get_knobs()
        .unwrap_err();
    assert!(
        matches!(err, ServerError::AdminStatus { status: 401, .. }),
        "{err}"
    );
    assert_eq!(server.admin().get_knobs().unwrap(), Knobs::default());
    let token = format!("Bearer {}", server.admin().token);
    let unknown = send(
        addr,
        "GET",
        "/_loadtop/nothing",
        &[("Authorization", &token)],
    );
    assert_eq!(unknown.status, 404);
    let wrong_method = send(
        addr,
        "DELETE",
        "/_loadtop/knobs",
        &[("Authorization", &token)],
    );
    assert_eq!(wrong_method.status, 405);
}

#[test]
fn live_patch_changes_behaviour_and_back() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    assert_eq!(get(addr, "/sleep?ms=1").status, 200);
    let knobs = server
        .admin()
        .patch_knobs(&KnobPatch {
            error_rate: Some(1.0),
            ..KnobPatch::default()
        })
        .unwrap();
    assert_eq!(knobs.error_rate, 1.0);
    for path in ["/sleep?ms=1", "/pool", "/cpu?work=1"] {
        assert_eq!(get(addr, path).status, 500, "{path}");
    }
    // Fault injection is for scenario routes only.
    assert_eq!(get(addr, "/plaintext").status, 200);
    assert_eq!(server.admin().stats().unwrap().errors_injected, 3);
    server.patch(KnobPatch {
        error_rate: Some(0.0),
        ..KnobPatch::default()
    });
    assert_eq!(get(addr, "/sleep?ms=1").status, 200);
    assert_eq!(server.admin().get_knobs().unwrap(), Knobs::default());
}

#[test]
fn bad_patches_name_the_key() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    let token = format!("Bearer {}", server.admin().token);
    let auth = [
        ("Authorization", token.as_str()),
        ("Content-Type", "application/json"),
    ];
    let patch = |body: &str| {
        request(
            addr,
            "PATCH",
            "/_loadtop/knobs",
            &auth,
            body.as_bytes(),
            TIMEOUT,
        )
        .unwrap()
    };

    let unknown = patch(r#"{"pool_sise": 4}"#);
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("pool_sise"), "{}", unknown.text());
    let range = patch(r#"{"error_rate": 2.5}"#);
    assert_eq!(range.status, 400);
    assert!(range.text().contains("error_rate"), "{}", range.text());
    for (body, key) in [
        (r#"{"pool_size": null}"#, "pool_size"),
        (r#"{"load_shedding": null}"#, "load_shedding"),
        (r#"{"error_rate": "0.5"}"#, "error_rate"),
        (r#"{"hold_ms": -5}"#, "hold_ms"),
        (r#"{"max_inflight": 1.5}"#, "max_inflight"),
    ] {
        let refused = patch(body);
        assert_eq!(refused.status, 400, "{body}");
        let error: serde_json::Value = serde_json::from_slice(&refused.body).unwrap();
        let message = error["error"].as_str().unwrap();
        assert!(
            message.contains(&format!("{key}: invalid")),
            "{body}: {message}"
        );
    }
    let zero_pool = patch(r#"{"pool_size": 0}"#);
    assert!(zero_pool.text().contains("pool_size"));
    assert_eq!(patch("not json").status, 400);
    assert_eq!(patch(r#"{"hold_ms": "fast"}"#).status, 400);
    // Nothing above changed anything.
    assert_eq!(server.admin().get_knobs().unwrap(), Knobs::default());

    let err = server
        .admin()
        .patch_knobs(&KnobPatch {
            max_inflight: Some(0),
            ..KnobPatch::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("max_inflight"), "{err}");
}

#[test]
fn a_bare_bearer_never_opens_the_admin_api() {
    let server = InProc::with_defaults();
    let addr = server.addr();
    for value in ["Bearer ", "Bearer", "Bearer  ", "bearer ", ""] {
        let response = send(addr, "GET", "/_loadtop/knobs", &[("Authorization", value)]);
        assert_eq!(response.status, 401, "HTTP/1.1 {value:?}");
    }
    let statuses = block_on(async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
        tokio::spawn(connection);
        let mut statuses = Vec::new();
        for value in ["Bearer ", "Bearer", ""] {
            let request = hyper::Request::get(format!("http://{addr}/_loadtop/knobs"))
                .header("authorization", value)
                .body(http_body_util::Empty::<bytes::Bytes>::new())
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            statuses.push(response.status().as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [401, 401, 401]);
}

#[test]
fn an_empty_or_short_token_does_not_start_a_server() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for token in ["", "0123456789abcde"] {
        let started = runtime.block_on(loadtop::server::start(ServerConfig {
            admin_token: Some(token.to_string()),
            ..ServerConfig::default()
        }));
        let err = started.unwrap_err();
        assert!(
            matches!(err, ServerError::AdminToken(_)),
            "{token:?}: {err}"
        );
    }
    let sixteen = runtime.block_on(loadtop::server::start(ServerConfig {
        admin_token: Some("0123456789abcdef".to_string()),
        ..ServerConfig::default()
    }));
    assert_eq!(sixteen.unwrap().admin_token(), "0123456789abcdef");
}
