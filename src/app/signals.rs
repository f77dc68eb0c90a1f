//! The signal wiring of the commands (the mechanism is `crate::signals`).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// At process start, before any input is read: exit 130 at once until a
/// run is armed.
pub fn install() {
    crate::signals::install();
}

/// Arms the process-wide signal handling for a run: the first SIGINT or
/// SIGTERM sets the flag (the session stops at its next loop and still
/// writes the report); a second one exits at once (see [`crate::signals`]).
pub fn arm(flag: Arc<AtomicBool>) {
    crate::signals::arm(flag);
}
