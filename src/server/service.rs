//! The per-connection service and its middleware chain. `Svc::call` runs the
//! cheap checks in order (body size → CORS preflight → load shedding → rate
//! limit), then answers instant routes on the spot (no allocation beyond the
//! response) or hands the rest to `handlers::slow_path` as one boxed future.
//! `ServiceFuture` is the outermost layer: panic recovery (→ 500), the CORS
//! header and the optional request log line.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use hyper::body::Incoming;
use tokio::sync::watch;

use super::body::ResponseBody;
use super::files::StaticFiles;
use super::handlers;
use super::knobs::{KnobError, KnobPatch, Knobs, LiveKnobs};
use super::routes::{self, Route, text_response};
use super::scenarios::{Gate, Pool, RateLimiter, Stall};
use super::stats::{Counters, ServerStats, bump};

pub(crate) const MAX_BODY: u64 = 1024 * 1024;

/// Everything the handlers share, behind one `Arc` per server.
pub(crate) struct Shared {
    pub knobs: LiveKnobs,
    pub knobs_tx: watch::Sender<Knobs>,
    knobs_write: Mutex<()>,
    pub counters: Counters,
    pub pool: Pool,
    pub cpu_gate: Gate,
    pub stall: Stall,
    pub limiter: RateLimiter,
    pub files: StaticFiles,
    pub admin_token: String,
    pub log_requests: bool,
    pub test_routes: bool,
    pub started: Instant,
    /// The real pool behind `/db/*`, with `--database`.
    pub db: Option<Arc<super::db::Db>>,
}

