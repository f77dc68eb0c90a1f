//! The admin API: token checks, live knob changes, validation errors.

use loadtop::server::ServerError;
use loadtop::server::admin_client::{AdminClient, request};
use loadtop::server::knobs::{KnobPatch, Knobs};

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
