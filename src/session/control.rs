//! Live controls: what a key press (or any other front end) may ask of a
//! running session. Values are absolute; the front end computes them from the
//! snapshot it is showing, so the session never guesses what "up" means.

use crate::server::knobs::KnobPatch;

#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    SetConnections(usize),
    /// Requests per second; switches nothing else (the model stays open).
    SetRate(f64),
    SetThreads(usize),
    /// End the current stage now and start the next one.
    NextStage,
    /// Stay on the current stage until released (toggle).
    ToggleHold,
    /// Stop sending without losing counts (toggle).
    TogglePause,
    /// Change the embedded server's knobs (the keys that are set). Boxed:
    /// a patch is many times the size of every other control.
    Knobs(Box<KnobPatch>),
    /// Write the report of everything measured so far.
    SaveReport,
    Quit,
}
