//! The caller's side: [`start`] validates and launches a run, and the
//! [`EngineHandle`] carries commands in and ticks out. Everything behind it
//! runs on the coordinator thread (`loadtop-engine`) and the worker threads;
//! stopping (or dropping the handle) joins every thread the engine started.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;

use super::coordinator::{Control, Coordinator, MAX_THREADS, split};
use super::messages::{LoadCommand, Tick};
use super::prepared::{self, PreparedRequest};
use super::shared::Target;
use super::{EngineError, LoadConfig, Model, limits, mix, tls};
use crate::stats::Interval;

/// Ticks the caller may fall behind before they are merged instead.
const TICK_BACKLOG: usize = 64;
/// Worker reports in flight; beyond this workers keep accumulating.
const REPORT_BACKLOG: usize = 64;

/// The running engine. Dropping it stops and joins every thread.
pub struct EngineHandle {
    control_tx: mpsc::UnboundedSender<Control>,
    ticks_rx: Receiver<Tick>,
    coordinator: Option<JoinHandle<Tick>>,
}

impl EngineHandle {
    /// Never blocks and never panics; ignored once the engine has stopped.
    pub fn send(&self, command: LoadCommand) {
        let _ = self.control_tx.send(Control::Command(command));
    }

    /// Hands a tick's interval back once it has been folded in, so the
    /// engine reuses it instead of allocating one per tick (optional: an
    /// interval not given back is simply dropped).
    pub fn recycle(&self, interval: Interval) {
        let _ = self.control_tx.send(Control::Recycle(interval));
    }

    /// One [`Tick`] per tick period; the caller polls with `recv_timeout`.
    pub fn ticks(&self) -> &Receiver<Tick> {
        &self.ticks_rx
    }

    /// Hands the ticks to the caller's own thread (e.g. one forwarding them
    /// into its event channel). From then on the caller receives every
    /// tick, the last ones included, until the channel closes after a stop;
    /// `stop` returns only the final partial tick.
    pub fn take_ticks(&mut self) -> Receiver<Tick> {
        let (_, closed) = sync_channel(0);
        std::mem::replace(&mut self.ticks_rx, closed)
    }

    /// Stops all workers (in-flight requests finish or time out), joins the
    /// threads and returns everything recorded that the caller has not yet
    /// received in a tick (including ticks still queued).
    pub fn stop(mut self) -> Tick {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Tick {
        let _ = self.control_tx.send(Control::Stop);
        let empty = Tick {
            elapsed: Duration::ZERO,
            interval: Interval::new(),
            open_connections: 0,
            threads: 0,
            connections: 0,
            model: Model::Closed,
            paused: false,
            done: false,
        };
        let mut last = match self.coordinator.take().map(JoinHandle::join) {
            Some(Ok(tick)) => tick,
            _ => empty,
        };
        // Ticks the caller never read belong to the final figures too.
        while let Ok(unread) = self.ticks_rx.try_recv() {
            last.interval.merge(&unread.interval);
        }
        last
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        if self.coordinator.is_some() {
            self.shutdown();
        }
    }
}

/// Validates `config`, raises the descriptor limit and starts the run.
pub fn start(config: LoadConfig) -> Result<EngineHandle, EngineError> {
    config.validate()?;
    // Threads beyond connections would idle; wrk refuses them, we clamp.
    let threads = config.threads.min(config.connections).min(MAX_THREADS);
    let needed = limits::needed(config.connections, threads);
    limits::ensure(needed).map_err(|(soft, hard)| EngineError::FileLimit {
        connections: config.connections,
        needed,
        soft,
        hard,
    })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(EngineError::Spawn)?;
    let (report_tx, report_rx) = mpsc::channel(REPORT_BACKLOG);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (ticks_tx, ticks_rx) = sync_channel(TICK_BACKLOG);
    let (names, slots) = mix::name_slots(&config.requests);
    let http2 = config.transport.http2;
    let tls = config.transport.tls.is_some();
    let requests = config
        .requests
        .iter()
        .zip(slots)
        .map(|(request, slot)| {
            Ok(PreparedRequest {
                bytes: request.spec.to_bytes(config.keepalive),
                head: request.spec.is_head(),
                slot,
                h2: if http2 {
                    Some(prepared::h2(&request.spec, tls)?)
                } else {
                    None
                },
            })
        })
        .collect::<Result<_, EngineError>>()?;
    let target = Arc::new(Target {
        dialer: tls::dialer(&config)?,
        requests,
        wheel: mix::wheel(&config.requests).into(),
        named_slots: if names.len() > 1 { names.len() } else { 0 },
        initial_connections: config.connections,
        timeout: config.timeout,
        keepalive: config.keepalive,
        http2,
        h2_streams: config.transport.streams(),
    });
    let mut coordinator = Coordinator::new(target, &config, report_tx, ticks_tx);
    let quotas = split(config.max_requests.unwrap_or(0), threads);
    let connections = split(config.connections as u64, threads);
    for position in 0..threads {
        // Interleave phases across threads so the merged sends are evenly spaced.
        let phases = (0..connections[position])
            .map(|j| (j as usize * threads + position) as f64 / config.connections as f64)
            .collect();
        let quota = config.max_requests.map(|_| quotas[position]);
        if let Err(error) = coordinator.spawn_worker(
            connections[position] as usize,
            phases,
            quota,
            coordinator.start,
        ) {
            coordinator.stop_all_blocking();
            return Err(EngineError::Spawn(error));
        }
    }
    let thread = std::thread::Builder::new()
        .name("loadtop-engine".into())
        .spawn(move || runtime.block_on(coordinator.run(control_rx, report_rx)))
        .map_err(EngineError::Spawn)?;
    Ok(EngineHandle {
        control_tx,
        ticks_rx,
        coordinator: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handle_can_move_to_the_session_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<EngineHandle>();
        assert_send::<Tick>();
    }

    #[test]
    fn shares_add_up_and_differ_by_at_most_one() {
        assert_eq!(split(10, 3), vec![4, 3, 3]);
        assert_eq!(split(2, 4), vec![1, 1, 0, 0]);
        assert_eq!(split(7, 0), vec![7]);
    }
}
