//! `loadtop supervise-target`: the process between loadtop and a profile's
//! `command`. It starts `sh -c "exec COMMAND"` in a process group of its
//! own and reports on stdout, one line each: `pid=N` once started (or
//! `error=…`), and `exit=STATUS` when the command has ended. It stops the
//! command's whole group when the command's leader exits (nothing it forked
//! outlives it) and when its own stdin closes: stdin is a pipe from the
//! parent loadtop, and the kernel closes it however that parent ends,
//! SIGKILL included. A plain re-exec of loadtop rather than
//! `PR_SET_PDEATHSIG` in `pre_exec`: that needs `unsafe`, which this crate
//! forbids, and would not reach the command's own children.

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::child::{Signal, signal_group, stop_with_grace, watch_parent};

/// The command travels in the environment, so process listings show
/// `loadtop supervise-target` and the command itself once each.
pub const COMMAND_ENV: &str = "LOADTOP_TARGET_COMMAND";
const POLL: Duration = Duration::from_millis(20);
const TERM_GRACE: Duration = Duration::from_secs(2);

/// The parent's reading of the first report line.
pub fn parse_pid(line: &str) -> Result<u32, String> {
    if let Some(error) = line.strip_prefix("error=") {
        return Err(error.to_string());
    }
    line.strip_prefix("pid=")
        .and_then(|pid| pid.trim().parse().ok())
        .ok_or_else(|| format!("unexpected report from the supervisor: {line}"))
}

/// How the command ended, from an `exit=` line.
pub fn parse_exit(line: &str) -> Option<&str> {
    line.strip_prefix("exit=")
}

/// Runs the command named in the environment until it exits or the parent
/// goes; returns the supervisor's exit code (the command's, or 128 + its
/// signal).
pub fn supervise_target() -> u8 {
    let Some(command) = std::env::var_os(COMMAND_ENV) else {
        eprintln!(
            "loadtop: supervise-target is internal to loadtop runs ({COMMAND_ENV} is not set)"
        );
        return 2;
    };
    let mut exec = std::ffi::OsString::from("exec ");
    exec.push(&command);
    // The command's stdout joins stderr: the parent keeps one tail of both,
    // and stdout stays free for the report lines.
    let spawned = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|stderr| {
            Command::new("sh")
                .arg("-c")
                .arg(&exec)
                .env_remove(COMMAND_ENV)
                .stdin(Stdio::null())
                .stdout(Stdio::from(stderr))
                .stderr(Stdio::inherit())
                .process_group(0)
                .spawn()
        });
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            report(&format!("error={error}"));
            return 127;
        }
    };
    let pid = child.id();
    report(&format!("pid={pid}"));
    let parent_gone = Arc::new(AtomicBool::new(false));
    let gone = parent_gone.clone();
    watch_parent("loadtop-parent-watch", move || {
        gone.store(true, Ordering::SeqCst)
    });
    loop {
        if leader_exited(&mut child) {
            // Signalled while the leader is still unreaped (a zombie at
            // worst), so the group id cannot have been reused.
            signal_group(pid, Signal::SIGKILL);
            let status = child.wait();
            return finish(status.ok());
        }
        if parent_gone.load(Ordering::SeqCst) {
            stop(&mut child);
            return 0;
        }
        std::thread::sleep(POLL);
    }
}

fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    // The parent may be gone already: nobody is left to tell.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn finish(status: Option<ExitStatus>) -> u8 {
    let Some(status) = status else {
        report("exit=exit status unknown");
        return 1;
    };
    report(&format!("exit={status}"));
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(1),
        (None, None) => 1,
    }
}

/// SIGTERM to the group, up to 2 s for the leader to exit, SIGKILL to the
/// group (whatever the leader did: nothing it forked may outlive it), reap.
fn stop(child: &mut Child) {
    let pid = child.id();
    let status = stop_with_grace(
        child,
        TERM_GRACE,
        |_| {
            signal_group(pid, Signal::SIGTERM);
            true
        },
        leader_exited,
        |child, _| {
            signal_group(pid, Signal::SIGKILL);
            // The leader directly too, in case the group signal could not
            // be sent: `wait` must never block on a live process.
            let _ = child.kill();
        },
    );
    finish(status);
}

/// Whether the leader has exited, without reaping it: on Linux a zombie
/// shows as state `Z` in /proc. Elsewhere fall back to `try_wait`, which
/// reaps (the group is then killed by id, a small reuse risk accepted).
fn leader_exited(child: &mut Child) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id()));
    match stat {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
        Err(_) => !matches!(child.try_wait(), Ok(None)),
    }
}
