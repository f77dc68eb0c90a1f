//! The one connection loop. Each connection is a task on its worker's
//! runtime: it (re)connects with backoff, waits for its pacer, writes the
//! prepared request, reads the response into a reusable buffer and records
//! the outcome into the worker's interval. Nothing here allocates per
//! request; control (pause, pacing changes, retire, stop) arrives through the
//! worker's shared cells and wakes the loop only between requests.

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::pacer::{Backoff, Schedule};
use super::response::{ParseError, ResponseParser};
use super::worker::{PreparedRequest, WorkerShared};
use crate::stats::ErrorKind;

/// Initial read buffer: a typical head and small body fit in one read, and
/// 10,000 connections stay near 40 MiB of buffers (larger bodies take more
/// reads; longer heads grow the buffer).
const READ_BUFFER: usize = 4 * 1024;
/// A response head larger than this is treated as malformed.
const LONGEST_HEAD: usize = 256 * 1024;
/// A connection ready this far behind its intended time sends late.
const LATE: Duration = Duration::from_millis(1);
/// Stands in for "no deadline" on the reusable timer.
const FAR: Duration = Duration::from_secs(86_400 * 365);

/// Per-connection switch the worker flips to close this one connection.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    pub(crate) retire: Cell<bool>,
    /// A request is written or awaiting its response.
    pub(crate) in_flight: Cell<bool>,
}

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

fn io_error_kind(error: &io::Error) -> ErrorKind {
    match error.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => ErrorKind::Reset,
        io::ErrorKind::TimedOut => ErrorKind::RequestTimeout,
        _ => ErrorKind::Other,
    }
}

async fn connect(shared: &WorkerShared) -> Result<TcpStream, ErrorKind> {
    let target = &shared.target;
    match tokio::time::timeout(target.connect_timeout, TcpStream::connect(target.addr)).await {
        Err(_) => Err(ErrorKind::ConnectTimeout),
        Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused => {
            Err(ErrorKind::ConnectRefused)
        }
        Ok(Err(error)) if error.kind() == io::ErrorKind::TimedOut => Err(ErrorKind::ConnectTimeout),
        Ok(Err(_)) => Err(ErrorKind::Other),
        Ok(Ok(stream)) => {
            // Without NODELAY small requests wait on delayed ACKs.
            stream.set_nodelay(true).map_err(|_| ErrorKind::Other)?;
            Ok(stream)
        }
    }
}

/// Writes the request and reads one complete response.
async fn exchange(
    stream: &mut TcpStream,
    request: &PreparedRequest,
    parser: &mut ResponseParser,
    buffer: &mut ReadBuffer,
) -> Result<(), ErrorKind> {
    stream
        .write_all(&request.bytes)
        .await
        .map_err(|error| io_error_kind(&error))?;
    parser.reset(request.head);
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
                return Ok(());
            }
        }
        let read = stream
            .read(buffer.spare()?)
            .await
            .map_err(|error| io_error_kind(&error))?;
        if read == 0 {
            return parser.on_eof().map_err(|_| ErrorKind::Reset);
        }
        buffer.end += read;
    }
}

/// What the loop does after checking its controls.
enum Next {
    Go,
    Exit,
    Wait,
}

struct Pacing {
    epoch: u64,
    schedule: Option<Schedule>,
    phase: f64,
}

impl Pacing {
    /// Applies the worker's control cells; counts abandoned sends as dropped.
    fn check(&mut self, shared: &WorkerShared, control: &ConnControl) -> Next {
        let halted = shared.stopping.get() || control.retire.get();
        if halted || self.epoch != shared.epoch.get() {
            let at = if control.retire.get() && !shared.stopping.get() {
                Instant::now()
            } else {
                shared.changed_at.get()
            };
            if let Some(schedule) = self.schedule.take() {
                // A pause this connection slept through (pause and resume
                // during one request) still ends the backlog where it began.
                let (pause_epoch, paused_at) = shared.last_pause.get();
                let until = if pause_epoch > self.epoch && paused_at < at {
                    paused_at
                } else {
                    at
                };
                shared.recorder.borrow_mut().dropped_sends += schedule.backlog(until);
            }
            self.epoch = shared.epoch.get();
            if halted {
                return Next::Exit;
            }
            if !shared.paused.get() {
                self.schedule = shared
                    .period
                    .get()
                    .map(|period| Schedule::new(period, self.phase, at));
            }
        }
        if shared.paused.get() {
            Next::Wait
        } else {
            Next::Go
        }
    }
}

