//! What goes into a session besides its plan (`SessionIo`: the front end's
//! channels, the interrupt flag, where the report goes) and what comes out
//! (`RunResult`, `Outcome`, `SessionError`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;

use super::Control;
use crate::load;
use crate::report::{Report, RunOutcome};
use crate::snapshot::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Target(String),
    #[error("interrupted before the run started")]
    Interrupted,
    #[error("cannot start the load engine: {0}")]
    Engine(#[from] load::EngineError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// The user quit (dashboard `q`).
    Quit,
    /// SIGINT / SIGTERM.
    Interrupted,
    TargetExited(String),
}

impl Outcome {
    /// The report's word for it (the reason goes to `outcome_detail`).
    pub fn report_outcome(&self) -> RunOutcome {
        match self {
            Outcome::Completed => RunOutcome::Completed,
            Outcome::Quit => RunOutcome::Quit,
            Outcome::Interrupted => RunOutcome::Interrupted,
            Outcome::TargetExited(_) => RunOutcome::TargetExited,
        }
    }
}

pub struct RunResult {
    pub report: Report,
    pub outcome: Outcome,
    /// Where the report was written, if anywhere.
    pub report_path: Option<PathBuf>,
    /// The requested report path could not be written (and where it went instead).
    pub report_failure: Option<String>,
    /// Measured stages merged (for `--latency` and text summaries).
    pub total: crate::stats::Interval,
}

/// What connects a session to its front end.
pub struct SessionIo {
    /// The binary that provides `loadtop serve` for the embedded target.
    pub server_exe: PathBuf,
    pub snapshots: Option<tokio::sync::watch::Sender<Snapshot>>,
    pub controls: Option<Receiver<Control>>,
    /// Set by the signal handler.
    pub interrupted: Arc<AtomicBool>,
    /// Written at the end of the run and on `Control::SaveReport`.
    pub report_path: Option<PathBuf>,
}
