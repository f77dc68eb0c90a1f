//! A target that loadtop starts itself: `command` from a profile, run as
//! `sh -c "exec COMMAND"` in its own process group so that everything it
//! spawns (a `go build`, gunicorn's workers) can be stopped together.
//! Readiness is polled (TCP connect, then one GET of the target URL) until
//! the command answers, exits or runs out of time. Output goes into a small
//! tail buffer that explains an early death.
//!
//! The command is not started directly but through `loadtop
//! supervise-target` (see `supervisor`), whose stdin is a pipe from here:
//! when this process goes, even by SIGKILL, the pipe closes and the
//! supervisor stops the command's whole group, so nothing keeps the port.
//! Drop closes that pipe (SIGTERM to the group, up to 2 s of grace, SIGKILL)
//! and waits for the supervisor: it is a [`Supervised`] child asked to stop
//! by closing its stdin.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use super::supervisor::{self, COMMAND_ENV};
use crate::child::{Ask, Supervised, Tail};
use crate::server::admin_client;

const POLL: Duration = Duration::from_millis(100);
const TERM_GRACE: Duration = Duration::from_secs(2);
const OUTPUT_LINES: usize = 8;
/// Output lines are cut to this many characters.
const OUTPUT_WIDTH: usize = 200;
/// How long the supervisor may take to report the command's pid.
const SPAWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how to check that a started command serves its URL.
pub struct Readiness<'a> {
    /// The target's name, for messages.
    pub name: &'a str,
    pub url: &'a str,
    pub addr: SocketAddr,
    pub path: &'a str,
    pub timeout: Duration,
    /// Set by Ctrl-C / SIGTERM: stop waiting (and stop the command).
    pub interrupted: &'a std::sync::atomic::AtomicBool,
}

/// The message a wait cut short by a signal ends with; callers map it to
/// the interrupted exit code.
pub const INTERRUPTED: &str = "interrupted while waiting for the target to answer";

/// A running command target; stopped (with its process group) on drop.
#[derive(Debug)]
pub struct CommandTarget {
    command: String,
    /// `loadtop supervise-target`; its stdin is the command's lifeline.
    supervisor: Supervised,
    /// The command's own pid (and its process group's id).
    pid: u32,
    /// What the supervisor reports after the pid (the exit line).
    reports: Receiver<String>,
    /// `Some` once the supervisor has been reaped: how the command ended.
    status: Option<String>,
}

impl CommandTarget {
    /// Starts `command` (through `launcher supervise-target`, `launcher`
    /// being the loadtop binary) and waits until it answers on the URL.
    pub fn start(
        command: &str,
        launcher: &Path,
        ready: &Readiness<'_>,
    ) -> Result<CommandTarget, String> {
        // Otherwise a stale server on a fixed port would be measured in the
        // command's place while the command fails to bind.
        if TcpStream::connect_timeout(&ready.addr, Duration::from_millis(300)).is_ok() {
            return Err(format!(
                "target `{}`: something already answers on {} before `{command}` started; \
                 stop it or choose another port",
                ready.name, ready.url
            ));
        }
        let cannot_start = |e: &dyn std::fmt::Display| {
            format!("cannot start `{command}` for target `{}`: {e}", ready.name)
        };
        let mut supervisor = Command::new(launcher)
            .arg("supervise-target")
            .env(COMMAND_ENV, command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: a Ctrl-C at the terminal is loadtop's to handle,
            // and the supervisor must outlive it to stop the command.
            .process_group(0)
            .spawn()
            .map_err(|e| cannot_start(&e))?;
        let tail = Tail::new(OUTPUT_LINES, Some(OUTPUT_WIDTH));
        if let Some(err) = supervisor.stderr.take() {
            tail.drain(err, "loadtop-target-output");
        }
        let reports = supervisor
            .stdout
            .take()
            .map(read_reports)
            .unwrap_or_else(|| mpsc::channel().1);
        let pid = match reports.recv_timeout(SPAWN_TIMEOUT) {
            Ok(line) => match supervisor::parse_pid(&line) {
                Ok(pid) => pid,
                Err(error) => {
                    let _ = supervisor.wait();
                    return Err(cannot_start(&error));
                }
            },
            Err(_) => {
                let _ = supervisor.kill();
                let _ = supervisor.wait();
                return Err(cannot_start(&"the supervisor did not report"));
            }
        };
        // Closing stdin makes the supervisor stop the group; should it not
        // be done within the grace, the group and it are killed from here.
        let ask = Ask::CloseStdin { group: pid };
        let mut target = CommandTarget {
            command: command.to_string(),
            supervisor: Supervised::new(supervisor, tail, ask, TERM_GRACE + Duration::from_secs(2)),
            pid,
            reports,
            status: None,
        };
        target.wait_ready(ready)?;
        Ok(target)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn wait_ready(&mut self, ready: &Readiness<'_>) -> Result<(), String> {
        let deadline = Instant::now() + ready.timeout;
        loop {
            if let Some(reason) = self.try_exit() {
                return Err(format!(
                    "target `{}`: `{}` exited before answering on {}: {reason}",
                    ready.name, self.command, ready.url
                ));
            }
            if ready.interrupted.load(std::sync::atomic::Ordering::Relaxed) {
                self.stop();
                return Err(INTERRUPTED.to_string());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.stop();
                return Err(format!(
                    "target `{}` did not answer on {} within {}s (`{}`, pid {}, stopped)",
                    ready.name,
                    ready.url,
                    ready.timeout.as_secs_f64(),
                    self.command,
                    self.pid()
                ));
            }
            let wait = left.min(Duration::from_secs(2));
            if TcpStream::connect_timeout(&ready.addr, wait).is_ok()
                && admin_client::request(ready.addr, "GET", ready.path, &[], &[], wait).is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(POLL.min(left));
        }
    }

    /// `Some(description)` once the command has exited; the supervisor has
    /// then stopped its group too, so nothing it forked outlives it.
    pub fn try_exit(&mut self) -> Option<String> {
        if self.status.is_none() {
            if !self.supervisor.has_exited() {
                return None;
            }
            self.reap();
        }
        Some(self.describe_exit())
    }

    /// Reaps the supervisor and keeps how the command ended.
    fn reap(&mut self) {
        let own = self.supervisor.lock().wait().ok();
        // The exit line comes before the supervisor's own exit; the output
        // threads get a moment for the command's last words.
        let reported =
            std::iter::from_fn(|| self.reports.recv_timeout(Duration::from_millis(200)).ok())
                .find_map(|line| supervisor::parse_exit(&line).map(str::to_string));
        std::thread::sleep(Duration::from_millis(50));
        self.status = Some(reported.unwrap_or_else(|| {
            own.map_or_else(|| "exit status unknown".to_string(), |s| s.to_string())
        }));
    }

    fn describe_exit(&self) -> String {
        let status = self.status.clone().unwrap_or_default();
        match self.supervisor.tail().joined(" | ") {
            Some(lines) => format!("{status}; last output: {lines}"),
            None => status,
        }
    }

    /// Closes the supervisor's stdin, which makes it send SIGTERM to the
    /// command's group, give it up to 2 s, then SIGKILL the group and reap
    /// the command; then reaps the supervisor. Should the supervisor not be
    /// done in time, both are killed from here.
    pub fn stop(&mut self) {
        if self.status.is_some() {
            return;
        }
        self.supervisor.stop();
        self.reap();
    }
}

/// The supervisor's report lines (the pid, then the exit), one by one.
fn read_reports(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let _ = std::thread::Builder::new()
        .name("loadtop-target-reports".into())
        .spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
    rx
}