/// Runs one connection until it is retired, the worker stops, or the
/// worker's request quota is spent.
pub(crate) async fn run(shared: Rc<WorkerShared>, control: Rc<ConnControl>, phase: f64) {
    let mut buffer = ReadBuffer::new();
    let mut parser = ResponseParser::new(false);
    // Connection j of N (phase j/N) sends at offset j/N of every period, so
    // starting it at wheel place j makes the run's sends, in time order,
    // walk the wheel in order: the mix interleaves evenly at any rate, and
    // each connection still cycles through every request.
    let wheel = &shared.target.wheel;
    let mut turn =
        (phase * shared.target.initial_connections as f64).round() as usize % wheel.len().max(1);
    let mut stream: Option<TcpStream> = None;
    let mut backoff = Backoff::default();
    let mut pacing = Pacing {
        epoch: shared.epoch.get().wrapping_sub(1),
        schedule: None,
        phase,
    };
    // One timer per connection, re-armed per request: extending a
    // registered deadline is far cheaper than registering a new one.
    let timer = tokio::time::sleep(FAR);
    tokio::pin!(timer);

    loop {
        match pacing.check(&shared, &control) {
            Next::Exit => break,
            Next::Wait => {
                shared.wake.notified().await;
                continue;
            }
            Next::Go => {}
        }
        if !shared.has_quota() {
            break;
        }
        let Some(open) = stream.as_mut() else {
            if let Some(delay) = backoff.delay() {
                timer.as_mut().reset(Instant::now() + delay);
                tokio::select! {
                    biased;
                    _ = shared.wake.notified() => continue,
                    _ = &mut timer => {}
                }
            }
            match connect(&shared).await {
                Ok(connected) => {
                    shared.recorder.borrow_mut().connects += 1;
                    shared
                        .open_connections
                        .set(shared.open_connections.get() + 1);
                    buffer.clear();
                    stream = Some(connected);
                }
                Err(kind) => {
                    shared.recorder.borrow_mut().record_error(kind);
                    backoff.failed();
                }
            }
            continue;
        };

        let mut late = false;
        let intended = match pacing.schedule.as_mut() {
            None => None,
            Some(schedule) => {
                let due = schedule.next();
                let ready_at = Instant::now();
                // Late = the schedule fell behind (the connection was still
                // busy at its intended time). Waking from the timer counts as
                // on time: tokio's 1 ms timer wheel makes nearly every wake-up
                // up to ~1 ms late, and that jitter is in the corrected latency.
                late = ready_at.saturating_duration_since(due) >= LATE;
                if due > ready_at {
                    timer.as_mut().reset(due);
                    tokio::select! {
                        biased;
                        _ = shared.wake.notified() => continue,
                        _ = &mut timer => {}
                    }
                }
                schedule.advance();
                Some(due)
            }
        };
        if !shared.take_quota() {
            break;
        }
        let Some(request) = wheel
            .get(turn)
            .and_then(|&index| shared.target.requests.get(usize::from(index)))
        else {
            break;
        };
        turn = if turn + 1 == wheel.len() { 0 } else { turn + 1 };

        let sent_at = Instant::now();
        control.in_flight.set(true);
        timer.as_mut().reset(sent_at + shared.target.timeout);
        let outcome = tokio::select! {
            biased;
            outcome = exchange(open, request, &mut parser, &mut buffer) => outcome,
            _ = &mut timer => Err(ErrorKind::RequestTimeout),
        };
        let done_at = Instant::now();
        control.in_flight.set(false);
        let mut recorder = shared.recorder.borrow_mut();
        recorder.late_sends += u64::from(late);
        match outcome {
            Ok(()) => {
                let service = micros(done_at - sent_at);
                let latency = intended.map_or(service, |due| micros(done_at - due));
                recorder.record_response_for(
                    request.slot,
                    latency,
                    service,
                    parser.status(),
                    parser.wire_bytes(),
                );
                backoff.succeeded();
                if parser.must_close() || !shared.target.keepalive {
                    stream = None;
                    shared
                        .open_connections
                        .set(shared.open_connections.get() - 1);
                }
            }
            Err(kind) => {
                recorder.record_error_for(request.slot, kind);
                stream = None;
                shared
                    .open_connections
                    .set(shared.open_connections.get() - 1);
                backoff.failed();
            }
        }
    }
    if stream.is_some() {
        shared
            .open_connections
            .set(shared.open_connections.get() - 1);
    }
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}
