//! The one connection loop. A pacing unit (an HTTP/1.1 connection, or one
//! stream of an HTTP/2 connection) is a task on its worker's runtime: it
//! (re)opens its [`Link`] with backoff, waits for its pacer, performs one
//! exchange under the request timeout and records the outcome into the
//! worker's interval. The loop itself allocates nothing per request; control
//! (pause, pacing changes, retire, stop) arrives through the worker's shared
//! cells and wakes the loop only between requests. The links are
//! `h1` and `h2`, which call [`drive`]; the worker picks one per connection.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::pacer::{Backoff, Schedule};
use super::prepared::PreparedRequest;
use super::shared::{ConnControl, WorkerShared};
use crate::stats::{ErrorKind, record_us};

/// A connection ready this far behind its intended time sends late.
const LATE: Duration = Duration::from_millis(1);
/// Stands in for "no deadline" on the reusable timer.
const FAR: Duration = Duration::from_secs(86_400 * 365);

/// What one completed exchange produced.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) wire_bytes: u64,
    /// The connection cannot carry another request.
    pub(crate) close: bool,
    /// When the first byte of the response (HTTP/2: its head) arrived.
    pub(crate) first_byte: Instant,
}

/// How a pacing unit reaches the target: opened lazily, used for one
/// exchange at a time, dropped on failure.
pub(crate) trait Link {
    fn is_open(&self) -> bool;
    /// `Err(None)`: the attempt failed and was already counted elsewhere
    /// (another stream of the same HTTP/2 connection).
    async fn open(&mut self, shared: &WorkerShared) -> Result<(), Option<ErrorKind>>;
    /// Sends `request` and reads the whole response.
    async fn exchange(&mut self, request: &PreparedRequest) -> Result<Response, ErrorKind>;
    /// Gives up the connection (or this unit's use of it) after `kind`, or
    /// after a response that ends it (`None`).
    fn close(&mut self, shared: &WorkerShared, kind: Option<ErrorKind>);
    /// The task is ending: release what the link holds.
    fn finish(&mut self, shared: &WorkerShared);
}

pub(crate) fn io_error_kind(error: &io::Error) -> ErrorKind {
    match error.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => ErrorKind::Reset,
        io::ErrorKind::TimedOut => ErrorKind::RequestTimeout,
        _ => ErrorKind::Other,
    }
}

/// Counts a connection opened after `began` (TCP plus any TLS handshake).
pub(crate) fn count_connect(shared: &WorkerShared, began: Instant) {
    let mut recorder = shared.recorder.borrow_mut();
    recorder.connects += 1;
    let took = micros(began.elapsed());
    record_us(&mut recorder.phases_mut().connect, took);
}

/// Adds `delta` (+1 or -1) to the worker's open-connection gauge.
pub(crate) fn count_open(shared: &WorkerShared, delta: i64) {
    let open = shared.open_connections.get();
    shared
        .open_connections
        .set(open.saturating_add_signed(delta));
}

/// What the loop does after checking its controls.
enum Next {
    Go,
    Exit,
    Wait,
}

pub(crate) struct Pacing {
    epoch: u64,
    schedule: Option<Schedule>,
    phase: f64,
    /// Pacing units sharing one connection: the worker's period is per
    /// connection, each of `units` streams runs at `units` times it.
    units: u32,
}

impl Pacing {
    pub(crate) fn new(shared: &WorkerShared, phase: f64, units: u32) -> Self {
        Pacing {
            epoch: shared.epoch.get().wrapping_sub(1),
            schedule: None,
            phase,
            units: units.max(1),
        }
    }

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
                let origin = control.joined.get().map_or(at, |joined| at.max(joined));
                self.schedule = shared
                    .period
                    .get()
                    .map(|period| Schedule::new(period * self.units, self.phase, origin));
            }
        }
        if shared.paused.get() {
            Next::Wait
        } else {
            Next::Go
        }
    }
}

