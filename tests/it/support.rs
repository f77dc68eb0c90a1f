//! Helpers shared by the integration tests: the real binary, bounded in time.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of the built `loadtop` binary.
pub fn loadtop_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_loadtop"))
}

/// A child process killed and reaped when the test ends, pass or fail.
pub struct Spawned(pub Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` to exit within `limit` (killing it and failing if not).
pub fn finish(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("loadtop did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The exit code of a spawned run, which must end within `limit`.
pub fn exit_code_within(child: &mut Spawned, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "loadtop did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `loadtop ARGS` in `dir` to its end (at most 60 s).
pub fn run_loadtop(args: &[&str], dir: &Path) -> Output {
    let child = Command::new(loadtop_bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, Duration::from_secs(60))
}

/// Sends a signal with the system `kill` (the tests forbid unsafe code too).
pub fn signal(child: &Spawned, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `loadtop serve` on a free port with extra flags; returns it and its base URL.
pub fn serve_with(extra: &[&str]) -> (Spawned, String) {
    let mut child = Command::new(loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--threads", "1"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("listening="))
        .unwrap_or_else(|| panic!("no ready line: {line:?}"))
        .to_string();
    (Spawned(child), url)
}
