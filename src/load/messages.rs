//! What crosses the engine's boundary: [`LoadCommand`]s in, [`Tick`]s out.
//! Below both the engine handle and the coordinator, which pass them on.

use std::time::Duration;

use super::Model;
use crate::stats::Interval;

/// Live changes; each takes effect within one tick and loses no counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadCommand {
    /// Requests per second; on a closed run this switches to the open model.
    SetRate(f64),
    /// Switch to the closed model: each connection sends as soon as its
    /// previous response is done (a profile stage may ask for it).
    SetClosed,
    /// Total connections, spread over the threads (clamped to at least 1).
    SetConnections(usize),
    /// Worker threads (clamped to 1..=256); retiring threads flush first.
    SetThreads(usize),
    /// Stop sending; connections stay open and open-model backlog is dropped.
    Pause,
    Resume,
}

/// One tick's merged figures and the engine's state at its end.
#[derive(Clone, Debug)]
pub struct Tick {
    /// Since the engine started, at the end of this tick.
    pub elapsed: Duration,
    pub interval: Interval,
    pub open_connections: u64,
    pub threads: usize,
    pub connections: usize,
    pub model: Model,
    pub paused: bool,
    /// `max_requests` is spent: every worker has sent its share.
    pub done: bool,
}
