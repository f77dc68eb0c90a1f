//! STUB until the engine branch lands: the public API the session codes against.

use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use crate::stats::Interval;

#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub method: String,
    pub path: String,
    pub host: String,
    pub headers: Vec<(String, String)>,
    pub body: bytes::Bytes,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Model {
    Closed,
    Open { rate: f64 },
}

#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub addr: SocketAddr,
    pub request: RequestSpec,
    pub threads: usize,
    pub connections: usize,
    pub model: Model,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub keepalive: bool,
    pub max_requests: Option<u64>,
    pub tick: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LoadCommand {
    SetRate(f64),
    SetConnections(usize),
    SetThreads(usize),
    Pause,
    Resume,
}

#[derive(Clone, Debug)]
pub struct Tick {
    pub elapsed: Duration,
    pub interval: Interval,
    pub open_connections: u64,
    pub threads: usize,
    pub connections: usize,
    pub model: Model,
    pub paused: bool,
    pub done: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("engine not built")]
    NotBuilt,
}

pub struct EngineHandle {
    ticks_rx: Receiver<Tick>,
}

pub fn start(_config: LoadConfig) -> Result<EngineHandle, EngineError> {
    Err(EngineError::NotBuilt)
}

impl EngineHandle {
    pub fn send(&self, _command: LoadCommand) {}
    pub fn ticks(&self) -> &Receiver<Tick> {
        &self.ticks_rx
    }
    pub fn stop(self) -> Tick {
        unreachable!()
    }
}
