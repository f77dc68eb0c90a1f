//! Asking a process to stop, then making it: TERM (or whatever the caller
//! asks with), a grace period, KILL, and always a reap.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often a stopping child is checked.
const POLL: Duration = Duration::from_millis(20);

/// `kill SIGNAL PID` through the system `kill`; whether it was delivered.
pub fn signal(pid: u32, signal: &str) -> bool {
    kill(&[signal, &pid.to_string()])
}

/// `kill SIGNAL -- -PGID`: the whole process group (never group 0, which
/// would be loadtop's own).
pub fn signal_group(pgid: u32, signal: &str) {
    if pgid != 0 {
        kill(&[signal, "--", &format!("-{pgid}")]);
    }
}

fn kill(args: &[&str]) -> bool {
    Command::new("kill")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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
