//! A target that loadtop starts itself: `command` from a profile, run as
//! `sh -c "exec COMMAND"` in its own process group so that everything it
//! spawns (a `go build`, gunicorn's workers) can be stopped together.
//! Readiness is polled (TCP connect, then one GET of the target URL) until
//! the command answers, exits or runs out of time. Output goes into a small
//! tail buffer that explains an early death. Drop stops the whole group:
//! SIGTERM, up to 2 s of grace, SIGKILL, then the leader is reaped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::server::admin_client;

const POLL: Duration = Duration::from_millis(100);
const TERM_GRACE: Duration = Duration::from_secs(2);
const OUTPUT_LINES: usize = 8;

type Tail = Arc<Mutex<VecDeque<String>>>;

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
    child: Child,
    /// `Some` once the leader has been reaped.
    status: Option<ExitStatus>,
    tail: Tail,
}

impl CommandTarget {
    /// Starts `command` and waits until it answers on the URL.
    pub fn start(command: &str, ready: &Readiness<'_>) -> Result<CommandTarget, String> {
        // Otherwise a stale server on a fixed port would be measured in the
        // command's place while the command fails to bind.
        if TcpStream::connect_timeout(&ready.addr, Duration::from_millis(300)).is_ok() {
            return Err(format!(
                "target `{}`: something already answers on {} before `{command}` started; \
                 stop it or choose another port",
                ready.name, ready.url
            ));
        }
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {command}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: stopping the target stops whatever it forked.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start `{command}` for target `{}`: {e}", ready.name))?;
        let tail: Tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            drain_into(out, tail.clone(), "loadtop-target-stdout");
        }
        if let Some(err) = child.stderr.take() {
            drain_into(err, tail.clone(), "loadtop-target-stderr");
        }
        let mut target = CommandTarget {
            command: command.to_string(),
            child,
            status: None,
            tail,
        };
        target.wait_ready(ready)?;
        Ok(target)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
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

    /// `Some(description)` once the command has exited; its group is then
    /// stopped too, so nothing it forked outlives it.
    pub fn try_exit(&mut self) -> Option<String> {
        if self.status.is_none() {
            if !leader_exited(&mut self.child) {
                return None;
            }
            kill_group(self.pid(), "-KILL");
            self.status = self.child.wait().ok();
            // Let the drain threads catch the last words.
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(self.describe_exit())
    }

    fn describe_exit(&self) -> String {
        let status = self
            .status
            .map_or_else(|| "exit status unknown".to_string(), |s| s.to_string());
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.is_empty() {
            status
        } else {
            let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
            format!("{status}; last output: {}", lines.join(" | "))
        }
    }

    /// SIGTERM to the group, up to 2 s for the leader to exit, then SIGKILL
    /// to the group and reap. The group is signalled while the leader is
    /// still unreaped (a zombie at worst), so its id cannot have been reused.
    pub fn stop(&mut self) {
        if self.status.is_some() {
            return;
        }
        let pid = self.pid();
        kill_group(pid, "-TERM");
        let deadline = Instant::now() + TERM_GRACE;
        while Instant::now() < deadline && !leader_exited(&mut self.child) {
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_group(pid, "-KILL");
        // The leader directly too, in case the system `kill` could not run:
        // `wait` must never block on a live process.
        let _ = self.child.kill();
        self.status = self.child.wait().ok();
    }
}

impl Drop for CommandTarget {
    fn drop(&mut self) {
        self.stop();
    }
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

/// `kill -SIG -- -PGID` through the system `kill`, since signals need
/// `unsafe` libc calls (forbidden here) and a whole crate for one call.
fn kill_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Keeps the last lines of a pipe; the pipe is always drained so the
/// command never blocks on a full buffer.
fn drain_into(pipe: impl Read + Send + 'static, tail: Tail, thread: &str) {
    let _ = std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let line = line.trim().to_string();
                if line.is_empty() {
                    continue;
                }
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                if tail.len() == OUTPUT_LINES {
                    tail.pop_front();
                }
                tail.push_back(line.chars().take(200).collect());
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn readiness(addr: SocketAddr, timeout: Duration) -> Readiness<'static> {
        Readiness {
            name: "t",
            url: "http://127.0.0.1/",
            addr,
            path: "/",
            timeout,
            interrupted: &NOT_INTERRUPTED,
        }
    }

    static NOT_INTERRUPTED: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    fn unused_addr() -> SocketAddr {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    #[test]
    fn a_busy_port_is_refused_before_anything_starts() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let err = CommandTarget::start("sleep 0.1", &readiness(addr, Duration::from_secs(5)))
            .unwrap_err();
        assert!(err.contains("something already answers"), "{err}");
    }

    #[test]
    fn a_command_that_exits_early_names_its_status_and_output() {
        let err = CommandTarget::start(
            "sh -c 'echo boom >&2; exit 3'",
            &readiness(unused_addr(), Duration::from_secs(5)),
        )
        .unwrap_err();
        assert!(err.contains("exited before answering"), "{err}");
        assert!(err.contains("exit status: 3"), "{err}");
        assert!(err.contains("boom"), "{err}");
    }

    #[test]
    fn a_command_that_never_answers_is_stopped_with_its_group() {
        let started = Instant::now();
        let err = CommandTarget::start(
            "sh -c 'sleep 31 & sleep 32'",
            &readiness(unused_addr(), Duration::from_millis(300)),
        )
        .unwrap_err();
        assert!(err.contains("did not answer"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid: u32 = err
            .split("pid ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .and_then(|p| p.parse().ok())
            .unwrap();
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        // The background `sleep 31` was in the same group: gone as well.
        let deadline = Instant::now() + Duration::from_secs(2);
        while group_members(pid) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(group_members(pid), 0);
    }

    fn group_members(pgid: u32) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
            .filter(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(2).map(str::to_string))
                    .is_some_and(|group| group == pgid.to_string())
            })
            .count()
    }
}
