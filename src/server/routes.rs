//! Routing and the instant handlers. `match_route` turns method + path into
//! a `Matched` (path parameters already parsed, e.g. `/user/{id}` as u64);
//! `instant_response` answers the routes that need no waiting, so the
//! service can finish them inside `call` without boxing a future.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};

use super::body::ResponseBody;

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
pub(crate) const ALLOW_GET: HeaderValue = HeaderValue::from_static("GET, HEAD, OPTIONS");

const WELCOME: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>loadtop serve</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><h1>loadtop serve</h1>
<p>The embedded target server of loadtop.</p>
<table>
<tr><td><a href="/plaintext">/plaintext</a></td><td>Hello, World!</td></tr>
<tr><td><a href="/json">/json</a></td><td>a small JSON object</td></tr>
<tr><td><a href="/user/42">/user/{id}</a></td><td>a path parameter</td></tr>
<tr><td><a href="/static/index.html">/static/{path}</a></td><td>static files</td></tr>
<tr><td><a href="/pool">/pool</a></td><td>a simulated DB pool</td></tr>
<tr><td><a href="/cpu">/cpu?work=N</a></td><td>N rounds of SHA-256</td></tr>
<tr><td><a href="/sleep">/sleep?ms=N</a></td><td>an asynchronous wait</td></tr>
<tr><td><a href="/db/user/42">/db/user/{id}</a></td><td>a primary-key lookup (serve --database)</td></tr>
<tr><td><a href="/db/orders?user_id=42&amp;status=pending">/db/orders?user_id=N&amp;status=S</a></td><td>the slow query until orders_index</td></tr>
<tr><td><a href="/db/sleep?ms=100">/db/sleep?ms=N</a></td><td>a query that holds a pooled connection</td></tr>
<tr><td><a href="/metrics">/metrics</a></td><td>Prometheus counters</td></tr>
</table></body></html>
"#;

/// Route identities for counting; `name` is the label in stats and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Welcome,
    Plaintext,
    Json,
    User,
    Static,
    Pool,
    Cpu,
    Sleep,
    Metrics,
    Admin,
    TestPanic,
    Preflight,
    NotFound,
    MethodNotAllowed,
    DbUser,
    DbOrders,
    DbSleep,
}

impl Route {
    pub const COUNT: usize = 17;
    pub const ALL: [Route; Route::COUNT] = [
        Route::Welcome,
        Route::Plaintext,
        Route::Json,
        Route::User,
        Route::Static,
        Route::Pool,
        Route::Cpu,
        Route::Sleep,
        Route::Metrics,
        Route::Admin,
        Route::TestPanic,
        Route::Preflight,
        Route::NotFound,
        Route::MethodNotAllowed,
        Route::DbUser,
        Route::DbOrders,
        Route::DbSleep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Route::Welcome => "welcome",
            Route::Plaintext => "plaintext",
            Route::Json => "json",
            Route::User => "user",
            Route::Static => "static",
            Route::Pool => "pool",
            Route::Cpu => "cpu",
            Route::Sleep => "sleep",
            Route::Metrics => "metrics",
            Route::Admin => "admin",
            Route::TestPanic => "test_panic",
            Route::Preflight => "preflight",
            Route::NotFound => "not_found",
            Route::MethodNotAllowed => "method_not_allowed",
            Route::DbUser => "db_user",
            Route::DbOrders => "db_orders",
            Route::DbSleep => "db_sleep",
        }
    }

    /// Routes that never wait; everything else runs as a boxed future.
    pub fn is_instant(self) -> bool {
        matches!(
            self,
            Route::Welcome
                | Route::Plaintext
                | Route::Json
                | Route::User
                | Route::TestPanic
                | Route::Preflight
                | Route::NotFound
                | Route::MethodNotAllowed
        )
    }

    /// Scenario routes take fault injection (error_rate, jitter).
    pub fn is_scenario(self) -> bool {
        matches!(self, Route::Pool | Route::Cpu | Route::Sleep)
    }
}

/// A matched request; `user_id` is `Some(Err)` when `/user/{id}` is not a u64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    pub route: Route,
    pub user_id: Option<Result<u64, ()>>,
}

impl From<Route> for Matched {
    fn from(route: Route) -> Self {
        Matched {
            route,
            user_id: None,
        }
    }
}

