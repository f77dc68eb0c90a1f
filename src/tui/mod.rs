//! STUB until the dashboard branch lands.

use std::sync::mpsc::Sender;

use crate::session::Control;
use crate::snapshot::Snapshot;

#[derive(Debug, thiserror::Error)]
#[error("dashboard stub")]
pub struct TuiError;

pub fn run(
    _snapshot_rx: tokio::sync::watch::Receiver<Snapshot>,
    _control_tx: Sender<Control>,
) -> Result<(), TuiError> {
    Err(TuiError)
}
