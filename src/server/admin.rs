//! The admin API under `/_loadtop/`: bearer-token check (constant time),
//! `GET|PATCH /_loadtop/knobs` and `GET /_loadtop/stats`. PATCH bodies are
//! read through a 1 MiB limit, deserialized into `KnobPatch` (unknown keys
//! refused, naming the key), validated and applied to the live knobs.

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use subtle::ConstantTimeEq;

use super::body::ResponseBody;
use super::knobs::KnobPatch;
use super::routes::{json_response, text_response};
use super::shared::{MAX_BODY, Shared};

/// Compares in time independent of the token's content (`subtle`); an empty
/// token never matches, whatever the server was given.
pub(crate) fn token_matches(given: &[u8], expected: &[u8]) -> bool {
    !given.is_empty() && bool::from(given.ct_eq(expected))
}

fn authorized(shared: &Shared, request: &Request<Incoming>) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .is_some_and(|token| token_matches(token, shared.admin_token.as_bytes()))
}

fn method_not_allowed(allow: &'static str) -> Response<ResponseBody> {
    let mut response = text_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn to_json<T: serde::Serialize>(value: &T) -> Response<ResponseBody> {
    match serde_json::to_vec(value) {
        Ok(json) => json_response(StatusCode::OK, json),
        Err(_) => text_response(StatusCode::INTERNAL_SERVER_ERROR, "cannot encode JSON\n"),
    }
}

fn bad_request(message: String) -> Response<ResponseBody> {
    let body = serde_json::json!({ "error": message }).to_string();
    json_response(StatusCode::BAD_REQUEST, body)
}

pub(crate) async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<ResponseBody> {
    if !authorized(shared, &request) {
        let mut response = text_response(StatusCode::UNAUTHORIZED, "admin token required\n");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    match request.uri().path() {
        "/_loadtop/knobs" => match *request.method() {
            Method::GET | Method::HEAD => to_json(&shared.knobs.load()),
            Method::PATCH => patch_knobs(shared, request).await,
            _ => method_not_allowed("GET, HEAD, PATCH"),
        },
        "/_loadtop/stats" => match *request.method() {
            Method::GET | Method::HEAD => to_json(&shared.stats()),
            _ => method_not_allowed("GET, HEAD"),
        },
        _ => text_response(StatusCode::NOT_FOUND, "not found\n"),
    }
}

async fn patch_knobs(shared: &Shared, request: Request<Incoming>) -> Response<ResponseBody> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY) {
        return text_response(StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MiB\n");
    }
    let limit = usize::try_from(MAX_BODY).unwrap_or(usize::MAX);
    let body = match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            return text_response(StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MiB\n");
        }
        Err(_) => return text_response(StatusCode::BAD_REQUEST, "cannot read request body\n"),
    };
    let patch = match KnobPatch::from_json(&body) {
        Ok(patch) => patch,
        Err(err) => return bad_request(format!("invalid knobs: {err}")),
    };
    if let Err(response) = super::db::apply_patch(shared.db.as_deref(), &patch).await {
        return response;
    }
    match shared.apply_patch(&patch) {
        Ok(knobs) => to_json(&knobs),
        Err(err) => bad_request(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn token_comparison() {
        assert!(token_matches(b"abc", b"abc"));
        assert!(!token_matches(b"abd", b"abc"));
        assert!(!token_matches(b"ab", b"abc"));
        assert!(!token_matches(b"", b""));
    }
}