/// Runs one pacing unit until it is retired, the worker stops, or the
/// worker's request quota is spent.
pub(crate) async fn drive<L: Link>(
    shared: &WorkerShared,
    control: &ConnControl,
    mut pacing: Pacing,
    link: &mut L,
) {
    // Unit k of the run's K (phase k/K) sends at offset k/K of every period,
    // so starting it at wheel place k makes the run's sends, in time order,
    // walk the wheel in order: the mix interleaves evenly at any rate, and
    // each unit still cycles through every request.
    let wheel = &shared.target.wheel;
    let units = shared.target.initial_connections as f64 * f64::from(pacing.units);
    let mut turn = (pacing.phase * units).round() as usize % wheel.len().max(1);
    let mut backoff = Backoff::default();
    // One timer per unit, re-armed per request: extending a registered
    // deadline is far cheaper than registering a new one.
    let timer = tokio::time::sleep(FAR);
    tokio::pin!(timer);

    loop {
        match pacing.check(shared, control) {
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
        if !link.is_open() {
            if let Some(delay) = backoff.delay() {
                timer.as_mut().reset(Instant::now() + delay);
                tokio::select! {
                    biased;
                    _ = shared.wake.notified() => continue,
                    _ = &mut timer => {}
                }
            }
            match link.open(shared).await {
                Ok(()) => {}
                Err(kind) => {
                    if let Some(kind) = kind {
                        shared.recorder.borrow_mut().record_error(kind);
                    }
                    backoff.failed();
                }
            }
            continue;
        }

        let mut late = false;
        let intended = match pacing.schedule.as_mut() {
            None => None,
            Some(schedule) => {
                let due = schedule.next();
                let ready_at = Instant::now();
                // Late = the schedule fell behind (the connection was still
                // busy at its intended time). How late a wake-up from the
                // alarm is shows in the send lag instead.
                late = ready_at.saturating_duration_since(due) >= LATE;
                if due > ready_at {
                    let woken = match shared.alarm.as_deref() {
                        Some(alarm) => tokio::select! {
                            biased;
                            _ = shared.wake.notified() => true,
                            _ = alarm.until(due) => false,
                        },
                        None => {
                            timer.as_mut().reset(due);
                            tokio::select! {
                                biased;
                                _ = shared.wake.notified() => true,
                                _ = &mut timer => false,
                            }
                        }
                    };
                    if woken {
                        continue;
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
        control.in_flight.set(control.in_flight.get() + 1);
        timer.as_mut().reset(sent_at + shared.target.timeout);
        let outcome = tokio::select! {
            biased;
            outcome = link.exchange(request) => outcome,
            _ = &mut timer => Err(ErrorKind::RequestTimeout),
        };
        let done_at = Instant::now();
        control
            .in_flight
            .set(control.in_flight.get().saturating_sub(1));
        let mut recorder = shared.recorder.borrow_mut();
        recorder.late_sends += u64::from(late);
        crate::stats::Span::widen(&mut recorder.span, sent_at.into_std(), done_at.into_std());
        // The send happened (or was attempted) whatever came back.
        if let (Some(phases), Some(due)) = (recorder.phases.as_deref_mut(), intended) {
            record_us(
                &mut phases.send_lag,
                micros(sent_at.saturating_duration_since(due)),
            );
        }
        match outcome {
            Ok(response) => {
                let service = micros(done_at - sent_at);
                let latency = intended.map_or(service, |due| micros(done_at - due));
                if let Some(phases) = recorder.phases.as_deref_mut() {
                    record_us(
                        &mut phases.ttfb,
                        micros(response.first_byte.saturating_duration_since(sent_at)),
                    );
                }
                recorder.record_response_for(
                    request.slot,
                    latency,
                    service,
                    response.status,
                    response.wire_bytes,
                );
                drop(recorder);
                backoff.succeeded();
                if response.close || !shared.target.keepalive {
                    link.close(shared, None);
                }
            }
            Err(kind) => {
                recorder.record_error_for(request.slot, kind);
                drop(recorder);
                link.close(shared, Some(kind));
                backoff.failed();
            }
        }
    }
    link.finish(shared);
}

pub(crate) fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
}
