//! `loadtop max` end to end: real searches against the embedded server's
//! `/pool` (a semaphore of 8 slots held 10 ms each) whose capacity the test
//! measures first (`search`), and input handling (`input`). Reports are
//! validated against the schema.

mod input;
mod search;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::loadtop_bin;

const POOL_KNOBS: &str = r#"{"pool_size":8,"hold_ms":10,"acquire_timeout_ms":5000}"#;

pub struct Spawned(pub Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `loadtop serve` with the pool knobs on a free port; returns its base URL.
pub fn serve_pool() -> (Spawned, String) {
    let mut child = Command::new(loadtop_bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--threads", "1"])
        .args(["--knobs", POOL_KNOBS])
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

pub fn loadtop(args: &[&str], dir: &Path) -> Output {
    let mut child = Command::new(loadtop_bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("loadtop {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The rate in `max rate meeting …: 1,234 req/s (…)`.
pub fn answer(stdout: &str) -> Option<f64> {
    let line = stdout.lines().find(|l| l.contains("max rate meeting"))?;
    let after = line.rsplit_once(": ")?.1;
    let number = after.split(" req/s").next()?.replace(',', "");
    number.trim().parse().ok()
}

/// Closed-model saturation throughput of `/pool`: the reference the search
/// must land near (pool_size / hold, with the timer's real hold).
pub fn measure_capacity(url: &str, dir: &Path) -> f64 {
    let out = loadtop(
        &[
            "bench",
            &format!("{url}/pool"),
            "-c",
            "64",
            "-d",
            "2s",
            "--json",
            "-",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["summary"]["rps"].as_f64().unwrap()
}
