//! The parent side of `loadtop serve` as a child process: spawn it on
//! 127.0.0.1 port 0, read its one ready line (with a timeout), and own it
//! as a [`Supervised`] child until drop, which sends SIGTERM, waits
//! briefly, then kills and reaps it (never a zombie). Sync
//! (`std::process`) so any thread can hold it. stdout and stderr are
//! drained by named threads; the last stderr lines explain a death in
//! `try_exit_status`.
//!
//! The child runs in its own process group, so a Ctrl-C typed at the
//! terminal reaches loadtop alone (which stops the run and then the child),
//! and it dies with its parent: its stdin is a pipe from the parent, and
//! `exit_with_parent_if_asked` (in the child) exits when that pipe closes,
//! which the kernel does even when the parent is killed with SIGKILL.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::ServerError;
use crate::child::{Ask, Supervised, Tail, watch_parent};

const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// With `--database` the ready line waits for `initdb` and the seeding of a
/// million rows, which takes tens of seconds on a busy machine.
const DATABASE_READY_TIMEOUT: Duration = Duration::from_secs(180);
const TERM_GRACE: Duration = Duration::from_secs(3);
const STDERR_LINES: usize = 20;
/// Set in the child's environment: its stdin is the parent's lifeline.
const PARENT_PIPE_ENV: &str = "LOADTOP_PARENT_PIPE";

/// In `loadtop serve`: when started by a parent loadtop (which says so in
/// the environment), exit as soon as the parent's end of stdin closes, so a
/// parent killed by SIGKILL does not leave a server holding its port.
pub fn exit_with_parent_if_asked() {
    if std::env::var_os(PARENT_PIPE_ENV).is_none_or(|v| v != "stdin") {
        return;
    }
    watch_parent("loadtop-parent-watch", || {
        // The server's own shutdown waits on a signal that will never
        // come once its parent is gone; leaving at once is the point.
        #[allow(clippy::exit)]
        std::process::exit(0);
    });
}

/// A running `loadtop serve` child.
#[derive(Debug)]
pub struct ChildServer {
    child: Supervised,
    url: String,
    addr: SocketAddr,
    pid: u32,
    token: String,
}

/// What the ready line carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyLine {
    pub url: String,
    pub addr: SocketAddr,
    pub token: String,
    pub pid: u32,
}

/// Parses `loadtop-serve listening=http://ADDR admin-token=TOKEN pid=PID`
/// (`https://ADDR` when the server runs with `--tls`; `url` keeps the scheme).
pub fn parse_ready_line(line: &str) -> Option<ReadyLine> {
    let rest = line.trim().strip_prefix("loadtop-serve ")?;
    let (mut url, mut token, mut pid) = (None, None, None);
    for field in rest.split_whitespace() {
        match field.split_once('=')? {
            ("listening", value) => url = Some(value.to_string()),
            ("admin-token", value) => token = Some(value.to_string()),
            ("pid", value) => pid = value.parse().ok(),
            _ => {}
        }
    }
    let url = url?;
    let addr = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?
        .parse()
        .ok()?;
    Some(ReadyLine {
        url,
        addr,
        token: token?,
        pid: pid?,
    })
}

impl ChildServer {
    /// Runs `exe serve --bind 127.0.0.1:0 ARGS...` and waits for it to listen.
    pub fn spawn(exe: &Path, args: &[String]) -> Result<ChildServer, ServerError> {
        let mut child = Command::new(exe)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            // The write end stays in `child.stdin` until the child is reaped.
            .stdin(Stdio::piped())
            .env(PARENT_PIPE_ENV, "stdin")
            // The child draws its own token and says it on the ready line; a
            // token meant for a `serve` of the user's (or an empty one, which
            // is how a missing CI secret looks) must not stop it starting.
            .env_remove("LOADTOP_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: a Ctrl-C at the terminal is loadtop's to handle.
            .process_group(0)
            .spawn()
            .map_err(|source| ServerError::Spawn {
                exe: exe.to_path_buf(),
                source,
            })?;
        let stderr_tail = Tail::new(STDERR_LINES, None);
        if let Some(stderr) = child.stderr.take() {
            stderr_tail.drain(stderr, "loadtop-serve-stderr");
        }
        let (line_tx, line_rx) = mpsc::channel::<String>();
        if let Some(stdout) = child.stdout.take() {
            let _ = std::thread::Builder::new()
                .name("loadtop-serve-stdout".into())
                .spawn(move || {
                    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
                    if let Some(first) = lines.next() {
                        let _ = line_tx.send(first);
                    }
                    // Keep draining so the child never blocks on a full pipe.
                    for _ in lines {}
                });
        }
        let server = ChildServer {
            child: Supervised::new(child, stderr_tail, Ask::Term, TERM_GRACE),
            url: String::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pid: 0,
            token: String::new(),
        };
        let ready_timeout = if args.iter().any(|a| a == "--database") {
            DATABASE_READY_TIMEOUT
        } else {
            READY_TIMEOUT
        };
        let line = match line_rx.recv_timeout(ready_timeout) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // stdout closed without a line: the child died; wait for the
                // stderr thread to catch its last words.
                let _ = server.child.lock().wait();
                std::thread::sleep(Duration::from_millis(50));
                return Err(ServerError::ChildExited(server.describe_exit()));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let detail = server
                    .last_stderr()
                    .map(|s| format!(" (stderr: {s})"))
                    .unwrap_or_default();
                return Err(ServerError::ReadyTimeout(ready_timeout, detail));
            }
        };
        let ready = parse_ready_line(&line).ok_or_else(|| ServerError::ReadyLine(line.clone()))?;
        let mut server = server;
        server.url = ready.url;
        server.addr = ready.addr;
        server.pid = ready.pid;
        server.token = ready.token;
        Ok(server)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// `Some(description)` once the child has exited.
    pub fn try_exit_status(&self) -> Option<String> {
        let status = self.child.lock().try_wait();
        match status {
            Ok(Some(_)) => Some(self.describe_exit()),
            Ok(None) => None,
            Err(err) => Some(format!("cannot query the target server: {err}")),
        }
    }

    fn last_stderr(&self) -> Option<String> {
        self.child.tail().last()
    }

    fn describe_exit(&self) -> String {
        let status = self.child.status_text();
        match self.last_stderr() {
            Some(line) => format!("{status}: {line}"),
            None => status,
        }
    }

    /// SIGTERM, wait up to the grace period, then SIGKILL; always reaps
    /// (dropping the server does the same).
    pub fn stop(&self) {
        self.child.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_line_parses() {
        let ready = parse_ready_line(
            "loadtop-serve listening=http://127.0.0.1:4321 admin-token=abc123 pid=77\n",
        )
        .unwrap();
        assert_eq!(ready.addr, SocketAddr::from(([127, 0, 0, 1], 4321)));
        assert_eq!((ready.token.as_str(), ready.pid), ("abc123", 77));
        let tls = parse_ready_line("loadtop-serve listening=https://[::1]:443 admin-token=t pid=9")
            .unwrap();
        assert_eq!(tls.url, "https://[::1]:443");
        assert_eq!(tls.addr, "[::1]:443".parse().unwrap());
        assert!(
            parse_ready_line("loadtop-serve listening=ftp://[::1]:1 admin-token=t pid=9").is_none()
        );
        assert!(parse_ready_line("hello").is_none());
        assert!(
            parse_ready_line("loadtop-serve listening=http://x:1 admin-token=a pid=1").is_none()
        );
    }
}
