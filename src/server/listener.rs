//! The accept loop: bind (with clear errors), accept with TCP_NODELAY, serve
//! each connection with hyper's HTTP/1 builder, and on shutdown stop
//! accepting, ask every connection to finish its current request, and wait
//! for them up to the grace period. Each connection task holds a clone of
//! `conn_tx`; when all are gone `conn_rx` closes, so draining needs no count.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, watch};

use super::service::{Shared, Svc};
use super::{ServerConfig, ServerError};

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
    shared: Arc<Shared>,
    config: ServerConfig,
    mut shutdown_rx: watch::Receiver<bool>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(64 * 1024)
        .keep_alive(true)
        .pipeline_flush(true);

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
    loop {
        let accepted = tokio::select! {
            () = stopped(&mut shutdown_rx) => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) => {
                // Out of descriptors or a reset during accept: back off
                // briefly rather than spin, and keep serving.
                eprintln!("loadtop-serve: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connection = builder.serve_connection(
            TokioIo::new(stream),
            Svc {
                shared: shared.clone(),
            },
        );
        let mut conn_shutdown_rx = shutdown_rx.clone();
        let alive_tx = conn_tx.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stopped(&mut conn_shutdown_rx) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(alive_tx);
        });
    }
    drop(listener);
    drop(conn_tx);
    let _ = tokio::time::timeout(config.shutdown_grace, conn_rx.recv()).await;
    stall_task.abort();
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