fn gate_size(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

impl Shared {
    pub fn new(
        knobs: Knobs,
        files: StaticFiles,
        admin_token: String,
        log_requests: bool,
        test_routes: bool,
        db: Option<Arc<super::db::Db>>,
    ) -> Self {
        Shared {
            knobs: LiveKnobs::new(&knobs),
            pool: Pool::new(gate_size(knobs.pool_size)),
            cpu_gate: Gate::new(gate_size(knobs.cpu_workers)),
            knobs_tx: watch::Sender::new(knobs),
            knobs_write: Mutex::new(()),
            counters: Counters::default(),
            stall: Stall::new(),
            limiter: RateLimiter::new(),
            files,
            admin_token,
            log_requests,
            test_routes,
            started: Instant::now(),
            db,
        }
    }

    /// Validates and applies a patch; requests that start afterwards see it.
    pub fn apply_patch(&self, patch: &KnobPatch) -> Result<Knobs, KnobError> {
        patch.validate()?;
        let _serial = self
            .knobs_write
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut knobs = self.knobs.load();
        patch.apply(&mut knobs);
        self.knobs.store(&knobs);
        self.pool.gate.resize(gate_size(knobs.pool_size));
        self.cpu_gate.resize(gate_size(knobs.cpu_workers));
        self.knobs_tx.send_replace(knobs.clone());
        Ok(knobs)
    }

    pub fn stats(&self) -> ServerStats {
        let uptime_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut stats = self.counters.snapshot(uptime_ms, self.pool.stats());
        stats.db = self.db.as_ref().map(|db| db.stats());
        stats
    }
}

/// The hyper service of one connection.
#[derive(Clone)]
pub(crate) struct Svc {
    pub shared: Arc<Shared>,
}

type BoxedResponse = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;

// The ready variant is the hot path; boxing it would allocate per request.
#[allow(clippy::large_enum_variant)]
enum State {
    Ready(Option<Response<ResponseBody>>),
    Boxed(BoxedResponse, Arc<Shared>),
}

struct LogLine {
    method: Method,
    path: String,
    started: Instant,
}

pub(crate) struct ServiceFuture {
    state: State,
    cors: bool,
    log: Option<Box<LogLine>>,
}

fn declared_length(request: &Request<Incoming>) -> u64 {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// RFC 9112 §3.2: an HTTP/1.1 request without a Host header, or with more
/// than one, is answered 400 (HTTP/1.0 has none to require; HTTP/2 carries
/// `:authority`).
fn host_ok(request: &Request<Incoming>) -> bool {
    if request.version() != Version::HTTP_11 {
        return true;
    }
    let mut hosts = request.headers().get_all(header::HOST).iter();
    hosts.next().is_some() && hosts.next().is_none()
}

fn panic_response() -> Response<ResponseBody> {
    text_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error: the handler panicked\n",
    )
}

impl hyper::service::Service<Request<Incoming>> for Svc {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn call(&self, request: Request<Incoming>) -> ServiceFuture {
        let shared = &*self.shared;
        let log = shared.log_requests.then(|| {
            Box::new(LogLine {
                method: request.method().clone(),
                path: request.uri().path().to_string(),
                started: Instant::now(),
            })
        });
        if !host_ok(&request) {
            bump(&shared.counters.rejected);
            return ServiceFuture::ready(
                text_response(
                    StatusCode::BAD_REQUEST,
                    "an HTTP/1.1 request needs exactly one Host header\n",
                ),
                log,
            );
        }
        let matched =
            routes::match_route(request.method(), request.uri().path(), shared.test_routes);
        let route = matched.route;
        bump(&shared.counters.per_route[route as usize]);
        if matches!(route, Route::Admin | Route::Metrics) {
            // Exempt from every limit: the operator must always get through.
            let future = handlers::exempt(self.shared.clone(), request);
            return ServiceFuture {
                state: State::Boxed(Box::pin(future), self.shared.clone()),
                cors: route != Route::Admin,
                log,
            };
        }
        if declared_length(&request) > MAX_BODY {
            bump(&shared.counters.rejected);
            return ServiceFuture::ready(
                text_response(StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MiB\n"),
                log,
            );
        }
        if route != Route::Preflight {
            if let Some(refused) = admission(shared) {
                return ServiceFuture::ready(refused, log);
            }
        }
        if route.is_instant() && shared.stall.remaining().is_none() {
            let response = std::panic::catch_unwind(|| routes::instant_response(matched))
                .unwrap_or_else(|_| {
                    bump(&shared.counters.panics);
                    panic_response()
                });
            return ServiceFuture::ready(response, log);
        }
        let future = handlers::slow_path(self.shared.clone(), matched, request);
        ServiceFuture {
            state: State::Boxed(Box::pin(future), self.shared.clone()),
            cors: true,
            log,
        }
    }
}

/// Load shedding and rate limiting: a refusal is immediate and cheap.
fn admission(shared: &Shared) -> Option<Response<ResponseBody>> {
    let knobs = &shared.knobs;
    if knobs
        .load_shedding
        .load(std::sync::atomic::Ordering::Relaxed)
        && LiveKnobs::get(&shared.counters.inflight) >= LiveKnobs::get(&knobs.max_inflight)
    {
        bump(&shared.counters.shed);
        let mut response = text_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded, shedding load\n",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Some(response);
    }
    let rps = LiveKnobs::get(&knobs.rate_limit_rps);
    if rps > 0 && !shared.limiter.try_take(rps) {
        bump(&shared.counters.rate_limited);
        let mut response = text_response(StatusCode::TOO_MANY_REQUESTS, "rate limited\n");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Some(response);
    }
    None
}

impl ServiceFuture {
    fn ready(response: Response<ResponseBody>, log: Option<Box<LogLine>>) -> Self {
        ServiceFuture {
            state: State::Ready(Some(response)),
            cors: true,
            log,
        }
    }
}

impl Future for ServiceFuture {
    type Output = Result<Response<ResponseBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut response = match &mut this.state {
            State::Ready(response) => response.take().unwrap_or_else(panic_response),
            State::Boxed(future, shared) => {
                match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(response)) => response,
                    Err(_) => {
                        bump(&shared.counters.panics);
                        // The panicked future is dropped here, releasing its guards.
                        this.state = State::Ready(None);
                        panic_response()
                    }
                }
            }
        };
        if this.cors {
            response.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        if let Some(line) = this.log.take() {
            eprintln!(
                "{} {} {} {}us",
                line.method,
                line.path,
                response.status().as_u16(),
                line.started.elapsed().as_micros()
            );
        }
        Poll::Ready(Ok(response))
    }
}
