//! Integration tests: the embedded target server, in-process (`server::start`)
//! and as the real binary. Every server binds 127.0.0.1:0; every request has a
//! timeout; load loops are bounded in count.

mod admin;
mod h2;
mod http_client;
mod process;
mod robustness;
mod routes;
mod scenarios;
mod slow_clients;
mod static_files;
mod tls;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use loadtop::server::admin_client::{self, AdminClient, RawResponse};
use loadtop::server::knobs::KnobPatch;
use loadtop::server::{RunningServer, ServerConfig};

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A server on its own runtime, so tests stay plain blocking code.
pub struct InProc {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
}

impl InProc {
    pub fn start(config: ServerConfig) -> InProc {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(loadtop::server::start(config)).unwrap();
        InProc {
            runtime,
            server: Some(server),
        }
    }

    pub fn with_defaults() -> InProc {
        InProc::start(ServerConfig {
            test_routes: true,
            ..ServerConfig::default()
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }

    pub fn token(&self) -> &str {
        self.server.as_ref().unwrap().admin_token()
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().unwrap()
    }

    pub fn admin(&self) -> AdminClient {
        AdminClient::new(self.addr(), self.server.as_ref().unwrap().admin_token())
    }

    pub fn patch(&self, patch: KnobPatch) {
        self.admin().patch_knobs(&patch).unwrap();
    }
}

impl Drop for InProc {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

pub fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    admin_client::request(addr, method, path, headers, b"", TIMEOUT).unwrap()
}

pub fn get(addr: SocketAddr, path: &str) -> RawResponse {
    send(addr, "GET", path, &[])
}

/// A GET and how long it took.
pub fn timed_get(addr: SocketAddr, path: &str) -> (RawResponse, Duration) {
    let started = Instant::now();
    let response = get(addr, path);
    (response, started.elapsed())
}

/// Runs `count` GETs of `path` at once; returns (status, latency) each.
pub fn concurrent_gets(addr: SocketAddr, path: &str, count: usize) -> Vec<(u16, Duration)> {
    let path = path.to_string();
    let handles: Vec<_> = (0..count)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let (response, took) = timed_get(addr, &path);
                (response.status, took)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Polls `check` every 10 ms until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}
