//! `loadtop max` end to end: real searches against the embedded server's
//! `/pool` (a semaphore of 8 slots held 10 ms each) whose capacity the test
//! measures first (`search`), and input handling (`input`). Reports are
//! validated against the schema.

mod input;
mod search;

use std::path::Path;

use serde_json::Value;

const POOL_KNOBS: &str = r#"{"pool_size":8,"hold_ms":10,"acquire_timeout_ms":5000}"#;

pub use crate::support::{Spawned, run_loadtop as loadtop};

/// `loadtop serve` with the pool knobs on a free port; returns its base URL.
pub fn serve_pool() -> (Spawned, String) {
    crate::support::serve_with(&["--knobs", POOL_KNOBS])
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
