//! Asking a process to stop, then making it: TERM (or whatever the caller
//! asks with), a grace period, KILL, and always a reap.

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// How often a stopping child is checked.
const POLL: Duration = Duration::from_millis(20);

/// Sends `signal` to process `pid`; whether it was delivered.
pub fn signal(pid: u32, signal: Signal) -> bool {
    to_pid(pid).is_some_and(|pid| kill(pid, signal).is_ok())
}

/// Sends `signal` to the whole process group `pgid` (never group 0, which
/// would be loadtop's own).
pub fn signal_group(pgid: u32, signal: Signal) {
    if let Some(pgid) = to_pid(pgid) {
        let _ = killpg(pgid, signal);
    }
}

/// A real process id: 0 and ids past `i32` would name a group or every
/// process instead.
fn to_pid(id: u32) -> Option<Pid> {
    i32::try_from(id)
        .ok()
        .filter(|&id| id > 0)
        .map(Pid::from_raw)
}

/// Asks with `ask` (SIGTERM for most children; SIGQUIT for a PostgreSQL
/// postmaster, its immediate shutdown), gives the child up to `grace`,
/// then SIGKILL; always reaps. A child that has exited already is only
/// reaped.
pub fn stop_by_signal(child: &mut Child, ask: Signal, grace: Duration) -> Option<ExitStatus> {
    stop_with_grace(
        child,
        grace,
        |child| matches!(child.try_wait(), Ok(None)) && signal(child.id(), ask),
        |child| !matches!(child.try_wait(), Ok(None)),
        |child, exited| {
            if !exited {
                let _ = child.kill();
            }
        },
    )
}

/// `ask` (skipping the wait when it could not), then up to `grace` for
/// `exited`, then `force` (told whether the child exited in time), then a
/// reap (`wait`, which returns at once on a child reaped already). `force`
/// must leave nothing `wait` could block on.
pub fn stop_with_grace(
    child: &mut Child,
    grace: Duration,
    ask: impl FnOnce(&mut Child) -> bool,
    mut exited: impl FnMut(&mut Child) -> bool,
    force: impl FnOnce(&mut Child, bool),
) -> Option<ExitStatus> {
    if ask(child) {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if exited(child) {
                break;
            }
            std::thread::sleep(POLL);
        }
    }
    let exited = exited(child);
    force(child, exited);
    child.wait().ok()
}
