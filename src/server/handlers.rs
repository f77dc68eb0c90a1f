//! The asynchronous request path: `slow_path` wraps a handler in the
//! in-flight count, the stall wait (before and after, so a request in
//! progress during a stall also waits it out) and the request timeout, and
//! runs the scenario routes with their fault injection. `exempt` serves the
//! admin API and /metrics outside all of that.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::admin;
use super::body::ResponseBody;
use super::knobs::LiveKnobs;
use super::routes::{self, Matched, Route, json_response, text_response};
use super::scenarios::burn_cpu;
use super::shared::Shared;
use super::stats::{bump, prometheus_text};

/// Counts a request as in flight for as long as it lives (panics included).
struct InflightGuard<'a>(&'a AtomicU64);

impl<'a> InflightGuard<'a> {
    fn new(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        InflightGuard(counter)
    }
}

impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) async fn slow_path(
    shared: Arc<Shared>,
    matched: Matched,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    let _inflight = InflightGuard::new(&shared.counters.inflight);
    shared.stall.wait_out().await;
    let timeout_ms = LiveKnobs::get(&shared.knobs.request_timeout_ms);
    let handler = handle(&shared, matched, &request);
    let response = if timeout_ms == 0 {
        handler.await
    } else {
        match tokio::time::timeout(Duration::from_millis(timeout_ms), handler).await {
            Ok(response) => response,
            Err(_) => {
                bump(&shared.counters.timeouts);
                text_response(StatusCode::GATEWAY_TIMEOUT, "request timed out\n")
            }
        }
    };
    shared.stall.wait_out().await;
    response
}

async fn handle(
    shared: &Shared,
    matched: Matched,
    request: &Request<Incoming>,
) -> Response<ResponseBody> {
    let route = matched.route;
    if route.is_scenario() {
        if let Some(injected) = inject_faults(shared).await {
            return injected;
        }
    }
    match route {
        Route::Static => {
            let path = request.uri().path();
            let rest = path.strip_prefix("/static/").unwrap_or("");
            shared.files.serve(rest, request.headers()).await
        }
        Route::Pool => pool(shared, request.uri().query()).await,
        Route::Cpu => cpu(shared, request.uri().query()).await,
        Route::Sleep => sleep(shared, request.uri().query()).await,
        Route::DbUser | Route::DbOrders | Route::DbSleep => {
            let db = shared.db.as_deref();
            super::db::routes::handle(db, &shared.knobs, matched, request.uri().query()).await
        }
        _ => routes::instant_response(matched),
    }
}

/// Jitter first (a slow failure is still slow), then maybe a 500.
async fn inject_faults(shared: &Shared) -> Option<Response<ResponseBody>> {
    let jitter_ms = LiveKnobs::get(&shared.knobs.jitter_ms);
    if jitter_ms > 0 {
        let delay_us = fastrand::u64(0..=jitter_ms.saturating_mul(1000));
        tokio::time::sleep(Duration::from_micros(delay_us)).await;
    }
    let error_rate = shared.knobs.error_rate();
    if error_rate > 0.0 && fastrand::f64() < error_rate {
        bump(&shared.counters.errors_injected);
        return Some(text_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "injected error\n",
        ));
    }
    None
}

/// `?hold_ms=N` holds this request's slot longer than the knob says: one
/// slow query (a missing index) sharing the pool with fast ones.
async fn pool(shared: &Shared, query: Option<&str>) -> Response<ResponseBody> {
    let knobs = &shared.knobs;
    let hold_ms = match routes::query_u64(query, "hold_ms") {
        Ok(Some(ms)) if ms <= 60_000 => ms,
        Ok(None) => LiveKnobs::get(&knobs.hold_ms),
        _ => return text_response(StatusCode::BAD_REQUEST, "hold_ms must be 0..=60000\n"),
    };
    let timeout = Duration::from_millis(LiveKnobs::get(&knobs.acquire_timeout_ms));
    let Some(slot) = shared.pool.acquire(timeout).await else {
        return text_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "pool exhausted: no slot within acquire_timeout_ms\n",
        );
    };
    tokio::time::sleep(Duration::from_millis(hold_ms)).await;
    // CPU time inside the slot, on the worker thread like `/cpu`: with it a
    // slot is a worker that waits W (the hold) and computes C, the shape
    // that thread-pool sizing formulas are about.
    let rounds = LiveKnobs::get(&knobs.pool_cpu_work);
    if rounds > 0 {
        std::hint::black_box(burn_cpu(rounds));
    }
    drop(slot);
    json_response(
        StatusCode::OK,
        bytes::Bytes::from_static(br#"{"pool":"ok"}"#),
    )
}

async fn cpu(shared: &Shared, query: Option<&str>) -> Response<ResponseBody> {
    let rounds = match routes::query_u64(query, "work") {
        Ok(Some(rounds)) if rounds <= 10_000_000 => rounds,
        Ok(None) => LiveKnobs::get(&shared.knobs.cpu_work),
        _ => return text_response(StatusCode::BAD_REQUEST, "work must be 0..=10000000\n"),
    };
    let limited = LiveKnobs::get(&shared.knobs.cpu_workers) > 0;
    let _slot = if limited {
        let _waiting = InflightGuard::new(&shared.counters.cpu_waiting);
        match shared.cpu_gate.acquire(Duration::from_secs(3600)).await {
            Some(slot) => Some(slot),
            None => return text_response(StatusCode::SERVICE_UNAVAILABLE, "no cpu worker\n"),
        }
    } else {
        None
    };
    let _busy = InflightGuard::new(&shared.counters.cpu_inflight);
    // Deliberately on the runtime's worker thread: this is the CPU-bound
    // handler that blocks its thread, the bottleneck the route demonstrates.
    let digest = burn_cpu(rounds);
    json_response(
        StatusCode::OK,
        format!(
            r#"{{"rounds":{rounds},"digest":"{:02x}{:02x}{:02x}{:02x}"}}"#,
            digest[0], digest[1], digest[2], digest[3]
        ),
    )
}

async fn sleep(shared: &Shared, query: Option<&str>) -> Response<ResponseBody> {
    let ms = match routes::query_u64(query, "ms") {
        Ok(Some(ms)) if ms <= 600_000 => ms,
        Ok(None) => LiveKnobs::get(&shared.knobs.sleep_ms),
        _ => return text_response(StatusCode::BAD_REQUEST, "ms must be 0..=600000\n"),
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    json_response(StatusCode::OK, format!(r#"{{"slept_ms":{ms}}}"#))
}

pub(crate) async fn exempt(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Response<ResponseBody> {
    if request.uri().path() == "/metrics" {
        let matched = routes::match_route(request.method(), "/metrics", false);
        if matched.route != Route::Metrics {
            return routes::instant_response(matched);
        }
        let mut response = text_response(StatusCode::OK, "");
        let stats = shared.stats();
        let mut text = prometheus_text(&stats);
        super::otel_pools::append_metrics(&mut text, &stats.pool, shared.db.as_deref());
        *response.body_mut() = text.into();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            ),
        );
        return response;
    }
    admin::handle(&shared, request).await
}