pub fn match_route(method: &Method, path: &str, test_routes: bool) -> Matched {
    if path.starts_with("/_loadtop/") {
        return Route::Admin.into();
    }
    let (route, user_id) = match path {
        "/" => (Route::Welcome, None),
        "/plaintext" => (Route::Plaintext, None),
        "/json" => (Route::Json, None),
        "/pool" => (Route::Pool, None),
        "/cpu" => (Route::Cpu, None),
        "/sleep" => (Route::Sleep, None),
        "/metrics" => (Route::Metrics, None),
        "/db/orders" => (Route::DbOrders, None),
        "/db/sleep" => (Route::DbSleep, None),
        "/_test/panic" if test_routes => (Route::TestPanic, None),
        _ => {
            if let Some(id) = path.strip_prefix("/user/") {
                (Route::User, Some(id.parse::<u64>().map_err(|_| ())))
            } else if let Some(id) = path.strip_prefix("/db/user/") {
                (Route::DbUser, Some(id.parse::<u64>().map_err(|_| ())))
            } else if path.starts_with("/static/") {
                (Route::Static, None)
            } else {
                (Route::NotFound, None)
            }
        }
    };
    if route == Route::NotFound {
        return route.into();
    }
    match *method {
        Method::GET | Method::HEAD => Matched { route, user_id },
        Method::OPTIONS => Route::Preflight.into(),
        _ => Route::MethodNotAllowed.into(),
    }
}

pub fn text_response(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    with_type(
        status,
        TEXT_PLAIN,
        ResponseBody::from_static(text.as_bytes()),
    )
}

pub fn json_response(status: StatusCode, json: impl Into<ResponseBody>) -> Response<ResponseBody> {
    with_type(status, APPLICATION_JSON, json.into())
}

fn with_type(
    status: StatusCode,
    content_type: HeaderValue,
    body: ResponseBody,
) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// Answers a route for which `Route::is_instant` holds.
pub fn instant_response(matched: Matched) -> Response<ResponseBody> {
    match matched.route {
        Route::Welcome => with_type(
            StatusCode::OK,
            TEXT_HTML,
            ResponseBody::from_static(WELCOME.as_bytes()),
        ),
        Route::Plaintext => text_response(StatusCode::OK, "Hello, World!"),
        Route::Json => json_response(
            StatusCode::OK,
            Bytes::from_static(br#"{"message":"Hello, World!"}"#),
        ),
        Route::User => match matched.user_id {
            Some(Ok(id)) => json_response(
                StatusCode::OK,
                format!(r#"{{"user_id":{id},"name":"user-{id}"}}"#),
            ),
            _ => text_response(
                StatusCode::BAD_REQUEST,
                "user id must be an unsigned integer\n",
            ),
        },
        Route::TestPanic => panic!("the /_test/panic route panics on purpose"),
        Route::Preflight => {
            let mut response = Response::new(ResponseBody::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            let headers = response.headers_mut();
            headers.insert(header::ALLOW, ALLOW_GET);
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_GET);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("*"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
            response
        }
        Route::MethodNotAllowed => {
            let mut response =
                text_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers_mut().insert(header::ALLOW, ALLOW_GET);
            response
        }
        _ => text_response(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `?key=N` from a query string: `Ok(None)` when absent, `Err` when not a u64.
pub fn query_u64(query: Option<&str>, key: &str) -> Result<Option<u64>, ()> {
    query_value(query, key)
        .map(|value| value.parse().map_err(|_| ()))
        .transpose()
}

/// The raw value of the first `key=value` pair named `key`.
pub fn query_value<'q>(query: Option<&'q str>, key: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| {
        pair.split_once('=')
            .filter(|(name, _)| *name == key)
            .map(|(_, value)| value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_parameters_and_methods() {
        let get = Method::GET;
        assert_eq!(match_route(&get, "/user/7", false).user_id, Some(Ok(7)));
        assert_eq!(match_route(&get, "/user/x", false).user_id, Some(Err(())));
        assert_eq!(match_route(&get, "/nope", false).route, Route::NotFound);
        assert_eq!(match_route(&get, "/db/user/9", false).user_id, Some(Ok(9)));
        assert_eq!(match_route(&get, "/db/user/9", false).route, Route::DbUser);
        assert_eq!(
            match_route(&get, "/db/orders", false).route,
            Route::DbOrders
        );
        assert_eq!(match_route(&get, "/db/sleep", false).route, Route::DbSleep);
        assert_eq!(
            match_route(&Method::POST, "/json", false).route,
            Route::MethodNotAllowed
        );
        assert_eq!(
            match_route(&Method::HEAD, "/json", false).route,
            Route::Json
        );
        assert_eq!(
            match_route(&get, "/_test/panic", false).route,
            Route::NotFound
        );
        assert_eq!(
            match_route(&get, "/_test/panic", true).route,
            Route::TestPanic
        );
        assert_eq!(Route::ALL.len(), Route::COUNT);
        for (index, route) in Route::ALL.iter().enumerate() {
            assert_eq!(*route as usize, index);
        }
    }

    #[test]
    fn query_parsing() {
        assert_eq!(query_u64(Some("work=5&x=1"), "work"), Ok(Some(5)));
        assert_eq!(query_u64(Some("x=1"), "work"), Ok(None));
        assert_eq!(query_u64(Some("work=abc"), "work"), Err(()));
        assert_eq!(query_u64(None, "work"), Ok(None));
    }
}
