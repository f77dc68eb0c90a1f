//! HTTP/2 links (hyper's client): each engine connection is one HTTP/2
//! connection (ALPN `h2` over TLS, prior knowledge over plain TCP) whose
//! `h2_streams` streams are separate pacing units running the shared loop in
//! [`super::conn`], so latency, quotas, pausing and retiring behave exactly as
//! on HTTP/1.1. The streams share the connection: whichever needs it first
//! dials it, the others wait for that attempt; a dead connection is dropped
//! by the first stream that notices and redialed with backoff.
//!
//! Unlike HTTP/1.1, this path allocates per request (hyper's request and
//! response objects and its per-stream state); body bytes count as wire bytes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::{self, SendRequest};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::conn::{self, Link, Pacing, Response, count_connect, count_open, io_error_kind};
use super::prepared::PreparedRequest;
use super::shared::{ConnControl, WorkerShared};
use crate::stats::ErrorKind;

type Sender = SendRequest<Full<Bytes>>;

fn hyper_error_kind(error: &hyper::Error) -> ErrorKind {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io_error_kind(io);
        }
        source = cause.source();
    }
    if error.is_timeout() {
        ErrorKind::RequestTimeout
    } else if error.is_parse() || error.is_user() {
        ErrorKind::Malformed
    } else if error.is_closed() || error.is_canceled() || error.is_incomplete_message() {
        ErrorKind::Reset
    } else {
        ErrorKind::Other
    }
}

/// The HTTP/2 connection the streams of one engine connection share.
#[derive(Default)]
struct SharedConn {
    sender: RefCell<Option<Sender>>,
    dialing: Cell<bool>,
    dialed: Notify,
}

impl SharedConn {
    /// The live sender, dropping (and uncounting) a dead one.
    fn live(&self, shared: &WorkerShared) -> Option<Sender> {
        let mut slot = self.sender.borrow_mut();
        if slot.as_ref().is_some_and(Sender::is_closed) {
            *slot = None;
            count_open(shared, -1);
        }
        slot.clone()
    }

    async fn dial(&self, shared: &WorkerShared) -> Result<Sender, ErrorKind> {
        let stream = shared
            .target
            .dialer
            .connect()
            .await
            .map_err(|error| error.kind())?;
        if shared.target.dialer.is_tls() && stream.alpn() != Some(b"h2") {
            return Err(ErrorKind::Tls);
        }
        let (sender, connection) = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|error| hyper_error_kind(&error))?;
        // Ends when every sender is dropped or the peer goes away.
        tokio::task::spawn_local(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

struct H2Link {
    conn: Rc<SharedConn>,
    sender: Option<Sender>,
}

impl Link for H2Link {
    fn is_open(&self) -> bool {
        self.sender
            .as_ref()
            .is_some_and(|sender| !sender.is_closed())
    }

    async fn open(&mut self, shared: &WorkerShared) -> Result<(), Option<ErrorKind>> {
        if let Some(sender) = self.conn.live(shared) {
            self.sender = Some(sender);
            return Ok(());
        }
        if self.conn.dialing.get() {
            // Single-threaded: nothing can notify between the check and the
            // first poll of `notified()`, which registers this waiter.
            self.conn.dialed.notified().await;
            self.sender = self.conn.live(shared);
            return self.sender.as_ref().map(|_| ()).ok_or(None);
        }
        self.conn.dialing.set(true);
        let began = Instant::now();
        let dialed = self.conn.dial(shared).await;
        self.conn.dialing.set(false);
        let result = match dialed {
            Ok(sender) => {
                count_connect(shared, began);
                count_open(shared, 1);
                *self.conn.sender.borrow_mut() = Some(sender.clone());
                self.sender = Some(sender);
                Ok(())
            }
            Err(kind) => Err(Some(kind)),
        };
        self.conn.dialed.notify_waiters();
        result
    }

    async fn exchange(&mut self, request: &PreparedRequest) -> Result<Response, ErrorKind> {
        let sender = self.sender.as_mut().ok_or(ErrorKind::Reset)?;
        sender
            .ready()
            .await
            .map_err(|error| hyper_error_kind(&error))?;
        let request = request.h2.as_ref().ok_or(ErrorKind::Other)?.build();
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| hyper_error_kind(&error))?;
        let first_byte = Instant::now();
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut wire_bytes = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| hyper_error_kind(&error))?;
            if let Some(data) = frame.data_ref() {
                wire_bytes += data.len() as u64;
            }
        }
        Ok(Response {
            status,
            wire_bytes,
            close: false,
            first_byte,
        })
    }

    /// A failed stream leaves the connection to the others unless the
    /// connection itself is gone (then the next `open` redials). A timed-out
    /// request was dropped, which resets just its stream.
    fn close(&mut self, _shared: &WorkerShared, kind: Option<ErrorKind>) {
        if kind.is_some() && !self.is_open() {
            self.sender = None;
        }
    }

    fn finish(&mut self, _shared: &WorkerShared) {
        self.sender = None;
    }
}

/// Runs one HTTP/2 connection with its streams until every stream ends
/// (retired, stopped or out of quota); aborting it aborts the streams.
pub(crate) async fn run(shared: Rc<WorkerShared>, control: Rc<ConnControl>, phase: f64) {
    let streams = shared.target.h2_streams.max(1);
    let units = u32::try_from(streams).unwrap_or(u32::MAX);
    let conn = Rc::new(SharedConn::default());
    let mut tasks = JoinSet::new();
    for stream in 0..streams {
        // Streams of one connection are spread evenly over its period; with
        // the connections' own phases all sends are evenly spaced.
        let stream_phase = (phase + stream as f64) / streams as f64;
        let (shared, control, conn) = (shared.clone(), control.clone(), conn.clone());
        tasks.spawn_local(async move {
            let pacing = Pacing::new(&shared, stream_phase, units);
            let mut link = H2Link { conn, sender: None };
            conn::drive(&shared, &control, pacing, &mut link).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    if conn.sender.borrow_mut().take().is_some() {
        count_open(&shared, -1);
    }
}
