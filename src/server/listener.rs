//! The accept loop: bind (with clear errors), accept with TCP_NODELAY, and
//! give each connection its own task that opens it (TLS handshake, protocol
//! choice by ALPN or by sniffing the h2 preface, all within the header read
//! timeout) and serves it with hyper-util's auto builder fixed to HTTP/1.1 or
//! HTTP/2. On shutdown: stop accepting, ask every connection to finish its
//! current requests, and wait for them up to the grace period. Each
//! connection task holds a clone of `conn_tx`; when all are gone `conn_rx`
//! closes, so draining needs no count.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

use super::service::Svc;
use super::shared::Shared;
use super::sniff::{Prefixed, sniff};
use super::{ServerConfig, ServerError};

/// Per-connection HTTP/2 stream limit: plenty for a load generator's
/// multiplexing, small enough that one connection cannot monopolise memory.
const H2_MAX_STREAMS: u32 = 256;
/// Same bound as the HTTP/1 read buffer: a request head over 64 KiB is abuse.
const MAX_HEAD_BYTES: usize = 64 * 1024;
pub(crate) fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    let bind_error = |err: std::io::Error| ServerError::Bind {
        addr,
        reason: match err.kind() {
            std::io::ErrorKind::AddrInUse => "address in use".to_string(),
            std::io::ErrorKind::AddrNotAvailable => "address not available".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        },
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(bind_error)?;
    // SO_REUSEADDR lets a restarted server reuse a port in TIME_WAIT; Linux
    // still refuses a port another socket is listening on.
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(addr).map_err(bind_error)?;
    socket.listen(1024).map_err(bind_error)
}

pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    config: ServerConfig,
    mut shutdown_rx: watch::Receiver<bool>,
) {
    let opener = Arc::new(Opener {
        protocols: Protocols::new(&config),
        tls,
        open_timeout: config.header_read_timeout,
        log_failures: shared.log_requests,
    });

    let stall_task = {
        let shared = shared.clone();
        let mut shutdown_rx = shutdown_rx.clone();
        tokio::spawn(async move {
            let knobs_rx = shared.knobs_tx.subscribe();
            tokio::select! {
                () = shared.stall.drive(knobs_rx, &shared.counters.stalls) => {}
                () = stopped(&mut shutdown_rx) => {}
            }
        })
    };

    let (conn_tx, mut conn_rx) = mpsc::channel::<()>(1);
    let mut accept_errors = AcceptErrors::default();
    loop {
        let accepted = tokio::select! {
            () = stopped(&mut shutdown_rx) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                if let Some(lines) = accept_errors.on_success(Instant::now()) {
                    eprintln!("{lines}");
                }
                accepted
            }
            Err(err) => {
                // Out of descriptors or a reset during accept: back off
                // briefly rather than spin, and keep serving.
                if let Some(lines) = accept_errors.on_error(&err, Instant::now()) {
                    eprintln!("{lines}");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let svc = Svc {
            shared: shared.clone(),
        };
        let opener = opener.clone();
        let conn_shutdown_rx = shutdown_rx.clone();
        let alive_tx = conn_tx.clone();
        tokio::spawn(async move {
            opener.run(stream, peer, svc, conn_shutdown_rx).await;
            drop(alive_tx);
        });
    }
    drop(listener);
    drop(conn_tx);
    let _ = tokio::time::timeout(config.shutdown_grace, conn_rx.recv()).await;
    stall_task.abort();
}

/// The auto builder fixed to each protocol. The protocol is chosen by
/// `Opener` (ALPN, or a sniff bounded in time) rather than by the auto
/// builder's own sniff, which has no timeout.
struct Protocols {
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
}

impl Protocols {
    fn new(config: &ServerConfig) -> Protocols {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            .max_buf_size(MAX_HEAD_BYTES)
            .keep_alive(true);
        // No `pipeline_flush`: it lifts hyper's cap on buffered output, so a
        // client that sends and never reads (a big file, pipelined requests)
        // would grow the server without bound, and it skips the flush that
        // carries hyper's own 400/431 answers and pipelined responses out.
        // No HTTP/2 pings: like an idle HTTP/1 keep-alive connection, an idle
        // h2 connection costs nothing, and pings would add load-test noise.
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_STREAMS)
            .max_header_list_size(MAX_HEAD_BYTES as u32)
            .keep_alive_interval(None);
        Protocols {
            http1: builder.clone().http1_only(),
            http2: builder.http2_only(),
        }
    }
}

/// Turns an accepted TCP stream into a served HTTP connection.
struct Opener {
    protocols: Protocols,
    tls: Option<TlsAcceptor>,
    /// Bounds the TLS handshake plus the protocol sniff (a silent client).
    open_timeout: Duration,
    log_failures: bool,
}

impl Opener {
    async fn run(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        svc: Svc,
        mut shutdown_rx: watch::Receiver<bool>,
    ) {
        let Some(acceptor) = &self.tls else {
            let opened = self.bounded(sniff(stream), &mut shutdown_rx).await;
            if let Some((io, is_h2)) = opened {
                self.drive(io, is_h2, svc, shutdown_rx).await;
            }
            return;
        };
        let handshake = async {
            let tls_stream = acceptor.accept(stream).await.map_err(|err| {
                if self.log_failures {
                    eprintln!("loadtop-serve: TLS handshake with {peer} failed: {err}");
                }
                err
            })?;
            match tls_stream.get_ref().1.alpn_protocol() {
                Some(b"h2") => Ok(Some((Prefixed::new(tls_stream), true))),
                Some(_) => Ok(Some((Prefixed::new(tls_stream), false))),
                None => sniff(tls_stream).await,
            }
        };
        if let Some((io, is_h2)) = self.bounded(handshake, &mut shutdown_rx).await {
            self.drive(io, is_h2, svc, shutdown_rx).await;
        }
    }

    /// `opening` within the open timeout; `None` if it failed, timed out,
    /// the peer left, or shutdown began (the connection is just dropped).
    async fn bounded<T>(
        &self,
        opening: impl Future<Output = std::io::Result<Option<T>>>,
        shutdown_rx: &mut watch::Receiver<bool>,
    ) -> Option<T> {
        tokio::select! {
            opened = tokio::time::timeout(self.open_timeout, opening) => {
                opened.ok().and_then(Result::ok).flatten()
            }
            () = stopped(shutdown_rx) => None,
        }
    }

    async fn drive<S>(
        &self,
        io: Prefixed<S>,
        is_h2: bool,
        svc: Svc,
        mut shutdown_rx: watch::Receiver<bool>,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let builder = if is_h2 {
            &self.protocols.http2
        } else {
            &self.protocols.http1
        };
        let connection = builder.serve_connection(TokioIo::new(io), svc);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => {}
            () = stopped(&mut shutdown_rx) => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

/// Keeps a burst of accept failures (out of descriptors retries every
/// 20 ms) to one line at its start, then at most one summary line per
/// `ACCEPT_ERROR_SUMMARY_EVERY`, given on the next failure or success.
#[derive(Default)]
struct AcceptErrors {
    last_line: Option<Instant>,
    suppressed: u64,
    last_error: String,
}

const ACCEPT_ERROR_SUMMARY_EVERY: Duration = Duration::from_secs(5);

impl AcceptErrors {
    /// What to print (possibly several lines, possibly nothing).
    fn on_error(&mut self, err: &std::io::Error, now: Instant) -> Option<String> {
        if !self.line_due(now) {
            self.suppressed += 1;
            self.last_error = err.to_string();
            return None;
        }
        self.last_line = Some(now);
        let line = format!("loadtop-serve: accept failed: {err}");
        Some(match self.summary() {
            Some(summary) => format!("{summary}\n{line}"),
            None => line,
        })
    }

    fn on_success(&mut self, now: Instant) -> Option<String> {
        if self.suppressed == 0 || !self.line_due(now) {
            return None;
        }
        self.last_line = Some(now);
        self.summary()
    }

    fn line_due(&self, now: Instant) -> bool {
        self.last_line
            .is_none_or(|last| now.duration_since(last) >= ACCEPT_ERROR_SUMMARY_EVERY)
    }

    /// The pending summary line, if failures were kept quiet; resets them.
    fn summary(&mut self) -> Option<String> {
        if self.suppressed == 0 {
            return None;
        }
        let line = format!(
            "loadtop-serve: accept failed {} more times (last: {})",
            self.suppressed, self.last_error
        );
        self.suppressed = 0;
        Some(line)
    }
}

/// Resolves once shutdown is requested (or its sender is gone).
async fn stopped(shutdown_rx: &mut watch::Receiver<bool>) {
    let _ = shutdown_rx.wait_for(|stop| *stop).await;
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_accept_failures_prints_one_line_then_a_summary() {
        let emfile = std::io::Error::from_raw_os_error(24);
        let start = Instant::now();
        let mut errors = AcceptErrors::default();
        let first = errors.on_error(&emfile, start).unwrap();
        assert!(
            first.contains("accept failed: Too many open files"),
            "{first}"
        );
        // 20 ms retries for just under the summary period: all quiet.
        for step in 1..250 {
            let now = start + Duration::from_millis(20 * step);
            assert_eq!(errors.on_error(&emfile, now), None);
            assert_eq!(errors.on_success(now), None);
        }
        let later = start + ACCEPT_ERROR_SUMMARY_EVERY;
        let lines = errors.on_success(later).unwrap();
        assert_eq!(
            lines,
            "loadtop-serve: accept failed 249 more times (last: Too many open files (os error 24))"
        );
        // Quiet since: nothing pending, and the next failure is printed once
        // its period has passed.
        assert_eq!(errors.on_success(later + ACCEPT_ERROR_SUMMARY_EVERY), None);
        let again = errors
            .on_error(&emfile, later + ACCEPT_ERROR_SUMMARY_EVERY)
            .unwrap();
        assert!(!again.contains("more times"), "{again}");
    }
}
