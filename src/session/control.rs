//! Live controls: what a key press (or any other front end) may ask of a
//! running session. Values are absolute; the front end computes them from the
//! snapshot it is showing, so the session never guesses what "up" means.

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
    /// Change the embedded server's knobs.
    Knobs(KnobChange),
    /// Write the report of everything measured so far.
    SaveReport,
    Quit,
}

/// The knobs the dashboard changes; `None` leaves a knob as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KnobChange {
    pub pool_size: Option<u64>,
    pub hold_ms: Option<u64>,
    pub load_shedding: Option<bool>,
}
