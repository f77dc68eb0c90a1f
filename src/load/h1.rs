//! HTTP/1.1 links: one connection (plain or TLS) per pacing unit, writing the
//! run's prepared request bytes and parsing the response in place from a
//! reusable buffer. Nothing here allocates per request.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

use super::conn::{self, Link, Pacing, Response, count_connect, count_open, io_error_kind};
use super::prepared::PreparedRequest;
use super::response::{ParseError, ResponseParser};
use super::shared::{ConnControl, WorkerShared};
use super::transport::Stream;
use crate::stats::ErrorKind;

/// Initial read buffer: a typical head and small body fit in one read, and
/// 10,000 connections stay near 40 MiB of buffers (larger bodies take more
/// reads; longer heads grow the buffer).
const READ_BUFFER: usize = 4 * 1024;
/// A response head larger than this is treated as malformed.
const LONGEST_HEAD: usize = 256 * 1024;

/// Bytes read but not yet consumed by the parser, kept between reads.
struct ReadBuffer {
    bytes: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuffer {
    fn new() -> Self {
        ReadBuffer {
            bytes: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
        }
    }

    fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    fn pending(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    fn consume(&mut self, used: usize) {
        self.start += used;
        if self.start == self.end {
            self.clear();
        }
    }

    /// Room to read into: compacts, then grows for long heads (up to a limit).
    fn spare(&mut self) -> Result<&mut [u8], ErrorKind> {
        if self.end == self.bytes.len() {
            if self.start > 0 {
                self.bytes.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.bytes.len() < LONGEST_HEAD {
                self.bytes.resize(self.bytes.len() * 2, 0);
            } else {
                return Err(ErrorKind::Malformed);
            }
        }
        Ok(&mut self.bytes[self.end..])
    }
}

/// Bytes that arrived while no request was outstanding: the target answered
/// something nobody asked (a second response to one request, say). Taking
/// them as the next request's answer would halve latency and double
/// throughput, so they are a protocol error and the connection is dropped.
fn unsolicited(stream: &mut Stream, buffer: &mut ReadBuffer) -> Result<(), ErrorKind> {
    if !buffer.pending().is_empty() {
        return Err(ErrorKind::Malformed);
    }
    let mut spare = ReadBuf::new(buffer.spare()?);
    // One poll, no waiting: pending means nothing arrived (the usual case).
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(stream).poll_read(&mut cx, &mut spare) {
        Poll::Pending => Ok(()),
        Poll::Ready(Ok(())) if spare.filled().is_empty() => Err(ErrorKind::Reset),
        Poll::Ready(Ok(())) => Err(ErrorKind::Malformed),
        Poll::Ready(Err(error)) => Err(io_error_kind(&error)),
    }
}

/// Writes the request and reads one complete response; returns when its
/// first byte arrived.
async fn exchange(
    stream: &mut Stream,
    request: &PreparedRequest,
    parser: &mut ResponseParser,
    buffer: &mut ReadBuffer,
) -> Result<Instant, ErrorKind> {
    unsolicited(stream, buffer)?;
    stream
        .write_all(&request.bytes)
        .await
        .map_err(|error| io_error_kind(&error))?;
    parser.reset(request.head);
    let mut first_byte = None;
    loop {
        if !buffer.pending().is_empty() {
            let used = parser
                .advance(buffer.pending())
                .map_err(|error| match error {
                    ParseError::Malformed => ErrorKind::Malformed,
                    ParseError::Truncated => ErrorKind::Reset,
                })?;
            buffer.consume(used);
            if parser.is_done() {
                // Bytes left behind the answer are caught before the next send.
                return Ok(first_byte.unwrap_or_else(Instant::now));
            }
        }
        let read = stream
            .read(buffer.spare()?)
            .await
            .map_err(|error| io_error_kind(&error))?;
        first_byte.get_or_insert_with(Instant::now);
        if read == 0 {
            parser.on_eof().map_err(|_| ErrorKind::Reset)?;
            return Ok(first_byte.unwrap_or_else(Instant::now));
        }
        buffer.end += read;
    }
}

struct H1Link {
    stream: Option<Stream>,
    parser: ResponseParser,
    buffer: ReadBuffer,
}

impl Link for H1Link {
    fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    async fn open(&mut self, shared: &WorkerShared) -> Result<(), Option<ErrorKind>> {
        let began = Instant::now();
        let stream = shared
            .target
            .dialer
            .connect()
            .await
            .map_err(|error| Some(error.kind()))?;
        count_connect(shared, began);
        count_open(shared, 1);
        self.buffer.clear();
        self.stream = Some(stream);
        Ok(())
    }

    async fn exchange(&mut self, request: &PreparedRequest) -> Result<Response, ErrorKind> {
        let stream = self.stream.as_mut().ok_or(ErrorKind::Reset)?;
        let first_byte = exchange(stream, request, &mut self.parser, &mut self.buffer).await?;
        Ok(Response {
            status: self.parser.status(),
            wire_bytes: self.parser.wire_bytes(),
            close: self.parser.must_close(),
            first_byte,
        })
    }

    fn close(&mut self, shared: &WorkerShared, _kind: Option<ErrorKind>) {
        if self.stream.take().is_some() {
            count_open(shared, -1);
        }
    }

    fn finish(&mut self, shared: &WorkerShared) {
        self.close(shared, None);
    }
}

/// Runs one HTTP/1.1 connection until it is retired, the worker stops, or
/// the worker's request quota is spent.
pub(crate) async fn run(shared: Rc<WorkerShared>, control: Rc<ConnControl>, phase: f64) {
    let mut link = H1Link {
        stream: None,
        parser: ResponseParser::new(false),
        buffer: ReadBuffer::new(),
    };
    let pacing = Pacing::new(&shared, phase, 1);
    conn::drive(&shared, &control, pacing, &mut link).await;
}
