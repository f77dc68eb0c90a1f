//! Everything the session reacts to arrives as one [`Event`] on one channel,
//! so the session thread blocks on a single receiver and wakes at once for
//! whichever source speaks first: no polling interval to wait out, and no
//! source can hold up another.
//!
//! Sources that are library types with their own channel (the engine's
//! ticks, the monitor's samples, the front end's controls) get a small
//! forwarder thread each; the target probe and the signal handler are handed
//! a sender directly. No forwarder outlives the session: the ticks' ends
//! with the engine and is joined, the others are [`Helper`]s, stopped and
//! joined when the session drops them.

use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::load::Tick;
use crate::monitor::{Monitor, ResourceSample};
use crate::snapshot::ServerView;

use super::Control;
use super::helper::{Helper, recv_until_stopped};

/// A forwarder checks for its stop this often, so this is plenty.
const FORWARDER_JOIN_BOUND: Duration = Duration::from_millis(500);

/// One thing that happened, in the order the session learns of it.
#[derive(Debug)]
pub enum Event {
    /// The engine's figures for one tick period (boxed: it is by far the
    /// largest event, and moves through two channels).
    Tick(Box<Tick>),
    /// The tick channel closed: the engine has stopped.
    EngineStopped,
    Sample(ResourceSample),
    /// The embedded server's stats and knobs, as the probe last read them.
    Server(ServerView),
    /// A knob change reached the server; the text is the event to record.
    KnobsApplied(String),
    /// A knob change failed; the text says why.
    KnobsFailed(String),
    /// The pools read from a URL target's `metrics_url` (empty when the
    /// page failed or had none).
    Pools(Vec<crate::diagnosis::pool_metrics::ScrapedPool>),
    /// What the scraper has to say about the page, once per change.
    PoolsNote(crate::report::EventKind, String),
    Control(Control),
    /// SIGINT or SIGTERM: the run's flag is set.
    Signal,
    TargetExited(String),
}

/// Forwards the engine's ticks until the engine stops. Joined at the end of
/// the run so that no tick is left behind in flight.
pub fn forward_ticks(ticks: Receiver<Tick>, events: Sender<Event>) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("loadtop-ticks".into())
        .spawn(move || {
            // Unbounded on this side: the engine's bounded channel never
            // fills, so it never has to merge ticks the session read late.
            for tick in ticks {
                if events.send(Event::Tick(Box::new(tick))).is_err() {
                    return;
                }
            }
            let _ = events.send(Event::EngineStopped);
        })
        .ok()
}

/// Owns the monitor and forwards its samples; a sample that says the target
/// has gone is also a [`Event::TargetExited`]. Ends (stopping the monitor)
/// when the returned helper is dropped, or with the first sample after the
/// session is gone.
pub fn forward_samples(monitor: Monitor, events: Sender<Event>) -> Option<Helper> {
    Helper::spawn("loadtop-samples", FORWARDER_JOIN_BOUND, move |stop| {
        while let Some(sample) = recv_until_stopped(monitor.samples(), stop) {
            let exited = sample.target_exited;
            if events.send(Event::Sample(sample)).is_err() {
                return;
            }
            if let Some(pid) = exited
                && events
                    .send(Event::TargetExited(format!("process {pid} exited")))
                    .is_err()
            {
                return;
            }
        }
    })
}

/// Forwards the front end's controls. Ends when the returned helper is
/// dropped, the front end drops its sender, or with the first control
/// after the session is gone.
pub fn forward_controls(controls: Receiver<Control>, events: Sender<Event>) -> Option<Helper> {
    Helper::spawn("loadtop-controls", FORWARDER_JOIN_BOUND, move |stop| {
        while let Some(control) = recv_until_stopped(&controls, stop) {
            if events.send(Event::Control(control)).is_err() {
                return;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn the_controls_forwarder_forwards_and_ends_when_dropped() {
        let (controls_tx, controls_rx) = channel();
        let (events_tx, events_rx) = channel();
        let forwarder = forward_controls(controls_rx, events_tx).unwrap();
        controls_tx.send(Control::TogglePause).unwrap();
        assert!(matches!(
            events_rx.recv_timeout(Duration::from_secs(5)),
            Ok(Event::Control(Control::TogglePause))
        ));
        drop(forwarder);
        // Its receiver goes with the thread (the join may give up on a
        // machine too busy to run it within the bound; it still ends).
        let deadline = Instant::now() + Duration::from_secs(10);
        while controls_tx.send(Control::TogglePause).is_ok() {
            assert!(Instant::now() < deadline, "the forwarder outlived its drop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
